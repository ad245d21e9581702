package api

import (
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/templates"
)

// Request and response shapes of the member CRM endpoints.

// MemberProfile is what a member told about themselves, with their consent time.
type MemberProfile struct {
	Name      string    `json:"name,omitempty"`
	Birthday  string    `json:"birthday,omitempty"`
	Region    string    `json:"region,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	Interests string    `json:"interests,omitempty"`
	ConsentAt time.Time `json:"consent_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Change is one step of a member's stage or level history.
type Change struct {
	Field      string    `json:"field"` // stage or level
	From       string    `json:"from,omitempty"`
	To         string    `json:"to"`
	Reason     string    `json:"reason,omitempty"`      // in English for system reasons
	ReasonCode string    `json:"reason_code,omitempty"` // set for system reasons (docs/api.md)
	StaffID    *uint64   `json:"staff_id,omitempty"`    // set when staff marked it
	CreatedAt  time.Time `json:"created_at"`
}

// MarkRequest is the body of PUT /members/:openid/stage and /level.
type MarkRequest struct {
	Stage  string `json:"stage,omitempty"`
	Level  string `json:"level,omitempty"`
	Reason string `json:"reason"`
}

// MarkResult answers a mark: the member now, and whether it changed.
type MarkResult struct {
	Member  Member `json:"member"`
	Changed bool   `json:"changed"`
}

// TagRequest is the body of POST /members/:openid/tags.
type TagRequest struct {
	Name string `json:"name"`
}

// PointsEntry is one line of a member's points ledger.
type PointsEntry struct {
	ID         uint64     `json:"id"`
	Delta      int64      `json:"delta"`
	Balance    int64      `json:"balance"`
	Source     string     `json:"source"`
	Reason     string     `json:"reason,omitempty"`      // in English for system reasons
	ReasonCode string     `json:"reason_code,omitempty"` // set for system reasons (docs/api.md)
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	StaffID    *uint64    `json:"staff_id,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

func pointsOut(e *models.PointsEntry) PointsEntry {
	out := PointsEntry{ID: e.ID, Delta: e.Delta, Balance: e.Balance, Source: e.Source,
		ExpiresAt: e.ExpiresAt, StaffID: e.StaffID, CreatedAt: e.CreatedAt}
	out.Reason, out.ReasonCode = e.ReasonText(apiReason)
	return out
}

// apiReason renders system reason codes for API clients: in English, with
// the code alongside.
var apiReason = templates.Reason(templates.LangEN)

func changeOut(ch *models.MemberChange) Change {
	out := Change{Field: ch.Field, From: ch.From, To: ch.To, StaffID: ch.StaffID, CreatedAt: ch.CreatedAt}
	out.Reason, out.ReasonCode = ch.ReasonText(apiReason)
	return out
}

// Points is a member's balance and newest ledger entries.
type Points struct {
	Balance int64         `json:"balance"`
	Entries []PointsEntry `json:"entries"`
}

// AdjustRequest is the body of POST /members/:openid/points.
type AdjustRequest struct {
	Delta          int64  `json:"delta"`
	Reason         string `json:"reason"`
	IdempotencyKey string `json:"idempotency_key,omitempty"` // or the Idempotency-Key header
}

// AdjustResult answers an adjustment; Duplicate is true for a repeated key.
type AdjustResult struct {
	Entry     PointsEntry `json:"entry"`
	Duplicate bool        `json:"duplicate"`
}

// ReferralNode is a member of someone's downline with its depth.
type ReferralNode struct {
	Member Member `json:"member"`
	Depth  int    `json:"depth"` // 1: brought directly
}

// Referrals is the chain above a member and their downline.
type Referrals struct {
	Upline   []Member       `json:"upline"` // nearest first
	Downline []ReferralNode `json:"downline"`
	Direct   int            `json:"direct"`
}

// Redemption is a gift a member took, with its coupon code.
type Redemption struct {
	ID         uint64     `json:"id"`
	OpenID     string     `json:"openid,omitempty"`
	GiftID     uint64     `json:"gift_id"`
	GiftName   string     `json:"gift_name"`
	Points     int64      `json:"points"`
	Code       string     `json:"code"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	UsedAt     *time.Time `json:"used_at,omitempty"`
	UsedBy     *uint64    `json:"used_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

func redemptionOut(r *models.Redemption, openID string) Redemption {
	return Redemption{ID: r.ID, OpenID: openID, GiftID: r.GiftID, GiftName: r.GiftName, Points: r.Points, Code: r.Code,
		ValidUntil: r.ValidUntil, UsedAt: r.UsedAt, UsedBy: r.UsedBy, CreatedAt: r.CreatedAt}
}
