package wechat

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/basic"
)

// QRCode is a ticket WeChat issued for a scene.
type QRCode struct {
	Ticket        string
	URL           string // what the code encodes
	ExpireSeconds int64
}

// CreateQR asks WeChat for a QR code with a string scene: temporary for
// expire (≤ 30 days) or permanent when expire is 0. String scenes avoid the
// SDK's integer-scene pitfalls (a non-int integer panics, 0 is dropped).
func (c *Client) CreateQR(ctx context.Context, scene string, expire time.Duration) (*QRCode, error) {
	var req *basic.Request
	if expire > 0 {
		req = basic.NewTmpQrRequest(expire, scene)
	} else {
		req = basic.NewLimitQrRequest(scene)
	}
	var t *basic.Ticket
	err := c.call(ctx, func() error {
		var err error
		t, err = c.basic.GetQRTicket(req)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &QRCode{Ticket: t.Ticket, URL: t.URL, ExpireSeconds: t.ExpireSeconds}, nil
}

// QRImageURL is where the code's image is fetched (the ticket URL-encoded,
// which the SDK's ShowQRCode forgets).
func (c *Client) QRImageURL(ticket string) string {
	base := "https://mp.weixin.qq.com"
	if b, _ := apiBase.Load().(string); b != "" && b != RealAPIBase {
		base = strings.TrimRight(b, "/")
	}
	return base + "/cgi-bin/showqrcode?ticket=" + url.QueryEscape(ticket)
}

// ReferralQRCode makes a 30-day code for a member's referral scene and
// returns its image URL (used by the Client role).
func (c *Client) ReferralQRCode(ctx context.Context, scene string) (string, error) {
	qr, err := c.CreateQR(ctx, scene, 30*24*time.Hour)
	if err != nil {
		return "", err
	}
	return c.QRImageURL(qr.Ticket), nil
}
