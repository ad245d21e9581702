package roles

import (
	"context"
	"fmt"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// QRIssuer asks WeChat for a code with a string scene, temporary for
// expire or permanent when expire is 0 (wechat.Client.IssueQR).
type QRIssuer func(ctx context.Context, scene string, expire time.Duration) (ticket, url string, expireSeconds int64, err error)

// IssueChannel creates a channel (a Client QR code) for the console and the
// API: the store checks the form first (models.Store.CheckNewChannel), so a
// refused form costs no code; then issue makes the code and the channel is
// stored with it.
func IssueChannel(ctx context.Context, s *models.Store, n models.NewChannel, maxPermanent int64, issue QRIssuer) (*models.Channel, error) {
	expire, err := s.CheckNewChannel(ctx, n, maxPermanent)
	if err != nil {
		return nil, err
	}
	ticket, url, seconds, err := issue(ctx, n.Scene, expire)
	if err != nil {
		return nil, err
	}
	if n.Permanent {
		seconds = 0
	} else if seconds <= 0 {
		seconds = n.ExpireSeconds
	}
	return s.CreateChannel(ctx, n, ticket, url, seconds)
}

// ChannelQR is a channel's code image, ready to download.
type ChannelQR struct {
	Data        []byte
	ContentType string
	Filename    string // qr-<scene>.png
}

// ChannelQRImage fetches the image of channel id's code from WeChat, for the
// console and the API. An unknown id is ENOTFOUND; so is a temporary code
// past its expiry (models.Channel.Expired), which is not fetched: WeChat no
// longer resolves its scans, and the message says when it expired (in loc)
// and what to do instead (see qrExpiredMessage). wx nil: no WeChat account
// is configured.
func ChannelQRImage(ctx context.Context, s *models.Store, wx *wechat.Client, id uint64, now time.Time, loc *time.Location) (*ChannelQR, error) {
	ch, err := s.FindChannel(ctx, id)
	if err != nil {
		return nil, err
	}
	if ch.Expired(now) {
		return nil, models.Errorf(models.ENOTFOUND, qrExpiredMessage, ch.ExpiresAt.In(loc).Format(qrExpiredLayout))
	}
	if wx == nil {
		return nil, fmt.Errorf("channel QR: no WeChat client configured")
	}
	data, ctype, err := wx.QRImage(ctx, ch.Ticket)
	if err != nil {
		return nil, err
	}
	return &ChannelQR{Data: data, ContentType: ctype, Filename: "qr-" + ch.Scene + ".png"}, nil
}

// qrExpiredMessage is the one message of an expired code's download: the
// API says it as it is, the console translates it (errmsg.qr_expired in
// handlers/console/messages.go). Its argument is the expiry, formatted with
// qrExpiredLayout in the account zone.
const qrExpiredMessage = "this QR code expired on %s; create a new channel for a fresh code"

// qrExpiredLayout names the zone's offset, so API clients read the time
// unambiguously.
const qrExpiredLayout = "2006-01-02 15:04 -07:00"
