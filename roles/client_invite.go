package roles

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fivec/fivec/models"
)

// InviteQRIssuer issues a member's referral code through WeChat's qrcode
// API and downloads its image, as channel codes are (*wechat.Client).
type InviteQRIssuer interface {
	IssueQR(ctx context.Context, scene string, expire time.Duration) (ticket, url string, expireSeconds int64, err error)
	QRImage(ctx context.Context, ticket string) (data []byte, contentType string, err error)
}

// inviteQRLife is how long an invitation code works (WeChat's temporary
// codes last at most 30 days); the image is fetched anew each day.
const inviteQRLife = 30 * 24 * time.Hour

// Invitations is the fan's "my invitations": the friends they brought and
// the rewards, pending and paid.
type Invitations struct {
	Code    string
	Friends []models.ReferralReward
	Pending int64 // points waiting for the friends to stay long enough
	Paid    int64
	// Points and HoldDays: what one friend brings, and after how long.
	Points   int64
	HoldDays int
}

// Invitations gathers m's invitations (the newest 100 friends).
func (c *Client) Invitations(ctx context.Context, m *models.Member) (*Invitations, error) {
	code, err := c.Store.ReferralCode(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	r := c.rules()
	inv := &Invitations{Code: code, Points: r.ReferralPoints, HoldDays: int(r.ReferralHold.Hours() / 24)}
	if inv.Friends, err = c.Store.ReferralRewards(ctx, m.ID, 100); err != nil {
		return nil, err
	}
	for _, f := range inv.Friends {
		switch f.State {
		case models.RewardPending:
			inv.Pending += f.Points
		case models.RewardPaid:
			inv.Paid += f.Points
		}
	}
	return inv, nil
}

// ErrNoQR: no WeChat account to issue the invitation QR code with.
var ErrNoQR = errors.New("invitation QR codes are not available")

type qrCache struct {
	png []byte
	at  time.Time
}

// inviteQRCache is how long a fetched code image is kept in memory, so
// reopening the page does not issue a new code each time.
const inviteQRCache = 24 * time.Hour

// InviteQR returns the PNG of m's referral QR code: a 30-day code with the
// scene ref_<code> from WeChat's qrcode API (the fake's in the sandbox),
// downloaded through the same client as channel codes. It is kept a day per
// member.
func (c *Client) InviteQR(ctx context.Context, m *models.Member) ([]byte, error) {
	if c.Invites == nil {
		return nil, ErrNoQR
	}
	now := c.Now()
	c.qrMu.Lock()
	if p, ok := c.qrs[m.ID]; ok && now.Sub(p.at) < inviteQRCache {
		c.qrMu.Unlock()
		return p.png, nil
	}
	c.qrMu.Unlock()
	code, err := c.Store.ReferralCode(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	ticket, _, _, err := c.Invites.IssueQR(ctx, models.ReferralScenePrefix+code, inviteQRLife)
	if err != nil {
		return nil, fmt.Errorf("invite qr: %w", err)
	}
	data, ctype, err := c.Invites.QRImage(ctx, ticket)
	if err != nil {
		return nil, fmt.Errorf("invite qr image: %w", err)
	}
	if ctype != "image/png" && ctype != "image/jpeg" {
		return nil, fmt.Errorf("invite qr image: %q", ctype)
	}
	c.qrMu.Lock()
	if c.qrs == nil || len(c.qrs) > 1000 {
		c.qrs = map[uint64]qrCache{}
	}
	c.qrs[m.ID] = qrCache{png: data, at: now}
	c.qrMu.Unlock()
	return data, nil
}

// inviteState is the Client's cache of invitation codes (client.go's
// struct embeds it).
type inviteState struct {
	qrMu sync.Mutex
	qrs  map[uint64]qrCache
}
