package roles

import (
	"context"
	"time"

	"github.com/fivec/fivec/models"
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
