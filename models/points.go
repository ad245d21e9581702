package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Points sources: where an entry came from.
const (
	SourceRule       = "rule"
	SourceSignIn     = "signin"
	SourceReferral   = "referral"
	SourceTopic      = "topic"
	SourceRedemption = "redemption"
	SourceStaff      = "staff"
	SourceExpiry     = "expiry"
	SourceWelcome    = "welcome"
	SourceReversal   = "reversal"
	SourceLuckyDraw  = "lucky_draw" // an entry's points cost
)

// PointsEntry is one line of the append-only points ledger. Earned entries
// keep Remaining (what is not yet spent or expired) so that spending and
// expiry take the oldest points first.
type PointsEntry struct {
	ID       uint64 `gorm:"primaryKey"`
	MemberID uint64 `gorm:"not null;index:idx_points_member_created,priority:1"`
	Delta    int64  `gorm:"not null"`
	// Balance is the member's balance right after this entry.
	Balance int64  `gorm:"not null"`
	Source  string `gorm:"size:16;not null;index"`
	Reason  string `gorm:"size:191"`
	// IdemKey makes the entry happen once: a retried message or job that
	// repeats it changes nothing.
	IdemKey   string     `gorm:"size:150;not null;uniqueIndex"`
	Remaining int64      `gorm:"not null;default:0"`
	ExpiresAt *time.Time `gorm:"index"`
	StaffID   *uint64
	CreatedAt time.Time `gorm:"index:idx_points_member_created,priority:2;index"`
}

// Earn adds amount (> 0) points to a member. With a key seen before it
// returns the first entry and changes nothing (dup = true).
func (s *Store) Earn(ctx context.Context, memberID uint64, amount int64, source, reason, key string, expiresAt *time.Time) (e *PointsEntry, dup bool, err error) {
	if amount <= 0 {
		return nil, false, Errorf(EINVALID, "points to earn must be positive")
	}
	return s.ledger(ctx, memberID, amount, source, reason, key, expiresAt, nil)
}

// Spend takes amount (> 0) points from a member, oldest points first. It
// fails with EINVALID when the balance is too low; the balance never goes
// negative.
func (s *Store) Spend(ctx context.Context, memberID uint64, amount int64, source, reason, key string) (*PointsEntry, bool, error) {
	if amount <= 0 {
		return nil, false, Errorf(EINVALID, "points to spend must be positive")
	}
	return s.ledger(ctx, memberID, -amount, source, reason, key, nil, nil)
}

// AdjustPoints is a staff correction (either sign) with a reason.
func (s *Store) AdjustPoints(ctx context.Context, memberID uint64, delta int64, reason string, staffID uint64, key string) (*PointsEntry, bool, error) {
	if delta == 0 {
		return nil, false, Errorf(EINVALID, "an adjustment must change the balance")
	}
	if strings.TrimSpace(reason) == "" {
		return nil, false, Errorf(EINVALID, "an adjustment needs a reason")
	}
	return s.ledger(ctx, memberID, delta, SourceStaff, reason, key, nil, &staffID)
}

func (s *Store) ledger(ctx context.Context, memberID uint64, delta int64, source, reason, key string, expiresAt *time.Time, staffID *uint64) (e *PointsEntry, dup bool, err error) {
	if key == "" || len(key) > 150 {
		return nil, false, Errorf(EINVALID, "a points entry needs an idempotency key of 1-150 bytes")
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		e, dup, err = ledgerTx(tx, s.now(), memberID, delta, source, reason, key, expiresAt, staffID)
		return err
	})
	return e, dup, translate("points", err)
}

// ledgerTx writes one entry inside tx: lock the member, check the key,
// check the balance, consume the oldest earned points, append, update the
// cached balance.
func ledgerTx(tx *gorm.DB, now time.Time, memberID uint64, delta int64, source, reason, key string, expiresAt *time.Time, staffID *uint64) (*PointsEntry, bool, error) {
	var m Member
	if err := tx.Clauses(lockForUpdate(tx)...).Select("id, points").Take(&m, memberID).Error; err != nil {
		return nil, false, err
	}
	var prior PointsEntry
	err := tx.Where("idem_key = ?", key).Take(&prior).Error
	if err == nil {
		return &prior, true, nil
	}
	if !isNotFound(err) {
		return nil, false, err
	}
	balance := m.Points + delta
	if balance < 0 {
		return nil, false, Errorf(EINVALID, "not enough points: the balance is %d", m.Points)
	}
	e := &PointsEntry{MemberID: memberID, Delta: delta, Balance: balance, Source: source,
		Reason: truncateUTF8(reason, 191), IdemKey: key, ExpiresAt: expiresAt, StaffID: staffID, CreatedAt: now}
	if delta > 0 {
		e.Remaining = delta
	} else if err := consumeOldest(tx, memberID, -delta); err != nil {
		return nil, false, err
	}
	if err := tx.Create(e).Error; err != nil {
		return nil, false, err
	}
	if err := tx.Model(&Member{}).Where("id = ?", memberID).Update("points", balance).Error; err != nil {
		return nil, false, err
	}
	return e, false, nil
}

// consumeOldest takes amount from the remaining points of the oldest earned
// entries (soonest to expire first).
func consumeOldest(tx *gorm.DB, memberID uint64, amount int64) error {
	for amount > 0 {
		var lots []PointsEntry
		if err := tx.Where("member_id = ? AND remaining > 0", memberID).
			Order("CASE WHEN expires_at IS NULL THEN 1 ELSE 0 END, expires_at, id").Limit(50).Find(&lots).Error; err != nil {
			return err
		}
		if len(lots) == 0 {
			return nil // adjustments may have reduced the balance below the lots; nothing left to consume
		}
		for _, l := range lots {
			take := min(l.Remaining, amount)
			if err := tx.Model(&PointsEntry{}).Where("id = ?", l.ID).Update("remaining", l.Remaining-take).Error; err != nil {
				return err
			}
			amount -= take
			if amount == 0 {
				return nil
			}
		}
	}
	return nil
}

// Balance returns a member's points.
func (s *Store) Balance(ctx context.Context, memberID uint64) (int64, error) {
	var m Member
	err := s.db.WithContext(ctx).Select("points").Take(&m, memberID).Error
	return m.Points, translate("balance", err)
}

// PointsHistory returns a member's newest entries first.
func (s *Store) PointsHistory(ctx context.Context, memberID uint64, limit int) ([]PointsEntry, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var out []PointsEntry
	err := s.db.WithContext(ctx).Where("member_id = ?", memberID).Order("id DESC").Limit(limit).Find(&out).Error
	return out, translate("points history", err)
}

// ExpirePoints expires earned points past their expiry date, one expiry
// entry per lot (idempotent: a lot expires once). It returns how many lots
// expired.
func (s *Store) ExpirePoints(ctx context.Context, limit int) (int, error) {
	var lots []PointsEntry
	err := s.db.WithContext(ctx).Where("remaining > 0 AND expires_at IS NOT NULL AND expires_at <= ?", s.now()).
		Order("expires_at, id").Limit(limit).Find(&lots).Error
	if err != nil {
		return 0, translate("expire points", err)
	}
	n := 0
	for _, l := range lots {
		err := s.tx(ctx, func(tx *gorm.DB) error {
			var fresh PointsEntry
			if err := tx.Take(&fresh, l.ID).Error; err != nil || fresh.Remaining <= 0 {
				return err
			}
			var m Member
			if err := tx.Clauses(lockForUpdate(tx)...).Select("id, points").Take(&m, l.MemberID).Error; err != nil {
				return err
			}
			amount := min(fresh.Remaining, m.Points)
			if err := tx.Model(&PointsEntry{}).Where("id = ?", l.ID).Update("remaining", 0).Error; err != nil {
				return err
			}
			if amount <= 0 {
				return nil
			}
			e := &PointsEntry{MemberID: l.MemberID, Delta: -amount, Balance: m.Points - amount, Source: SourceExpiry,
				Reason: SystemReason(ReasonExpiry, ""), IdemKey: "expire:" + itoa(l.ID), CreatedAt: s.now()}
			if err := tx.Create(e).Error; err != nil {
				return err
			}
			return tx.Model(&Member{}).Where("id = ?", l.MemberID).Update("points", e.Balance).Error
		})
		if err != nil {
			return n, translate("expire points", err)
		}
		n++
	}
	return n, nil
}
