package wechat

import (
	"context"
	"log/slog"

	"github.com/fivec/fivec/models"
)

// Sender delivers messages to fans outside the passive reply: it refuses
// fans who unfollowed, sends through the SDK (with the token retry) and logs
// every attempt in the member's conversation, including refusals.
type Sender struct {
	Store *models.Store
	WX    *Client
	Log   *slog.Logger
}

// ErrUnsubscribed is returned for sends to a fan who has unfollowed.
var ErrUnsubscribed = models.Errorf(models.EFORBIDDEN, "the fan has unfollowed the account")

// SendCustom sends r to openID as a customer-service message.
func (s *Sender) SendCustom(ctx context.Context, openID string, r models.Reply) error {
	if m, err := s.Store.FindMemberByOpenID(ctx, openID); err == nil && !m.Subscribed {
		s.record(ctx, openID, r, ErrUnsubscribed)
		return ErrUnsubscribed
	}
	err := s.WX.SendCustom(ctx, openID, r)
	s.record(ctx, openID, r, err)
	return err
}

func (s *Sender) record(ctx context.Context, openID string, r models.Reply, err error) {
	if err != nil {
		s.Log.Warn("customer-service send failed", "openid", openID, "errcode", ErrCode(err), "err", err)
	}
	lerr := s.Store.LogOutbound(context.WithoutCancel(ctx), models.Outbound{
		OpenID: openID, Channel: models.ChannelCustom, Reply: r, ErrCode: ErrCode(err), Err: err,
	})
	if lerr != nil {
		s.Log.Error("log outbound message", "openid", openID, "err", lerr)
	}
}
