package wechat

import (
	"context"
	"strings"

	"github.com/silenceper/wechat/v2/officialaccount/customerservice"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/models"
)

// Typing shows "typing…" to the fan (WeChat allows it within 30 s of the
// fan's last interaction; it lasts 15 s).
func (c *Client) Typing(ctx context.Context, openID string) error {
	return c.call(ctx, func() error { return c.kf.SendTypingStatus(openID, customerservice.Typing) })
}

// SendTemplate sends a template message (any time, to a following fan).
func (c *Client) SendTemplate(ctx context.Context, openID, templateID string, data map[string]string) (int64, error) {
	msg := &message.TemplateMessage{ToUser: openID, TemplateID: templateID, Data: map[string]*message.TemplateDataItem{}}
	for k, v := range data {
		msg.Data[k] = &message.TemplateDataItem{Value: v}
	}
	var id int64
	err := c.call(ctx, func() error {
		var err error
		id, err = c.tmpl.Send(msg)
		return err
	})
	return id, err
}

// SendTemplate sends a template message to openID and records it in the
// conversation (refused for fans who unfollowed). It returns the msgid
// WeChat gave the message, which TEMPLATESENDJOBFINISH later reports on
// (kept on the conversation's row).
func (s *Sender) SendTemplate(ctx context.Context, openID, templateID string, data map[string]string) (int64, error) {
	var parts []string
	for k, v := range data {
		parts = append(parts, k+"="+v)
	}
	r := models.Reply{Kind: "template", Title: strings.Join(parts, " ")}
	if m, err := s.Store.FindMemberByOpenID(ctx, openID); err == nil && !m.Subscribed {
		s.log(ctx, openID, models.ChannelTemplate, r, ErrUnsubscribed)
		return 0, ErrUnsubscribed
	}
	id, err := s.WX.SendTemplate(ctx, openID, templateID, data)
	if err != nil {
		id = 0
	}
	s.logWith(ctx, models.Outbound{OpenID: openID, Channel: models.ChannelTemplate, Reply: r, TemplateMsgID: id}, err)
	return id, err
}
