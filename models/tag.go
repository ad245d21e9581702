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
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:64;uniqueIndex;not null"`
	CreatedAt time.Time
}

// MemberTag links a member to a tag.
type MemberTag struct {
	MemberID  uint64 `gorm:"primaryKey;autoIncrement:false"`
	TagID     uint64 `gorm:"primaryKey;autoIncrement:false;index"`
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
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&MemberTag{MemberID: memberID, TagID: t.ID}).Error
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
