package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Tag is a local member tag (synchronised with WeChat tags when enabled).
type Tag struct {
	ID   uint64 `gorm:"primaryKey"`
	Name string `gorm:"size:64;uniqueIndex;not null"`
	// WeChatID links the tag to a WeChat tag when tag sync is on.
	WeChatID  *int32 `gorm:"index"`
	CreatedAt time.Time
}

// MemberTag links a member to a tag.
type MemberTag struct {
	MemberID uint64 `gorm:"primaryKey;autoIncrement:false"`
	TagID    uint64 `gorm:"primaryKey;autoIncrement:false;index"`
	// Synced is true once the membership is known to WeChat too.
	Synced    bool `gorm:"not null;default:false"`
	CreatedAt time.Time
}

// ValidTagName checks a tag name (WeChat allows 30 bytes).
func ValidTagName(name string) error {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 30 {
		return Errorf(EINVALID, "tag name must be 1-30 bytes")
	}
	return nil
}

func ensureTag(tx *gorm.DB, name string) (*Tag, error) {
	name = strings.TrimSpace(name)
	if err := ValidTagName(name); err != nil {
		return nil, err
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Tag{Name: name}).Error; err != nil {
		return nil, err
	}
	var t Tag
	return &t, tx.Where("name = ?", name).Take(&t).Error
}

// TagMember gives a member a tag, creating the tag if needed. Tagging twice
// is harmless.
func (s *Store) TagMember(ctx context.Context, memberID uint64, name string) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		t, err := ensureTag(tx, name)
		if err != nil {
			return err
		}
		// The store's clock: tag triggers of care journeys scan by this time.
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&MemberTag{MemberID: memberID, TagID: t.ID, CreatedAt: s.now()}).Error
	})
	return translate("tag member", err)
}

// UntagMember removes a tag from a member (no error if it was not there).
func (s *Store) UntagMember(ctx context.Context, memberID uint64, name string) error {
	err := s.db.WithContext(ctx).Where("member_id = ? AND tag_id IN (?)", memberID,
		s.db.Model(&Tag{}).Select("id").Where("name = ?", strings.TrimSpace(name))).Delete(&MemberTag{}).Error
	return translate("untag member", err)
}

// MemberTags returns a member's tag names, sorted.
func (s *Store) MemberTags(ctx context.Context, memberID uint64) ([]string, error) {
	var names []string
	err := s.db.WithContext(ctx).Model(&Tag{}).Joins("JOIN member_tags ON member_tags.tag_id = tags.id").
		Where("member_tags.member_id = ?", memberID).Order("tags.name").Pluck("tags.name", &names).Error
	return names, translate("member tags", err)
}

// TagsForSync returns every local tag with its WeChat id (if linked).
func (s *Store) TagsForSync(ctx context.Context) ([]Tag, error) {
	var out []Tag
	return out, translate("tags", s.db.WithContext(ctx).Order("id").Find(&out).Error)
}

// LinkTag records the WeChat id of a local tag, creating the local tag if
// it does not exist yet.
func (s *Store) LinkTag(ctx context.Context, name string, wechatID int32) (*Tag, error) {
	var t *Tag
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if t, err = ensureTag(tx, name); err != nil {
			return err
		}
		t.WeChatID = &wechatID
		return tx.Model(&Tag{}).Where("id = ?", t.ID).Update("we_chat_id", wechatID).Error
	})
	return t, translate("link tag", err)
}

// MarkTagged records that WeChat has these followers under the tag: local
// memberships are created (for known members) and marked synced.
func (s *Store) MarkTagged(ctx context.Context, tagID uint64, openIDs []string) error {
	if len(openIDs) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var ids []uint64
		if err := tx.Model(&Member{}).Where("open_id IN ?", openIDs).Pluck("id", &ids).Error; err != nil {
			return err
		}
		for _, id := range ids {
			mt := MemberTag{MemberID: id, TagID: tagID, Synced: true, CreatedAt: s.now()}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "member_id"}, {Name: "tag_id"}},
				DoUpdates: clause.Assignments(map[string]any{"synced": true})}).Create(&mt).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return translate("mark tagged", err)
}

// UnsyncedTagMembers returns the openids of a tag's members WeChat does not
// know about yet (at most limit).
func (s *Store) UnsyncedTagMembers(ctx context.Context, tagID uint64, limit int) ([]string, error) {
	var out []string
	err := s.db.WithContext(ctx).Model(&Member{}).Joins("JOIN member_tags ON member_tags.member_id = members.id").
		Where("member_tags.tag_id = ? AND member_tags.synced = ? AND members.subscribed = ?", tagID, false, true).
		Order("members.id").Limit(limit).Pluck("members.open_id", &out).Error
	return out, translate("unsynced tag members", err)
}
