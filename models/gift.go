package models

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Gift kinds.
const (
	GiftItem   = "gift"
	GiftCoupon = "coupon"
)

// Gift is something members redeem points for.
type Gift struct {
	ID    uint64 `gorm:"primaryKey"`
	Name  string `gorm:"size:100;not null"`
	Kind  string `gorm:"size:16;not null"`
	Cost  int64  `gorm:"not null"`
	Stock int64  `gorm:"not null"`
	// No column defaults: gorm replaces a zero value by the default on
	// insert, so an inactive gift would be created active.
	ValidDays int  `gorm:"not null"` // coupons: days the code is valid
	Active    bool `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate checks a gift.
func (g *Gift) Validate() error {
	g.Name = strings.TrimSpace(g.Name)
	if g.Name == "" || len(g.Name) > 100 {
		return Errorf(EINVALID, "gift name must be 1-100 characters")
	}
	if g.Kind != GiftItem && g.Kind != GiftCoupon {
		return Errorf(EINVALID, "kind must be gift or coupon")
	}
	if g.Cost <= 0 || g.Stock < 0 || g.ValidDays < 0 {
		return Errorf(EINVALID, "cost must be positive; stock and validity must not be negative")
	}
	return nil
}

// Redemption is one gift a member took, with its coupon code.
type Redemption struct {
	ID         uint64 `gorm:"primaryKey"`
	MemberID   uint64 `gorm:"index;not null"`
	GiftID     uint64 `gorm:"index;not null"`
	GiftName   string `gorm:"size:100"`
	Points     int64  `gorm:"not null"`
	Code       string `gorm:"size:32;uniqueIndex;not null"`
	ValidUntil *time.Time
	UsedAt     *time.Time
	UsedBy     *uint64
	IdemKey    string `gorm:"size:150;uniqueIndex;not null"`
	CreatedAt  time.Time
}

// SaveGift creates (ID 0) or updates a gift.
func (s *Store) SaveGift(ctx context.Context, g Gift) (*Gift, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	var err error
	if g.ID == 0 {
		err = s.db.WithContext(ctx).Create(&g).Error
	} else {
		err = s.db.WithContext(ctx).Model(&Gift{}).Where("id = ?", g.ID).
			Updates(map[string]any{"name": g.Name, "kind": g.Kind, "cost": g.Cost, "stock": g.Stock, "valid_days": g.ValidDays, "active": g.Active}).Error
	}
	return &g, translate("save gift", err)
}

// ListGifts returns the catalogue (active only when activeOnly).
func (s *Store) ListGifts(ctx context.Context, activeOnly bool) ([]Gift, error) {
	q := s.db.WithContext(ctx).Order("cost, id")
	if activeOnly {
		q = q.Where("active = ?", true)
	}
	var out []Gift
	return out, translate("list gifts", q.Find(&out).Error)
}

// Redeem spends a member's points on a gift in one transaction: the gift's
// stock and the points are both reserved or neither. A repeated key returns
// the first redemption.
func (s *Store) Redeem(ctx context.Context, memberID, giftID uint64, key string) (*Redemption, error) {
	var r Redemption
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("idem_key = ?", key).Take(&r).Error; err == nil {
			return nil
		} else if !isNotFound(err) {
			return err
		}
		var g Gift
		if err := tx.Clauses(lockForUpdate(tx)...).Take(&g, giftID).Error; err != nil {
			if isNotFound(err) {
				return Errorf(ENOTFOUND, "no such gift")
			}
			return err
		}
		if !g.Active {
			return Errorf(EINVALID, "this gift is not available")
		}
		// The stock is decremented conditionally so two redemptions cannot
		// both take the last one (SQLite has no row locks).
		res := tx.Model(&Gift{}).Where("id = ? AND stock > 0", giftID).Update("stock", gorm.Expr("stock - 1"))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ECONFLICT, "%s is out of stock", g.Name)
		}
		if _, _, err := ledgerTx(tx, s.now(), memberID, -g.Cost, SourceRedemption, SystemReason(ReasonRedeem, g.Name), "redeem:"+key, nil, nil); err != nil {
			return err
		}
		r = Redemption{MemberID: memberID, GiftID: g.ID, GiftName: g.Name, Points: g.Cost,
			Code: couponCode(), IdemKey: key, CreatedAt: s.now()}
		if g.Kind == GiftCoupon && g.ValidDays > 0 {
			until := s.now().AddDate(0, 0, g.ValidDays)
			r.ValidUntil = &until
		}
		return tx.Create(&r).Error
	})
	if err != nil {
		return nil, translate("redeem", err)
	}
	return &r, nil
}

// GrantGift gives a member a gift or coupon for free (a welcome gift): the
// stock is taken like a redemption, no points are spent. A repeated key
// returns the first grant.
func (s *Store) GrantGift(ctx context.Context, memberID, giftID uint64, key string) (*Redemption, error) {
	var r Redemption
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("idem_key = ?", key).Take(&r).Error; err == nil {
			return nil
		} else if !isNotFound(err) {
			return err
		}
		var g Gift
		if err := tx.Take(&g, giftID).Error; err != nil {
			return err
		}
		res := tx.Model(&Gift{}).Where("id = ? AND stock > 0 AND active = ?", giftID, true).Update("stock", gorm.Expr("stock - 1"))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ECONFLICT, "%s is out of stock or not available", g.Name)
		}
		r = Redemption{MemberID: memberID, GiftID: g.ID, GiftName: g.Name, Code: couponCode(), IdemKey: key, CreatedAt: s.now()}
		if g.Kind == GiftCoupon && g.ValidDays > 0 {
			until := s.now().AddDate(0, 0, g.ValidDays)
			r.ValidUntil = &until
		}
		return tx.Create(&r).Error
	})
	if err != nil {
		return nil, translate("grant gift", err)
	}
	return &r, nil
}

// MarkCouponUsed records that staff accepted a coupon code. A coupon is
// accepted once: of several cashiers (or processes) accepting one code at
// the same moment, one succeeds and the others get ECONFLICT. On ECONFLICT
// the redemption is returned too, with UsedAt set when it was used (and
// ValidUntil when it expired), so a console can say when.
func (s *Store) MarkCouponUsed(ctx context.Context, code string, staffID uint64) (*Redemption, error) {
	var r Redemption
	found := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("code = ?", strings.ToUpper(strings.TrimSpace(code))).Take(&r).Error; err != nil {
			if isNotFound(err) {
				return Errorf(ENOTFOUND, "no coupon with this code")
			}
			return err
		}
		found = true
		if r.UsedAt != nil {
			return errCouponUsed(r)
		}
		if r.ValidUntil != nil && s.now().After(*r.ValidUntil) {
			return Errorf(ECONFLICT, "this coupon expired on %s", r.ValidUntil.Format(time.DateOnly))
		}
		now := s.now()
		// The read above may be stale: another transaction can have used the
		// coupon since (MySQL reads a snapshot; the UPDATE sees the latest
		// row). Only the update that changed the row accepted the coupon.
		res := tx.Model(&Redemption{}).Where("id = ? AND used_at IS NULL", r.ID).Updates(map[string]any{"used_at": now, "used_by": staffID})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			if err := tx.Clauses(lockForUpdate(tx)...).Take(&r, r.ID).Error; err != nil {
				return err
			}
			return errCouponUsed(r)
		}
		r.UsedAt, r.UsedBy = &now, &staffID
		return nil
	})
	if err != nil && !found {
		return nil, translate("use coupon", err)
	}
	return &r, translate("use coupon", err)
}

// errCouponUsed is the refusal of a coupon accepted before.
func errCouponUsed(r Redemption) error {
	if r.UsedAt == nil {
		return Errorf(ECONFLICT, "this coupon was already used")
	}
	return Errorf(ECONFLICT, "this coupon was already used on %s", r.UsedAt.Format(time.DateTime))
}

// Redemptions returns a member's redemptions, newest first.
func (s *Store) Redemptions(ctx context.Context, memberID uint64) ([]Redemption, error) {
	var out []Redemption
	err := s.db.WithContext(ctx).Where("member_id = ?", memberID).Order("id DESC").Find(&out).Error
	return out, translate("redemptions", err)
}

// couponCode is 10 characters from an alphabet without look-alikes (0/O, 1/I).
func couponCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
