package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// TestInboxTemplateRefusedByFan: a template message the fan refused stayed
// "sent" (TEMPLATESENDJOBFINISH was ignored). An agent sends the template
// fallback to a fan whose window has closed and who turned the account's
// template messages off; the fake WeChat accepts it, never shows it, and
// reports "failed:user block" through the real callback; the conversation
// and the member's log then show the send as failed, in words, with what to
// do next. After the fan turns template messages on again, a send stays
// sent.
func TestInboxTemplateRefusedByFan(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s, func(sv *roles.Service) { sv.TemplateID, sv.TemplateField = "TPL_SERVICE", "thing1" })
		verified := d.acct
		verified.Verified = true // template messages need a verified service account
		platform.AddAccount(verified)
		d.cb.Pipeline.Roles = append(d.cb.Pipeline.Roles, &roles.Center{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		d.staff("ann", models.RoleAgent)
		const fan = "oFanBlocksTpl"
		d.fan(fan, "人工")
		path := "/console/inbox/" + id(d.escalated(fan))
		d.advance(49 * time.Hour) // the window has closed
		a := d.browser().login("ann")
		expect(t, a.submit(path, path+"/claim", nil), 303)
		expect(t, a.get(path), 200, `id="template-form"`)

		if err := platform.BlockTemplates(d.acct.AppID, fan, true); err != nil {
			t.Fatal(err)
		}
		expect(t, a.submit(path, path+"/template", url.Values{"text": {"您的问题已处理"}}), 303)
		// templateRow waits (up to 5 s) for the n-th template send to be
		// logged in state.
		templateRow := func(n int, state string) models.Message {
			t.Helper()
			for i := 0; ; i++ {
				log, err := s.Conversation(ctx, fan, 50)
				if err != nil {
					t.Fatal(err)
				}
				var rows []models.Message
				for _, m := range log {
					if m.Direction == models.DirectionOut && m.Channel == models.ChannelTemplate {
						rows = append(rows, m)
					}
				}
				if len(rows) >= n && (rows[n-1].State == state || i > 50) {
					return rows[n-1]
				}
				if i > 50 {
					t.Fatalf("template sends in the log: %+v", rows)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		row := templateRow(1, models.StateFailed)
		if row.State != models.StateFailed || row.TemplateMsgID == 0 {
			t.Fatalf("the refused template message is logged %s (msgid %d, error %q), want failed", row.State, row.TemplateMsgID, row.Error)
		}
		for _, m := range platform.Inbox(d.acct.AppID, fan) {
			if m.Source == fake.SourceTemplate {
				t.Fatalf("the fan who blocked template messages got one: %+v", m)
			}
		}
		words := []string{"粉丝已拒收本公众号的模板消息", "粉丝在微信里重新接收后才能收到",
			"模板消息送达结果：粉丝已拒收本公众号的模板消息", // the event itself, in words
			"[模板消息] thing1=您的问题已处理"}   // the send, labelled in Chinese
		expect(t, a.get(path), 200, words...)
		expect(t, a.get("/console/members/"+fan), 200, words...)
		if body := a.get(path).Body.String(); strings.Contains(body, "user block") || strings.Contains(body, "[template]") {
			t.Error("the conversation shows WeChat's raw status or an English label")
		}

		// Turned on again: the next one is delivered and stays sent.
		if err := platform.BlockTemplates(d.acct.AppID, fan, false); err != nil {
			t.Fatal(err)
		}
		expect(t, a.submit(path, path+"/template", url.Values{"text": {"请查收新的优惠"}}), 303)
		time.Sleep(500 * time.Millisecond) // the job event's time to arrive
		if row := templateRow(2, models.StateSent); row.State != models.StateSent {
			t.Errorf("a delivered template message is logged %s %q", row.State, row.Error)
		}
	})
}
