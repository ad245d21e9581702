package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// The audience plan counts the fans the mass quota leaves out by the same
// rule as mass planning: with 2 a month, the two fans already sent 2 are
// over, the third is not, and planning the run skips exactly those two.
func TestPlanAudienceCountsFansOverTheMassQuota(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := clock(s, time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
		openIDs := bcMembers(t, s, "oq", 3)
		pol := models.BroadcastPolicy{Loc: shanghai, MonthlyPerFan: 2}
		admin := &models.Staff{ID: 1, Role: models.RoleAdmin}
		save := func(name string, to []string) *models.Broadcast {
			t.Helper()
			b, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: name, Kind: "text", Text: "x", Audience: "openids", OpenIDs: to}, 1, pol)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		// send schedules b (checked against sched), starts and plans its run
		// and submits its jobs.
		send := func(b *models.Broadcast, sched models.BroadcastPolicy) {
			t.Helper()
			name := b.Name
			at := now.Add(time.Minute)
			if _, err := s.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{At: &at}, admin, sched); err != nil {
				t.Fatalf("schedule %s: %v", name, err)
			}
			*now = now.Add(2 * time.Minute)
			if _, err := s.StartDueBroadcasts(ctx, pol); err != nil {
				t.Fatal(err)
			}
			if err := s.PlanMassRuns(ctx, models.MassRules{Policy: pol}); err != nil {
				t.Fatal(err)
			}
			for j, _ := s.ClaimMassJob(ctx, time.Minute); j != nil; j, _ = s.ClaimMassJob(ctx, time.Minute) {
				if err := s.FinishMassJob(ctx, j, models.MassOutcome{MsgID: int64(j.ID) + 5000, Status: "SUBMITTED"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i := 0; i < 2; i++ {
			send(save(fmt.Sprint("first", i), openIDs[:2]), pol)
		}
		all := save("all three", openIDs)
		plan, err := s.PlanAudience(ctx, all, pol, models.DefaultWindowRules)
		if err != nil || plan.Total != 3 || plan.OverQuota != 2 || plan.Mass != 1 || plan.Unreachable != 2 {
			t.Fatalf("plan: %+v %v", plan, err)
		}
		// Had the run been scheduled anyway (before the limit was lowered),
		// planning it leaves out the same two, by the same rule.
		send(all, models.BroadcastPolicy{Loc: shanghai})
		runs, err := s.BroadcastRuns(ctx, all.ID)
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs: %v %v", runs, err)
		}
		rep, err := s.RunReport(ctx, &runs[0])
		if err != nil || rep.Skipped != 2 || rep.Sent != 1 || rep.ByReason["WeChat filters it: 2 mass messages this month already"] != 2 {
			t.Fatalf("report: %+v %v", rep, err)
		}
		// A subscription account's quota is the account's, per day: no fan
		// is over.
		sub := pol
		sub.AccountType = models.AccountSubscription
		if plan, err := s.PlanAudience(ctx, all, sub, models.DefaultWindowRules); err != nil || plan.OverQuota != 0 || plan.Mass != 3 {
			t.Fatalf("subscription plan: %+v %v", plan, err)
		}
	})
}

// The audience plan counts the fans a direct broadcast reaches by
// customer-service message with the window rule itself: a message an hour
// ago opens the window, so do a menu click half a minute ago and a follow
// 20 s ago (3 messages in a minute); a follow 49 hours ago does not, nor a
// message whose 5 replies are used up.
func TestPlanAudienceCountsOpenWindowsByTheRule(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		start := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
		now := clock(s, start)
		openIDs := bcMembers(t, s, "pw", 5) // all followed at start
		in := func(openID string, at time.Time, m models.Inbound) {
			t.Helper()
			*now = at
			m.OpenID, m.DedupeKey = openID, models.RandomToken(8)
			if _, _, _, err := s.RecordInbound(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		in("pw000", start.Add(48*time.Hour), models.Inbound{MsgType: "text", Content: "hi"})                  // 1 h before the plan
		in("pw001", start.Add(49*time.Hour-30*time.Second), models.Inbound{MsgType: "event", Event: "click"}) // 30 s before (stored lowercased)
		in("pw002", start.Add(49*time.Hour-20*time.Second), models.Inbound{MsgType: "event", Event: "subscribe"})
		in("pw003", start.Add(48*time.Hour), models.Inbound{MsgType: "text", Content: "hi"})
		for i := 0; i < 5; i++ {
			if err := s.LogOutbound(ctx, models.Outbound{OpenID: "pw003", Channel: models.ChannelCustom, Reply: models.TextReply("r")}); err != nil {
				t.Fatal(err)
			}
		}
		*now = start.Add(49 * time.Hour) // pw004 followed 49 h ago and said nothing since
		b, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "direct", Kind: "text", Text: "x", Audience: "openids",
			OpenIDs: openIDs, Channel: models.BroadcastDirect, TemplateID: "TPL"}, 1, models.BroadcastPolicy{Loc: shanghai})
		if err != nil {
			t.Fatal(err)
		}
		plan, err := s.PlanAudience(ctx, b, models.BroadcastPolicy{Loc: shanghai}, models.DefaultWindowRules)
		if err != nil || plan.Total != 5 || plan.Custom != 3 || plan.Template != 2 {
			t.Fatalf("plan: %+v %v", plan, err)
		}
	})
}
