package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestTemplateFinishFailsSends: a template message the fan refused stayed
// "sent" (TEMPLATESENDJOBFINISH was ignored). A failure turns the push
// recipient and the message-log row of that msgid from sent to failed, with
// WeChat's status as the reason, whether the event is stored after the send
// or before it (the platform may be faster than fivec); "success" changes
// nothing; a retried event changes nothing; progress and the broadcast
// report count the failures apart, by status.
func TestTemplateFinishFailsSends(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ids := followers(t, s, "tplfin", 3)
		p, err := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "模板", Reply: models.TextReply("周末八折"),
			TemplateID: "TPL", TemplateData: map[string]string{"thing1": "周末八折"}}, ids)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := s.ClaimRecipients(ctx, "w", 10, time.Minute)
		if err != nil || len(rs) != 3 {
			t.Fatalf("claimed %d: %v", len(rs), err)
		}
		msgID := map[string]int64{rs[0].OpenID: 7001, rs[1].OpenID: 7002, rs[2].OpenID: 7003}
		finish := func(r models.Recipient) {
			t.Helper()
			if err := s.FinishRecipient(ctx, &r, "w", models.Outcome{State: models.RcptSent, Channel: models.ChannelTemplate, TemplateMsgID: msgID[r.OpenID]}); err != nil {
				t.Fatal(err)
			}
			if err := s.LogOutbound(ctx, models.Outbound{OpenID: r.OpenID, Channel: models.ChannelTemplate,
				Reply: models.Reply{Kind: "template", Title: "thing1=周末八折"}, TemplateMsgID: msgID[r.OpenID]}); err != nil {
				t.Fatal(err)
			}
		}
		event := func(r models.Recipient, status string, failed bool) bool {
			t.Helper()
			ours, err := s.RecordTemplateFinish(ctx, models.TemplateFinish{MsgID: msgID[r.OpenID], OpenID: r.OpenID, Status: status, Failed: failed})
			if err != nil {
				t.Fatal(err)
			}
			return ours
		}
		finish(rs[0])
		if !event(rs[0], "failed: system failed", true) {
			t.Error("a failure of a stored send is not reported as ours")
		}
		// The event comes first: nothing to mark yet; the send finds it.
		if event(rs[1], "failed:user block", true) {
			t.Error("a failure before its send is reported as matched")
		}
		finish(rs[1])
		finish(rs[2])
		if !event(rs[2], "success", false) {
			t.Error("a success of a stored send is not reported as ours")
		}
		event(rs[0], "failed: system failed", true) // WeChat's retry

		counts, err := s.PushProgress(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if counts[models.RcptSent] != 1 || counts[models.RcptFailed] != 2 {
			t.Errorf("progress %v, want 1 sent and 2 failed", counts)
		}
		rep, err := s.RunReport(ctx, &models.BroadcastRun{ID: 1, PushID: p.ID, State: models.RunDone, StartedAt: time.Now().Add(-time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failed != 2 || rep.Sent != 1 || len(rep.ByErrCode) != 0 ||
			rep.ByTemplateStatus["failed:user block"] != 1 || rep.ByTemplateStatus["failed: system failed"] != 1 {
			t.Errorf("report: sent %d failed %d by errcode %v by status %v", rep.Sent, rep.Failed, rep.ByErrCode, rep.ByTemplateStatus)
		}
		for i, want := range []struct{ state, status string }{
			{models.StateFailed, "failed: system failed"}, {models.StateFailed, "failed:user block"}, {models.StateSent, ""},
		} {
			log, err := s.Conversation(ctx, rs[i].OpenID, 10)
			if err != nil || len(log) != 1 {
				t.Fatalf("%s: log %+v %v", rs[i].OpenID, log, err)
			}
			status, _ := models.TemplateFailureStatus(log[0].Error)
			if log[0].State != want.state || status != want.status {
				t.Errorf("%s: logged %s %q, want %s with status %q", rs[i].OpenID, log[0].State, log[0].Error, want.state, want.status)
			}
		}
	})
}
