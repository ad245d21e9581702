package models

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"
)

// Interaction levels, the ladder of seeds/003: each rung engages more.
const (
	LevelVisitor   = "visitor"
	LevelFollower  = "follower"
	LevelCurious   = "curious"   // asks questions
	LevelResponder = "responder" // joins topics, campaigns, sign-ins
	LevelSpreader  = "spreader"  // brings referrals or shares
	LevelKeyPerson = "key_person"
)

// Levels lists the ladder, lowest first.
var Levels = []string{LevelVisitor, LevelFollower, LevelCurious, LevelResponder, LevelSpreader, LevelKeyPerson}

// Stages lists the lifecycle stages in order.
var Stages = []string{StageProspect, StageNew, StageLoyal}

// MemberChange is one step in a member's stage or level history.
type MemberChange struct {
	ID        uint64 `gorm:"primaryKey"`
	MemberID  uint64 `gorm:"index;not null"`
	Field     string `gorm:"size:8;not null"` // stage or level
	From      string `gorm:"size:16"`
	To        string `gorm:"size:16;not null"`
	Reason    string `gorm:"size:191"`
	StaffID   *uint64
	CreatedAt time.Time `gorm:"index"`
}

// RaiseLevel moves a member up the ladder to level (never down; staff use
// SetLevel for that). It returns whether the level changed.
func (s *Store) RaiseLevel(ctx context.Context, memberID uint64, level, reason string) (bool, error) {
	return s.changeMember(ctx, memberID, "level", level, reason, nil, true)
}

// SetLevel sets a member's level (a staff decision, e.g. marking a key person).
func (s *Store) SetLevel(ctx context.Context, memberID uint64, level, reason string, staffID uint64) (bool, error) {
	return s.changeMember(ctx, memberID, "level", level, reason, &staffID, false)
}

// AdvanceStage moves a member forward to stage (prospect → new → loyal).
func (s *Store) AdvanceStage(ctx context.Context, memberID uint64, stage, reason string) (bool, error) {
	return s.changeMember(ctx, memberID, "stage", stage, reason, nil, true)
}

// SetStage sets a member's stage (a staff mark).
func (s *Store) SetStage(ctx context.Context, memberID uint64, stage, reason string, staffID uint64) (bool, error) {
	return s.changeMember(ctx, memberID, "stage", stage, reason, &staffID, false)
}

func (s *Store) changeMember(ctx context.Context, memberID uint64, field, to, reason string, staffID *uint64, upOnly bool) (changed bool, err error) {
	ladder := Levels
	if field == "stage" {
		ladder = Stages
	}
	rank := slices.Index(ladder, to)
	if rank < 0 {
		return false, Errorf(EINVALID, "unknown %s %q", field, to)
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var m Member
		if err := tx.Clauses(lockForUpdate(tx)...).Select("id, stage, level").Take(&m, memberID).Error; err != nil {
			return err
		}
		from := m.Level
		if field == "stage" {
			from = m.Stage
		}
		if from == to || (upOnly && slices.Index(ladder, from) >= rank) {
			return nil
		}
		if err := tx.Model(&Member{}).Where("id = ?", memberID).Update(field, to).Error; err != nil {
			return err
		}
		changed = true
		return tx.Create(&MemberChange{MemberID: memberID, Field: field, From: from, To: to,
			Reason: truncateUTF8(reason, 191), StaffID: staffID, CreatedAt: s.now()}).Error
	})
	return changed, translate("member "+field, err)
}

// MemberHistory returns a member's stage and level changes, oldest first.
func (s *Store) MemberHistory(ctx context.Context, memberID uint64) ([]MemberChange, error) {
	var out []MemberChange
	err := s.db.WithContext(ctx).Where("member_id = ?", memberID).Order("id").Find(&out).Error
	return out, translate("member history", err)
}

// TotalEarned sums a member's positive ledger entries (for "loyal after N points").
func (s *Store) TotalEarned(ctx context.Context, memberID uint64) (int64, error) {
	var n struct{ Total int64 }
	err := s.db.WithContext(ctx).Model(&PointsEntry{}).Select("COALESCE(SUM(delta), 0) AS total").
		Where("member_id = ? AND delta > 0 AND source <> ?", memberID, SourceStaff).Scan(&n).Error
	return n.Total, translate("total earned", err)
}
