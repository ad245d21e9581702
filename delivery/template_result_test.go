package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

// TestTemplateSendKeepsMsgID: the engine keeps the msgid WeChat gives each
// template message on its recipient and on the message-log row, so that a
// later TEMPLATESENDJOBFINISH failure (here: the fan turned template
// messages off) turns that recipient from sent to failed and the push's
// progress counts it.
func TestTemplateSendKeepsMsgID(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxtplid" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		ids := fans(t, s, appID, "tm", 2, 0) // neither wrote: template messages only
		if err := platform.BlockTemplates(appID, "tm001", true); err != nil {
			t.Fatal(err)
		}
		p, err := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "模板", Reply: models.TextReply("周末八折"),
			TemplateID: "TPL", TemplateData: map[string]string{"thing1": "周末八折"}}, ids)
		if err != nil {
			t.Fatal(err)
		}
		s.Now = func() time.Time { return time.Now().Add(2 * time.Minute) } // the follow's minute is over
		d := newDelivery(s, appID, "w1")
		d.Now = s.Now
		if n, err := d.RunOnce(ctx); err != nil || n != 2 {
			t.Fatalf("delivered %d (%v), want 2", n, err)
		}
		rs, err := s.PushRecipients(ctx, p.ID, models.RcptSent, 0, 10)
		if err != nil || len(rs) != 2 {
			t.Fatalf("sent recipients %+v %v", rs, err)
		}
		var blocked models.Recipient
		for _, r := range rs {
			if r.Channel != models.ChannelTemplate || r.TemplateMsgID == 0 {
				t.Fatalf("recipient %s: channel %s msgid %d", r.OpenID, r.Channel, r.TemplateMsgID)
			}
			if r.OpenID == "tm001" {
				blocked = r
			}
		}
		// What the platform's job event says for the fan who blocked them.
		ours, err := s.RecordTemplateFinish(ctx, models.TemplateFinish{MsgID: blocked.TemplateMsgID, OpenID: "tm001", Status: fake.TemplateBlocked, Failed: true})
		if err != nil || !ours {
			t.Fatalf("template finish: ours %v, %v", ours, err)
		}
		prog, _ := s.PushProgress(ctx, p.ID)
		if prog[models.RcptSent] != 1 || prog[models.RcptFailed] != 1 {
			t.Errorf("progress %v, want 1 sent and 1 failed", prog)
		}
		log, _ := s.Conversation(ctx, "tm001", 10)
		if len(log) == 0 || log[len(log)-1].State != models.StateFailed || log[len(log)-1].TemplateMsgID != blocked.TemplateMsgID {
			t.Errorf("tm001's log: %+v", log)
		}
	})
}
