package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Referral reward states.
const (
	RewardPending  = "pending"
	RewardPaid     = "paid"
	RewardReversed = "reversed"
)

// ReferralReward is the reward a referrer earns once the friend they
// brought has stayed long enough.
type ReferralReward struct {
	ID         uint64    `gorm:"primaryKey"`
	ReferrerID uint64    `gorm:"index;not null"`
	RefereeID  uint64    `gorm:"uniqueIndex;not null"` // one reward per new fan, ever
	Points     int64     `gorm:"not null"`
	State      string    `gorm:"size:16;not null;index"`
	DueAt      time.Time `gorm:"index"`
	SettledAt  *time.Time
	CreatedAt  time.Time
}

// ReferralCode returns the member's personal code, creating it on first use.
func (s *Store) ReferralCode(ctx context.Context, memberID uint64) (string, error) {
	for attempt := 0; attempt < 5; attempt++ {
		var m Member
		if err := s.db.WithContext(ctx).Select("id, referral_code").Take(&m, memberID).Error; err != nil {
			return "", translate("referral code", err)
		}
		if m.ReferralCode != nil {
			return *m.ReferralCode, nil
		}
		code := strings.ToLower(RandomToken(5))[:7]
		code = strings.NewReplacer("-", "x", "_", "y").Replace(code)
		res := s.db.WithContext(ctx).Model(&Member{}).Where("id = ? AND referral_code IS NULL", memberID).Update("referral_code", code)
		if res.Error != nil && !isDuplicate(res.Error) {
			return "", translate("referral code", res.Error)
		}
	}
	return "", Errorf(EINTERNAL, "could not allocate a referral code")
}

// MemberByReferralCode finds the owner of a code (nil when unknown).
func (s *Store) MemberByReferralCode(ctx context.Context, code string) (*Member, error) {
	var m Member
	err := s.db.WithContext(ctx).Where("referral_code = ?", code).Take(&m).Error
	if isNotFound(err) {
		return nil, nil
	}
	return &m, translate("referral code", err)
}

// LinkReferral records that referee followed through referrer's code and
// schedules the reward for after holdDays. Only a first follow counts;
// self-referral and cycles are refused (nothing happens, ok = false).
func (s *Store) LinkReferral(ctx context.Context, refereeID, referrerID uint64, points int64, hold time.Duration) (ok bool, err error) {
	if refereeID == referrerID {
		return false, nil
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var referee Member
		if err := tx.Clauses(lockForUpdate(tx)...).Take(&referee, refereeID).Error; err != nil {
			return err
		}
		if referee.ReferrerID != nil || referee.Follows > 1 {
			return nil // already linked, or not a new fan
		}
		// Walk up from the referrer: meeting the referee would close a cycle.
		cur := referrerID
		for depth := 0; depth < 10000; depth++ {
			if cur == refereeID {
				return nil
			}
			var up Member
			if err := tx.Select("id, referrer_id").Take(&up, cur).Error; err != nil {
				return err
			}
			if up.ReferrerID == nil {
				break
			}
			cur = *up.ReferrerID
		}
		now := s.now()
		if err := tx.Model(&Member{}).Where("id = ?", refereeID).
			Updates(map[string]any{"referrer_id": referrerID, "referred_at": now}).Error; err != nil {
			return err
		}
		ok = true
		return tx.Create(&ReferralReward{ReferrerID: referrerID, RefereeID: refereeID, Points: points,
			State: RewardPending, DueAt: now.Add(hold), CreatedAt: now}).Error
	})
	return ok, translate("link referral", err)
}

// SettleReferralRewards pays due rewards whose friend is still following
// (at most dailyCap paid per referrer per day, the rest wait a day) and
// reverses those whose friend left. It returns paid and reversed counts.
func (s *Store) SettleReferralRewards(ctx context.Context, dailyCap int) (paid, reversed int, err error) {
	var due []ReferralReward
	now := s.now()
	if err := s.db.WithContext(ctx).Where("state = ? AND due_at <= ?", RewardPending, now).Order("id").Limit(1000).Find(&due).Error; err != nil {
		return 0, 0, translate("referral rewards", err)
	}
	dayStart := now.Truncate(24 * time.Hour)
	for _, r := range due {
		err := s.tx(ctx, func(tx *gorm.DB) error {
			var referee Member
			if err := tx.Select("id, subscribed").Take(&referee, r.RefereeID).Error; err != nil {
				return err
			}
			if !referee.Subscribed {
				reversed++
				return tx.Model(&ReferralReward{}).Where("id = ? AND state = ?", r.ID, RewardPending).
					Updates(map[string]any{"state": RewardReversed, "settled_at": now}).Error
			}
			var today int64
			if err := tx.Model(&ReferralReward{}).Where("referrer_id = ? AND state = ? AND settled_at >= ?", r.ReferrerID, RewardPaid, dayStart).
				Count(&today).Error; err != nil {
				return err
			}
			if dailyCap > 0 && today >= int64(dailyCap) {
				return tx.Model(&ReferralReward{}).Where("id = ?", r.ID).Update("due_at", dayStart.Add(24*time.Hour)).Error
			}
			if _, _, err := ledgerTx(tx, now, r.ReferrerID, r.Points, SourceReferral, SystemReason(ReasonReferralPoints, ""), "referral:"+itoa(r.ID), nil, nil); err != nil {
				return err
			}
			paid++
			return tx.Model(&ReferralReward{}).Where("id = ?", r.ID).Updates(map[string]any{"state": RewardPaid, "settled_at": now}).Error
		})
		if err != nil {
			return paid, reversed, translate("settle referral", err)
		}
	}
	return paid, reversed, nil
}

// ReferralNode is a member in a referral tree with its depth.
type ReferralNode struct {
	Member Member
	Depth  int
}

// Downline returns everyone a member brought, directly (depth 1) and
// indirectly, to any depth (bounded by limit members).
func (s *Store) Downline(ctx context.Context, memberID uint64, limit int) ([]ReferralNode, error) {
	var out []ReferralNode
	frontier := []uint64{memberID}
	for depth := 1; len(frontier) > 0 && len(out) < limit; depth++ {
		var next []Member
		if err := s.db.WithContext(ctx).Where("referrer_id IN ?", frontier).Order("id").Limit(limit - len(out)).Find(&next).Error; err != nil {
			return nil, translate("downline", err)
		}
		frontier = frontier[:0]
		for _, m := range next {
			out = append(out, ReferralNode{Member: m, Depth: depth})
			frontier = append(frontier, m.ID)
		}
	}
	return out, nil
}

// Upline returns the chain above a member: who referred them, who referred
// that member, and so on.
func (s *Store) Upline(ctx context.Context, memberID uint64) ([]Member, error) {
	var out []Member
	var m Member
	if err := s.db.WithContext(ctx).Take(&m, memberID).Error; err != nil {
		return nil, translate("upline", err)
	}
	for m.ReferrerID != nil && len(out) < 1000 {
		var up Member
		if err := s.db.WithContext(ctx).Take(&up, *m.ReferrerID).Error; err != nil {
			return nil, translate("upline", err)
		}
		out = append(out, up)
		m = up
	}
	return out, nil
}

// CountReferrals counts members a member brought directly.
func (s *Store) CountReferrals(ctx context.Context, memberID uint64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Member{}).Where("referrer_id = ?", memberID).Count(&n).Error
	return n, translate("count referrals", err)
}
