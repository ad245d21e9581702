package models

import (
	"context"
	"time"
)

// MaxPermanentQR is how many permanent QR codes WeChat gives an account.
const MaxPermanentQR = 100000

// QRIssuer asks WeChat for a code with a string scene, temporary for
// expire or permanent when expire is 0 (wechat.Client.CreateQR).
type QRIssuer func(ctx context.Context, scene string, expire time.Duration) (ticket, url string, expireSeconds int64, err error)

// IssueChannel creates a channel with its QR code: it checks the form
// and the welcome gift, refuses a scene already in use and a permanent code beyond maxPermanent
// (MaxPermanentQR when ≤ 0) before asking WeChat, so a refused form costs
// no code, then has issue make the code and stores the channel.
func (s *Store) IssueChannel(ctx context.Context, n NewChannel, maxPermanent int64, issue QRIssuer) (*Channel, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if n.WelcomeGiftID != 0 {
		if _, err := s.FindGift(ctx, n.WelcomeGiftID); ErrorCode(err) == ENOTFOUND {
			return nil, Errorf(EINVALID, "the welcome gift does not exist")
		} else if err != nil {
			return nil, err
		}
	}
	if c, err := s.ChannelByScene(ctx, n.Scene); err != nil {
		return nil, err
	} else if c != nil {
		return nil, Errorf(ECONFLICT, "scene %q is already used by channel %q", n.Scene, c.Name)
	}
	var expire time.Duration
	if n.Permanent {
		if maxPermanent <= 0 {
			maxPermanent = MaxPermanentQR
		}
		used, err := s.CountPermanentChannels(ctx)
		if err != nil {
			return nil, err
		}
		if used >= maxPermanent {
			return nil, Errorf(ECONFLICT, "all %d permanent QR codes are used; make a temporary one", maxPermanent)
		}
	} else {
		expire = time.Duration(n.ExpireSeconds) * time.Second
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
