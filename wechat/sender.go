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
		s.log(ctx, openID, models.ChannelCustom, r, ErrUnsubscribed)
		return ErrUnsubscribed
	}
	err := s.WX.SendCustom(ctx, openID, r)
	s.log(ctx, openID, models.ChannelCustom, r, err)
	return err
}

func (s *Sender) log(ctx context.Context, openID, channel string, r models.Reply, err error) {
	s.logWith(ctx, models.Outbound{OpenID: openID, Channel: channel, Reply: r}, err)
}

// logWith records o in the conversation with the outcome err.
func (s *Sender) logWith(ctx context.Context, o models.Outbound, err error) {
	if err != nil {
		s.Log.Warn("send failed", "channel", o.Channel, "openid", o.OpenID, "errcode", ErrCode(err), "err", err)
	}
	o.ErrCode, o.Err = ErrCode(err), err
	if lerr := s.Store.LogOutbound(context.WithoutCancel(ctx), o); lerr != nil {
		s.Log.Error("log outbound message", "openid", o.OpenID, "err", lerr)
	}
}
