package delivery_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

func newBroadcasts(s *models.Store, appID string, pol models.BroadcastPolicy) *delivery.Broadcasts {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	wx := wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "s", Token: "t"}, wechat.NewMemoryCache(nil))
	return &delivery.Broadcasts{Store: s, Mass: wechat.NewMass(wx, 6000), Log: log, Policy: pol, Delivery: newDelivery(s, appID, "w"),
		Lease: time.Minute, Now: func() time.Time { return s.Now() }}
}

func massInbox(appID, openID string) []fake.Delivery {
	var out []fake.Delivery
	for _, d := range platform.Inbox(appID, openID) {
		if d.Source == fake.SourceMass {
			out = append(out, d)
		}
	}
	return out
}

func scheduleNow(t *testing.T, s *models.Store, in models.BroadcastInput, pol models.BroadcastPolicy) *models.Broadcast {
	t.Helper()
	ctx := context.Background()
	b, err := s.SaveBroadcast(ctx, 0, in, 1, pol)
	if err != nil {
		t.Fatal(err)
	}
	at := s.Now()
	if b, err = s.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{At: &at}, &models.Staff{ID: 1, Role: models.RoleAdmin}, pol); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMassBroadcastToListAndToAll(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxbc" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		ids := fans(t, s, appID, "m", 3, 0)
		members, _ := s.MembersByIDs(ctx, ids)
		pol := models.BroadcastPolicy{Loc: time.UTC}
		bj := newBroadcasts(s, appID, pol)
		list := scheduleNow(t, s, models.BroadcastInput{Name: "名单群发", Kind: "text", Text: "名单专享", Audience: "openids",
			OpenIDs: []string{members[0].OpenID, members[1].OpenID}}, pol)
		if err := bj.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if got := massInbox(appID, members[0].OpenID); len(got) != 1 || got[0].Text != "名单专享" {
			t.Fatalf("m000's mass inbox: %+v", got)
		}
		if got := massInbox(appID, members[2].OpenID); len(got) != 0 {
			t.Fatalf("m002 was not on the list: %+v", got)
		}
		runs, _ := s.BroadcastRuns(ctx, list.ID)
		rep, _ := s.RunReport(ctx, &runs[0])
		if runs[0].State != models.RunDone || rep.Sent != 2 || rep.ByChannel[models.ChannelMass] != 2 || rep.Mass[0].MsgID == 0 {
			t.Fatalf("run %+v report %+v", runs[0], rep)
		}
		// One fan on a list is refused by WeChat (40130): recorded, not lost.
		solo := scheduleNow(t, s, models.BroadcastInput{Name: "单人", Kind: "text", Text: "x", Audience: "openids", OpenIDs: []string{members[2].OpenID}}, pol)
		if err := bj.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		runs, _ = s.BroadcastRuns(ctx, solo.ID)
		rep, _ = s.RunReport(ctx, &runs[0])
		if rep.Failed != 1 || rep.ByErrCode[40130] != 1 {
			t.Fatalf("single openid: %+v", rep)
		}
		// Everyone: sendall is_to_all.
		all := scheduleNow(t, s, models.BroadcastInput{Name: "全员", Kind: "text", Text: "全员通知", Audience: "all"}, pol)
		bj.RunOnce(ctx)
		for _, m := range members {
			if got := massInbox(appID, m.OpenID); len(got) == 0 || got[len(got)-1].Text != "全员通知" {
				t.Fatalf("%s: %+v", m.OpenID, got)
			}
		}
		runs, _ = s.BroadcastRuns(ctx, all.ID)
		if rep, _ = s.RunReport(ctx, &runs[0]); rep.Sent != 3 {
			t.Fatalf("to all: %+v", rep)
		}
	})
}

func TestMassBroadcastResumesWith45065(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxbcr" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		ids := fans(t, s, appID, "r", 2, 0)
		members, _ := s.MembersByIDs(ctx, ids)
		pol := models.BroadcastPolicy{Loc: time.UTC}
		bj := newBroadcasts(s, appID, pol)
		b := scheduleNow(t, s, models.BroadcastInput{Name: "续传", Kind: "text", Text: "只发一次", Audience: "openids",
			OpenIDs: []string{members[0].OpenID, members[1].OpenID}}, pol)
		// A worker starts the run, submits the job to WeChat and dies before
		// recording the answer.
		if _, err := s.StartDueBroadcasts(ctx, pol); err != nil {
			t.Fatal(err)
		}
		s.PlanMassRuns(ctx, models.MassRules{Policy: pol})
		j, _ := s.ClaimMassJob(ctx, time.Second)
		openIDs, _ := s.MassJobOpenIDs(ctx, j)
		if _, err := bj.Mass.Send(ctx, wechat.MassTarget{OpenIDs: openIDs}, models.TextReply("只发一次"), j.ClientMsgID); err != nil {
			t.Fatal(err)
		}
		// Within the lease nobody touches it; after it, the job is sent again
		// with the same clientmsgid, WeChat answers 45065, mass/get confirms.
		bj.RunOnce(ctx)
		if got := massInbox(appID, members[0].OpenID); len(got) != 1 {
			t.Fatalf("during the lease: %d", len(got))
		}
		real := s.Now
		s.Now = func() time.Time { return real().Add(2 * time.Second) }
		if err := bj.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			if got := massInbox(appID, m.OpenID); len(got) != 1 {
				t.Fatalf("%s received %d copies, want 1", m.OpenID, len(got))
			}
		}
		runs, _ := s.BroadcastRuns(ctx, b.ID)
		rep, _ := s.RunReport(ctx, &runs[0])
		if rep.Sent != 2 || rep.Mass[0].ErrCode != 45065 || rep.Mass[0].Status != "SEND_SUCCESS" || rep.Mass[0].State != models.MassSubmitted {
			t.Fatalf("after resume: %+v %+v", rep, rep.Mass)
		}
	})
}

func TestDirectBroadcastGoesThroughTheEngine(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxbcd" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		fans(t, s, appID, "e", 3, 1) // e000 wrote; e001, e002 did not
		pol := models.BroadcastPolicy{Loc: time.UTC}
		bj := newBroadcasts(s, appID, pol)
		b := scheduleNow(t, s, models.BroadcastInput{Name: "新客", Kind: "template", TemplateID: "TPL", TemplateData: map[string]string{"thing1": "新品到店"},
			Audience: "stage", AudienceRef: models.StageNew}, pol)
		if b.Channel != models.BroadcastDirect {
			t.Fatalf("channel %s", b.Channel)
		}
		// Everyone is a prospect: nobody in the stage, the run closes empty.
		bj.RunOnce(ctx)
		runs, _ := s.BroadcastRuns(ctx, b.ID)
		if len(runs) != 1 || runs[0].State != models.RunDone {
			t.Fatalf("empty run: %+v", runs)
		}
		// Two minutes on, the one-minute window after following has closed.
		real := s.Now
		s.Now = func() time.Time { return real().Add(2 * time.Minute) }
		bj.Delivery.Now = s.Now
		all := scheduleNow(t, s, models.BroadcastInput{Name: "直发", Kind: "template", TemplateID: "TPL", TemplateData: map[string]string{"thing1": "新品到店"},
			Audience: "all"}, pol)
		bj.RunOnce(ctx)
		bj.Delivery.RunOnce(ctx)
		bj.RunOnce(ctx)
		runs, _ = s.BroadcastRuns(ctx, all.ID)
		rep, _ := s.RunReport(ctx, &runs[0])
		if runs[0].State != models.RunDone || rep.ByChannel[models.ChannelCustom] != 1 || rep.ByChannel[models.ChannelTemplate] != 2 {
			t.Fatalf("direct run %+v: %+v", runs[0], rep)
		}
	})
}

func TestTwoWorkersSendEachMassJobOnce(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2 := modelstest.MustOpenShared(t, driver)
			ctx := context.Background()
			appID := "wxbc2w" + models.RandomToken(4)
			platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
			ids := fans(t, s1, appID, "w", 8, 0)
			members, _ := s1.MembersByIDs(ctx, ids)
			pol := models.BroadcastPolicy{Loc: time.UTC}
			var bs []*models.Broadcast
			for i := 0; i < 4; i++ {
				bs = append(bs, scheduleNow(t, s1, models.BroadcastInput{Name: fmt.Sprint("list ", i), Kind: "text", Text: fmt.Sprint("第", i, "批"),
					Audience: "openids", OpenIDs: []string{members[2*i].OpenID, members[2*i+1].OpenID}}, pol))
			}
			var wg sync.WaitGroup
			for _, s := range []*models.Store{s1, s2} {
				wg.Add(1)
				go func(s *models.Store) {
					defer wg.Done()
					for i := 0; i < 3; i++ {
						if err := newBroadcasts(s, appID, pol).RunOnce(ctx); err != nil {
							t.Error(err)
						}
					}
				}(s)
			}
			wg.Wait()
			for _, m := range members {
				if got := massInbox(appID, m.OpenID); len(got) != 1 {
					t.Fatalf("%s received %d mass messages, want 1", m.OpenID, len(got))
				}
			}
			for _, b := range bs {
				runs, _ := s1.BroadcastRuns(ctx, b.ID)
				if len(runs) != 1 {
					t.Fatalf("broadcast %d: %d runs", b.ID, len(runs))
				}
				if rep, _ := s1.RunReport(ctx, &runs[0]); rep.Sent != 2 || len(rep.Mass) != 1 {
					t.Fatalf("broadcast %d: %+v", b.ID, rep)
				}
			}
		})
	}
}

// TestMassRefusalsAreRecorded: WeChat's refusals land on the recipients
// with their errcode: 48001 (mass/send needs a verified service account),
// 45028 (a subscription account's second mass send of the day).
func TestMassRefusalsAreRecorded(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxbcref" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"}) // not verified
		ids := fans(t, s, appID, "z", 2, 0)
		members, _ := s.MembersByIDs(ctx, ids)
		// A subscription account: one sendall a day. fivec's calendar says
		// the second is tomorrow, WeChat's (Beijing) day says today.
		sub := models.BroadcastPolicy{Loc: time.UTC, AccountType: models.AccountSubscription}
		first := scheduleNow(t, s, models.BroadcastInput{Name: "早报", Kind: "text", Text: "早", Audience: "all"}, sub)
		bj := newBroadcasts(s, appID, sub)
		bj.RunOnce(ctx)
		real := s.Now
		s.Now = func() time.Time { return real().Add(24 * time.Hour) }
		second := scheduleNow(t, s, models.BroadcastInput{Name: "晚报", Kind: "text", Text: "晚", Audience: "all"}, sub)
		s.Now = func() time.Time { return real().Add(24*time.Hour + time.Second) }
		bj.RunOnce(ctx)
		r1, _ := s.BroadcastRuns(ctx, first.ID)
		r2, _ := s.BroadcastRuns(ctx, second.ID)
		rep1, _ := s.RunReport(ctx, &r1[0])
		rep2, _ := s.RunReport(ctx, &r2[0])
		if rep1.Sent != 2 || rep2.ByErrCode[45028] != 2 {
			t.Fatalf("first %+v, second %+v", rep1, rep2)
		}
		// Configured as a service account, but WeChat knows better.
		svc := models.BroadcastPolicy{Loc: time.UTC, AccountType: models.AccountService}
		list := scheduleNow(t, s, models.BroadcastInput{Name: "名单", Kind: "text", Text: "x", Audience: "openids",
			OpenIDs: []string{members[0].OpenID, members[1].OpenID}}, svc)
		if err := newBroadcasts(s, appID, svc).RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		runs, _ := s.BroadcastRuns(ctx, list.ID)
		if rep, _ := s.RunReport(ctx, &runs[0]); rep.ByErrCode[48001] != 2 || runs[0].State != models.RunDone {
			t.Fatalf("48001: %+v %+v", runs[0], rep)
		}
	})
}

func TestPauseResumeCancelAMassRun(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxbcpa" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		ids := fans(t, s, appID, "p", 4, 0)
		members, _ := s.MembersByIDs(ctx, ids)
		pol := models.BroadcastPolicy{Loc: time.UTC}
		bj := newBroadcasts(s, appID, pol)
		to := func(i int) []string { return []string{members[2*i].OpenID, members[2*i+1].OpenID} }
		held := scheduleNow(t, s, models.BroadcastInput{Name: "暂停", Kind: "text", Text: "稍后", Audience: "openids", OpenIDs: to(0)}, pol)
		dropped := scheduleNow(t, s, models.BroadcastInput{Name: "取消", Kind: "text", Text: "不发", Audience: "openids", OpenIDs: to(1)}, pol)
		// The runs start and are planned, but nothing is submitted yet.
		if _, err := s.StartDueBroadcasts(ctx, pol); err != nil {
			t.Fatal(err)
		}
		s.PlanMassRuns(ctx, models.MassRules{Policy: pol})
		if b, err := s.ChangeBroadcast(ctx, held.ID, models.ActionPause, pol); err != nil || b.State != models.BroadcastPaused {
			t.Fatalf("pause a started one-off: %+v %v", b, err)
		}
		if _, err := s.ChangeBroadcast(ctx, dropped.ID, models.ActionCancel, pol); err != nil {
			t.Fatalf("cancel a started one-off: %v", err)
		}
		bj.RunOnce(ctx)
		for _, m := range members {
			if got := massInbox(appID, m.OpenID); len(got) != 0 {
				t.Fatalf("%s received %+v while paused or cancelled", m.OpenID, got)
			}
		}
		// The engine never takes over a paused mass run either.
		if got, _ := s.ClaimRecipients(ctx, "engine", 10, time.Minute); len(got) != 0 {
			t.Fatalf("the engine claimed %d", len(got))
		}
		if b, err := s.ChangeBroadcast(ctx, held.ID, models.ActionResume, pol); err != nil || b.State != models.BroadcastSent {
			t.Fatalf("resume: %+v %v", b, err)
		}
		bj.RunOnce(ctx)
		if got := massInbox(appID, members[0].OpenID); len(got) != 1 || got[0].Text != "稍后" {
			t.Fatalf("after resume: %+v", got)
		}
		runs, _ := s.BroadcastRuns(ctx, dropped.ID)
		rep, _ := s.RunReport(ctx, &runs[0])
		if runs[0].State != models.RunDone || rep.ByReason["cancelled"] != 2 || len(massInbox(appID, members[2].OpenID)) != 0 {
			t.Fatalf("cancelled run %+v: %+v", runs[0], rep)
		}
		if _, err := s.ChangeBroadcast(ctx, held.ID, models.ActionPause, pol); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("pause a finished one-off: %v", err)
		}
	})
}

// A mass send by openid list leaves out fans over the engine's frequency
// cap (the one rule, delivery.FrequencyCap), and WeChat's monthly quota.
func TestMassListKeepsTheFrequencyCap(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxbccap" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		ids := fans(t, s, appID, "q", 3, 3)
		members, _ := s.MembersByIDs(ctx, ids)
		bj := newBroadcasts(s, appID, models.BroadcastPolicy{Loc: time.UTC})
		// The first fan has had two pushes this week.
		for _, name := range []string{"一", "二"} {
			if _, err := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: name, Reply: models.TextReply(name)}, ids[:1]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := bj.Delivery.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		bj.Delivery.FrequencyCap, bj.Delivery.CapWindow = 2, 7*24*time.Hour
		pol := models.BroadcastPolicy{Loc: time.UTC}
		list := scheduleNow(t, s, models.BroadcastInput{Name: "名单", Kind: "text", Text: "x", Audience: "openids",
			OpenIDs: []string{members[0].OpenID, members[1].OpenID, members[2].OpenID}}, pol)
		if err := bj.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		runs, _ := s.BroadcastRuns(ctx, list.ID)
		prog, _ := s.PushProgress(ctx, runs[0].PushID)
		if prog[models.RcptSkipped] != 1 || prog[models.RcptSent] != 2 {
			t.Fatalf("progress %v", prog)
		}
		if got := massInbox(appID, members[0].OpenID); len(got) != 0 {
			t.Fatalf("the capped fan got %+v", got)
		}
	})
}
