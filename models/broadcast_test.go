package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func bcMembers(t *testing.T, s *models.Store, prefix string, n int) []string {
	t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%s%03d", prefix, i)
		if _, _, _, err := s.RecordInbound(context.Background(), models.Inbound{DedupeKey: "f" + id, OpenID: id, MsgType: "event", Event: "subscribe", Subscribe: true}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func clock(s *models.Store, at time.Time) *time.Time {
	now := at
	s.Now = func() time.Time { return now }
	return &now
}

func TestBroadcastComposeValidates(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		pol := models.BroadcastPolicy{Loc: shanghai, AccountType: models.AccountService}
		bad := []models.BroadcastInput{
			{Name: "", Kind: "text", Text: "x", Audience: "all"},
			{Name: "n", Kind: "text", Text: " ", Audience: "all"},
			{Name: "n", Kind: "video", Audience: "all"},
			{Name: "n", Kind: "mpnews", Audience: "all"},
			{Name: "n", Kind: "template", TemplateID: "T", Audience: "all"},
			{Name: "n", Kind: "text", Text: "x", Audience: "somebody"},
			{Name: "n", Kind: "text", Text: "x", Audience: "stage", AudienceRef: "vip"},
			{Name: "n", Kind: "text", Text: "x", Audience: "openids"},
			{Name: "n", Kind: "template", TemplateID: "T", TemplateData: map[string]string{"thing1": "x"}, Audience: "all", Channel: "mass"},
		}
		for _, in := range bad {
			if _, err := s.SaveBroadcast(ctx, 0, in, 1, pol); models.ErrorCode(err) != models.EINVALID {
				t.Errorf("%+v: %v, want invalid", in, err)
			}
		}
		sub := models.BroadcastPolicy{Loc: shanghai, AccountType: models.AccountSubscription}
		if _, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "n", Kind: "text", Text: "x", Audience: "openids", OpenIDs: []string{"a", "b"}, Channel: "mass"}, 1, sub); models.ErrorCode(err) != models.EINVALID {
			t.Errorf("subscription account mass/send by list: %v", err)
		}
		b, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "春季", Kind: "text", Text: "春季上新", Audience: "all"}, 1, pol)
		if err != nil || b.Channel != models.BroadcastMass || b.State != models.BroadcastDraft {
			t.Fatalf("save: %+v %v", b, err)
		}
		seg, _ := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "新客", Kind: "template", TemplateID: "TPL",
			TemplateData: map[string]string{"thing1": "新品"}, Audience: "stage", AudienceRef: "new"}, 1, pol)
		if seg.Channel != models.BroadcastDirect {
			t.Fatalf("a stage goes direct by default, got %s", seg.Channel)
		}
	})
}

func TestBroadcastScheduleApprovalAndQuotas(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := clock(s, time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)) // 10:00 in Shanghai
		pol := models.BroadcastPolicy{Loc: shanghai, AccountType: models.AccountService, Approval: true}
		marketer := &models.Staff{ID: 2, Role: models.RoleMarketer}
		admin := &models.Staff{ID: 1, Role: models.RoleAdmin}
		in := models.BroadcastInput{Name: "周报", Kind: "text", Text: "本周新品", Audience: "all"}
		b, _ := s.SaveBroadcast(ctx, 0, in, 2, pol)

		past := now.Add(-time.Hour)
		if _, err := s.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{At: &past}, marketer, pol); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("a time in the past: %v", err)
		}
		if _, err := s.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{Cron: "not a cron"}, marketer, pol); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("bad cron: %v", err)
		}
		// Every day at 09:00 Shanghai: 31 mass sends in a month, over 4.
		if _, err := s.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{Cron: "0 9 * * *"}, marketer, pol); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("daily mass send on a service account: %v", err)
		}
		// Mondays at 09:00 Shanghai: 4 or 5 a month... December 2026 has 4 Mondays left.
		weekly, err := s.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{Cron: "0 9 * * 1"}, marketer, pol)
		if err != nil || weekly.State != models.BroadcastPending {
			t.Fatalf("weekly by a marketer: %+v %v", weekly, err)
		}
		// The first Monday is 7 Dec 09:00 Shanghai = 01:00 UTC.
		if want := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC); !weekly.NextRunAt.Equal(want) {
			t.Fatalf("next run %s, want %s (cron in the account zone)", weekly.NextRunAt, want)
		}
		if _, err := s.ApproveBroadcast(ctx, b.ID, marketer, pol); models.ErrorCode(err) != models.EFORBIDDEN {
			t.Fatalf("a marketer approving: %v", err)
		}
		if ok, err := s.ApproveBroadcast(ctx, b.ID, admin, pol); err != nil || ok.State != models.BroadcastScheduled || ok.ApprovedBy != 1 {
			t.Fatalf("approve: %+v %v", ok, err)
		}
		// Another everyone-broadcast this month would give fans a 5th message.
		other, _ := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "加推", Kind: "text", Text: "x", Audience: "all"}, 1, pol)
		at := time.Date(2026, 12, 20, 4, 0, 0, 0, time.UTC)
		if _, err := s.ScheduleBroadcast(ctx, other.ID, models.BroadcastSchedule{At: &at}, admin, pol); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("5th mass message in December: %v", err)
		}
		// Direct delivery does not use the mass quota.
		direct, _ := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "直发", Kind: "text", Text: "x", Audience: "all", Channel: "direct"}, 1, pol)
		if d, err := s.ScheduleBroadcast(ctx, direct.ID, models.BroadcastSchedule{At: &at}, admin, pol); err != nil || d.State != models.BroadcastScheduled {
			t.Fatalf("direct by an admin: %+v %v", d, err)
		}
		// Pause, resume, cancel.
		if _, err := s.ChangeBroadcast(ctx, b.ID, models.ActionResume, pol); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("resume a scheduled broadcast: %v", err)
		}
		if p, err := s.ChangeBroadcast(ctx, b.ID, models.ActionPause, pol); err != nil || p.State != models.BroadcastPaused {
			t.Fatalf("pause: %+v %v", p, err)
		}
		if _, err := s.SaveBroadcast(ctx, b.ID, in, 2, pol); err != nil {
			t.Fatalf("edit while paused: %v", err)
		}
		if c, err := s.ChangeBroadcast(ctx, b.ID, models.ActionCancel, pol); err != nil || c.State != models.BroadcastCancelled {
			t.Fatalf("cancel: %+v %v", c, err)
		}
		if _, err := s.SaveBroadcast(ctx, b.ID, in, 2, pol); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("edit a cancelled broadcast: %v", err)
		}

		// A subscription account: one mass send a day.
		spol := models.BroadcastPolicy{Loc: shanghai, AccountType: models.AccountSubscription}
		d1, _ := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "早报", Kind: "text", Text: "x", Audience: "all"}, 1, spol)
		d2, _ := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "晚报", Kind: "text", Text: "y", Audience: "all"}, 1, spol)
		morning := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
		evening := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
		if _, err := s.ScheduleBroadcast(ctx, d1.ID, models.BroadcastSchedule{At: &morning}, admin, spol); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ScheduleBroadcast(ctx, d2.ID, models.BroadcastSchedule{At: &evening}, admin, spol); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("second mass send on one day (订阅号): %v", err)
		}
		nextDay := evening.Add(24 * time.Hour)
		if _, err := s.ScheduleBroadcast(ctx, d2.ID, models.BroadcastSchedule{At: &nextDay}, admin, spol); err != nil {
			t.Fatalf("the next day: %v", err)
		}
	})
}

func TestBroadcastRunsStartOnceAcrossWorkers(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2 := modelstest.MustOpenShared(t, driver)
			ctx := context.Background()
			start := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
			now := start
			var mu sync.Mutex
			tick := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			s1.Now, s2.Now = tick, tick
			bcMembers(t, s1, "rw", 5)
			pol := models.BroadcastPolicy{Loc: shanghai}
			admin := &models.Staff{ID: 1, Role: models.RoleAdmin}
			b, _ := s1.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "每小时", Kind: "text", Text: "x", Audience: "all", Channel: "direct"}, 1, pol)
			if _, err := s1.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{Cron: "0 * * * *"}, admin, pol); err != nil {
				t.Fatal(err)
			}
			for hour := 1; hour <= 3; hour++ {
				mu.Lock()
				now = start.Add(time.Duration(hour)*time.Hour + time.Second)
				mu.Unlock()
				var wg sync.WaitGroup
				for _, s := range []*models.Store{s1, s2} {
					wg.Add(1)
					go func(s *models.Store) {
						defer wg.Done()
						if _, err := s.StartDueBroadcasts(ctx, pol); err != nil {
							t.Error(err)
						}
					}(s)
				}
				wg.Wait()
			}
			runs, _ := s1.BroadcastRuns(ctx, b.ID)
			if len(runs) != 3 {
				t.Fatalf("%d runs, want 3 (one per hour)", len(runs))
			}
			for _, r := range runs {
				if r.PushID == 0 || r.State != models.RunSending {
					t.Fatalf("run %+v has no push", r)
				}
				prog, _ := s1.PushProgress(ctx, r.PushID)
				if prog[models.RcptQueued] != 5 {
					t.Fatalf("run %d recipients: %v", r.ID, prog)
				}
			}
			if got, _ := s1.FindBroadcast(ctx, b.ID); got.Runs != 3 || got.State != models.BroadcastScheduled {
				t.Fatalf("broadcast after 3 runs: %+v", got)
			}
			// Down for two hours: the missed ticks are skipped, one run follows.
			mu.Lock()
			now = start.Add(6*time.Hour + time.Second)
			mu.Unlock()
			s1.StartDueBroadcasts(ctx, pol)
			s1.StartDueBroadcasts(ctx, pol)
			if runs, _ := s1.BroadcastRuns(ctx, b.ID); len(runs) != 4 {
				t.Fatalf("%d runs after downtime, want 4", len(runs))
			}
		})
	}
}

func TestMassRunJobsAndFinishEvent(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := clock(s, time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
		openIDs := bcMembers(t, s, "mj", 5)
		pol := models.BroadcastPolicy{Loc: shanghai}
		admin := &models.Staff{ID: 1, Role: models.RoleAdmin}
		b, _ := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "名单", Kind: "text", Text: "x", Audience: "openids",
			OpenIDs: append(openIDs, "stranger")}, 1, pol)
		if b.Channel != models.BroadcastMass {
			t.Fatalf("openid list on a service account: %s", b.Channel)
		}
		plan, err := s.PlanAudience(ctx, b, pol, models.DefaultWindowRules)
		if err != nil || plan.Total != 5 || plan.Mass != 5 || plan.UnknownOpenIDs != 1 {
			t.Fatalf("plan: %+v %v", plan, err)
		}
		at := now.Add(time.Minute)
		if _, err := s.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{At: &at}, admin, pol); err != nil {
			t.Fatal(err)
		}
		*now = now.Add(2 * time.Minute)
		runs, err := s.StartDueBroadcasts(ctx, pol)
		if err != nil || len(runs) != 1 {
			t.Fatalf("start: %v %v", runs, err)
		}
		// The engine never sees a mass run's recipients.
		if got, _ := s.ClaimRecipients(ctx, "engine", 100, time.Minute); len(got) != 0 {
			t.Fatalf("the delivery engine claimed %d mass recipients", len(got))
		}
		if err := s.PlanMassRuns(ctx, models.MassRules{Policy: pol}); err != nil {
			t.Fatal(err)
		}
		j, err := s.ClaimMassJob(ctx, time.Minute)
		if err != nil || j == nil || j.Target != models.MassToOpenIDs {
			t.Fatalf("claim: %+v %v", j, err)
		}
		if again, _ := s.ClaimMassJob(ctx, time.Minute); again != nil {
			t.Fatalf("a claimed job was claimed again: %+v", again)
		}
		ids, _ := s.MassJobOpenIDs(ctx, j)
		if len(ids) != 5 {
			t.Fatalf("openids: %v", ids)
		}
		// WeChat's event may arrive before fivec stored the msg_id: it is
		// kept and applied when the job records it.
		if ours, err := s.RecordMassFinish(ctx, models.MassFinish{MsgID: 777, Status: "send success", TotalCount: 5, FilterCount: 5, SentCount: 5}); err != nil || ours {
			t.Fatalf("early event: %v %v", ours, err)
		}
		if err := s.FinishMassJob(ctx, j, models.MassOutcome{MsgID: 777, Status: "SUBMITTED"}); err != nil {
			t.Fatal(err)
		}
		if jobs, _ := s.MassJobs(ctx, j.PushID); jobs[0].SentCount != 5 || jobs[0].Status != "send success" || jobs[0].FinishedAt == nil {
			t.Fatalf("the early event was not applied: %+v", jobs[0])
		}
		run, _ := s.FindBroadcastRun(ctx, runs[0].ID)
		if err := s.FinishRuns(ctx); err != nil {
			t.Fatal(err)
		}
		run, _ = s.FindBroadcastRun(ctx, run.ID)
		prog, _ := s.RunProgress(ctx, run)
		if run.State != models.RunDone || prog.Sent != 5 || prog.Percent != 100 {
			t.Fatalf("after submit: %+v %+v", run, prog)
		}
		// WeChat reports the job failed: the recipients become failed.
		ours, err := s.RecordMassFinish(ctx, models.MassFinish{MsgID: 777, Status: "err(30003)", TotalCount: 5, ErrorCount: 5})
		if err != nil || !ours {
			t.Fatalf("finish: %v %v", ours, err)
		}
		if ours, _ := s.RecordMassFinish(ctx, models.MassFinish{MsgID: 999, Status: "send success"}); ours {
			t.Fatal("an unknown msg_id was taken as ours")
		}
		rep, _ := s.RunReport(ctx, run)
		if rep.Failed != 5 || rep.ByErrCode[30003] != 5 || len(rep.Mass) != 1 || rep.Mass[0].TotalCount != 5 {
			t.Fatalf("report: %+v", rep)
		}
		// The 4-a-month quota: after 4 sent mass messages a fan is skipped.
		refused := false
		for i := 0; i < 4 && !refused; i++ {
			b2, _ := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: fmt.Sprint("q", i), Kind: "text", Text: "x", Audience: "openids", OpenIDs: openIDs[:2]}, 1, pol)
			at := now.Add(time.Minute)
			if _, err := s.ScheduleBroadcast(ctx, b2.ID, models.BroadcastSchedule{At: &at}, admin, pol); err != nil {
				if i == 3 && models.ErrorCode(err) == models.EINVALID {
					refused = true // the 5th send to these fans this month
					continue
				}
				t.Fatalf("schedule %d: %v", i, err)
			}
			*now = now.Add(2 * time.Minute)
			s.StartDueBroadcasts(ctx, pol)
			s.PlanMassRuns(ctx, models.MassRules{Policy: pol})
			for j, _ := s.ClaimMassJob(ctx, time.Minute); j != nil; j, _ = s.ClaimMassJob(ctx, time.Minute) {
				s.FinishMassJob(ctx, j, models.MassOutcome{MsgID: int64(1000 + i), Status: "SUBMITTED"})
			}
		}
		if !refused {
			t.Fatal("a 5th mass send to the same list in one month was scheduled")
		}
		// Had it gone out anyway (scheduled before the others), fans with 4
		// mass messages this month are skipped when the run is planned.
		late, _ := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "late", Kind: "text", Text: "x", Audience: "openids", OpenIDs: openIDs}, 1, pol)
		plan, _ = s.PlanAudience(ctx, late, pol, models.DefaultWindowRules)
		if plan.OverQuota != 0 || plan.Mass != 5 {
			// mj000/mj001 have 3 sent (the first job failed), so none is over.
			t.Fatalf("plan after three sends: %+v", plan)
		}
	})
}

func TestBroadcastRunWithoutItsSegmentEndsSayingWhy(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := clock(s, time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
		bcMembers(t, s, "sg", 2)
		pol := models.BroadcastPolicy{Loc: shanghai}
		sg, _ := s.SaveSegment(ctx, 0, "临时", models.SegmentFilter{})
		b, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "分群", Kind: "text", Text: "x", Audience: "segment", AudienceRef: fmt.Sprint(sg.ID)}, 1, pol)
		if err != nil {
			t.Fatal(err)
		}
		other, _ := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "全员", Kind: "text", Text: "y", Audience: "all", Channel: "direct"}, 1, pol)
		at := now.Add(time.Minute)
		admin := &models.Staff{ID: 1, Role: models.RoleAdmin}
		s.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{At: &at}, admin, pol)
		s.ScheduleBroadcast(ctx, other.ID, models.BroadcastSchedule{At: &at}, admin, pol)
		if err := s.DeleteSegment(ctx, sg.ID); err != nil {
			t.Fatal(err)
		}
		*now = now.Add(2 * time.Minute)
		if _, err := s.StartDueBroadcasts(ctx, pol); err != nil {
			t.Fatalf("one broken broadcast stops the others: %v", err)
		}
		runs, _ := s.BroadcastRuns(ctx, b.ID)
		if len(runs) != 1 || runs[0].State != models.RunDone || runs[0].Error == "" {
			t.Fatalf("runs: %+v", runs)
		}
		if p, _ := s.RunProgress(ctx, &runs[0]); p.Error == "" || p.Percent != 100 {
			t.Fatalf("progress: %+v", p)
		}
		if runs, _ := s.BroadcastRuns(ctx, other.ID); len(runs) != 1 || runs[0].PushID == 0 {
			t.Fatalf("the other broadcast: %+v", runs)
		}
	})
}
