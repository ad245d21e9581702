package models

import (
	"context"
	"time"
)

// MaxPermanentQR is how many permanent QR codes WeChat gives an account.
const MaxPermanentQR = 100000

// CheckNewChannel checks a channel form before its QR code is made, so a
// refused form costs no code: the form, the welcome gift, a scene already in
// use, and a permanent code beyond maxPermanent (MaxPermanentQR when ≤ 0).
// It returns how long the code is to last (0: permanent). roles.IssueChannel
// then has WeChat make the code and stores the channel (CreateChannel).
func (s *Store) CheckNewChannel(ctx context.Context, n NewChannel, maxPermanent int64) (time.Duration, error) {
	if err := n.Validate(); err != nil {
		return 0, err
	}
	if n.WelcomeGiftID != 0 {
		if _, err := s.FindGift(ctx, n.WelcomeGiftID); ErrorCode(err) == ENOTFOUND {
			return 0, Errorf(EINVALID, "the welcome gift does not exist")
		} else if err != nil {
			return 0, err
		}
	}
	if c, err := s.ChannelByScene(ctx, n.Scene); err != nil {
		return 0, err
	} else if c != nil {
		return 0, Errorf(ECONFLICT, "scene %q is already used by channel %q", n.Scene, c.Name)
	}
	if !n.Permanent {
		return time.Duration(n.ExpireSeconds) * time.Second, nil
	}
	if maxPermanent <= 0 {
		maxPermanent = MaxPermanentQR
	}
	used, err := s.CountPermanentChannels(ctx)
	if err != nil {
		return 0, err
	}
	if used >= maxPermanent {
		return 0, Errorf(ECONFLICT, "all %d permanent QR codes are used; make a temporary one", maxPermanent)
	}
	return 0, nil
}
