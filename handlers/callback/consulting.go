package callback

import (
	"context"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/models"
)

// Consulting (咨询台) answers prospects instantly. For now it greets new
// followers; keyword rules, FAQ and menu replies build on it.
type Consulting struct {
	// WelcomeText is sent on every follow.
	WelcomeText string
}

// Name implements Role.
func (Consulting) Name() string { return "consulting" }

// Handle implements Role.
func (c Consulting) Handle(ctx context.Context, t *Turn) error {
	if t.Msg.MsgType == message.MsgTypeEvent && t.Msg.Event == message.EventSubscribe && c.WelcomeText != "" {
		t.Reply(models.TextReply(c.WelcomeText))
		t.Done = true
	}
	return nil
}
