package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Member is one fan of the account, keyed by openid.
type Member struct {
	ID                uint64 `gorm:"primaryKey"`
	OpenID            string `gorm:"size:64;uniqueIndex;not null"`
	UnionID           string `gorm:"size:64;index"`
	Subscribed        bool   `gorm:"not null;default:false;index"`
	FirstSubscribedAt *time.Time
	LastSubscribedAt  *time.Time
	UnsubscribedAt    *time.Time
	// SubscribeScene is the QR scene of the latest follow ("" when the fan
	// followed by search, a shared card, etc.).
	SubscribeScene    string     `gorm:"size:64;index"`
	LastInteractionAt *time.Time `gorm:"index"`
	// UnansweredRun counts the fan's texts in a row that no rule answered.
	UnansweredRun int `gorm:"not null;default:0"`
	// ReferralCode is the member's personal code (QR scene ref_<code>).
	ReferralCode *string `gorm:"size:16;uniqueIndex"`
	// ReferrerID is who brought this member (a referral chain link).
	ReferrerID *uint64 `gorm:"index"`
	ReferredAt *time.Time
	// ProfileToken is the secret in the member's profile-form link.
	ProfileToken *string `gorm:"size:32;uniqueIndex"`
	// Level is the interaction level: visitor … key person.
	Level string `gorm:"size:16;not null;default:follower;index"`
	// Points is the balance, kept in step with the ledger in one transaction.
	Points int64 `gorm:"not null;default:0"`
	// Follows counts subscribe events (more than one: the fan came back).
	Follows int `gorm:"not null;default:0"`
	// Stage is the lifecycle stage: prospect, new or loyal.
	Stage     string `gorm:"size:16;not null;default:prospect;index"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Lifecycle stages.
const (
	StageProspect = "prospect"
	StageNew      = "new"
	StageLoyal    = "loyal"
)

// Refollow reports whether the member's latest follow was not the first.
func (m *Member) Refollow() bool { return m.Follows > 1 }

// MemberFilter narrows ListMembers.
type MemberFilter struct {
	Query      string // substring of openid or unionid
	Subscribed *bool
	Limit      int
	Offset     int
}

// FindMemberByOpenID returns the member with this openid.
func (s *Store) FindMemberByOpenID(ctx context.Context, openID string) (*Member, error) {
	var m Member
	err := s.db.WithContext(ctx).Where("open_id = ?", openID).Take(&m).Error
	return &m, translate("member", err)
}

// ListMembers returns members, most recently active first, and the total
// count matching the filter.
func (s *Store) ListMembers(ctx context.Context, f MemberFilter) ([]Member, int64, error) {
	q := s.db.WithContext(ctx).Model(&Member{})
	if f.Query != "" {
		like := "%" + escapeLike(f.Query) + "%"
		q = q.Where("open_id LIKE ? OR union_id LIKE ?", like, like)
	}
	if f.Subscribed != nil {
		q = q.Where("subscribed = ?", *f.Subscribed)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, translate("list members", err)
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var out []Member
	err := q.Order("last_interaction_at DESC, id DESC").Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	return out, total, translate("list members", err)
}

// memberChange is what an inbound message tells us about its sender.
type memberChange struct {
	openID, unionID string
	subscribe       bool
	unsubscribe     bool
	scene           string
	at              time.Time
}

// touchMember creates the member if needed and applies the change, inside tx.
func touchMember(tx *gorm.DB, c memberChange) (*Member, error) {
	// Insert-or-ignore first so that two first messages racing from a new fan
	// do not fail on the unique openid.
	fresh := Member{OpenID: c.openID, UnionID: c.unionID, Subscribed: !c.unsubscribe, Stage: StageProspect}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&fresh).Error; err != nil {
		return nil, err
	}
	var m Member
	if err := tx.Clauses(lockForUpdate(tx)...).Where("open_id = ?", c.openID).Take(&m).Error; err != nil {
		return nil, err
	}
	at := c.at
	updates := map[string]any{"last_interaction_at": at}
	if c.unionID != "" && m.UnionID != c.unionID {
		updates["union_id"] = c.unionID
	}
	switch {
	case c.subscribe:
		updates["subscribed"] = true
		updates["follows"] = gorm.Expr("follows + 1")
		updates["last_subscribed_at"] = at
		if m.FirstSubscribedAt == nil {
			updates["first_subscribed_at"] = at
		}
		updates["subscribe_scene"] = c.scene
	case c.unsubscribe:
		updates["subscribed"] = false
		updates["unsubscribed_at"] = at
	default:
		// A fan who writes is following (WeChat only delivers messages from
		// followers), even if we missed the subscribe event.
		if !m.Subscribed {
			updates["subscribed"] = true
		}
	}
	if err := tx.Model(&m).Updates(updates).Error; err != nil {
		return nil, err
	}
	return &m, tx.Where("id = ?", m.ID).Take(&m).Error
}

// lockForUpdate returns a row-lock clause on MySQL; SQLite serialises writers
// already and has no FOR UPDATE.
func lockForUpdate(tx *gorm.DB) []clause.Expression {
	if tx.Dialector.Name() == "mysql" {
		return []clause.Expression{clause.Locking{Strength: "UPDATE"}}
	}
	return nil
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
