package delivery_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

var shanghai = time.FixedZone("CST", 8*3600)

// TestRunStatusUnderQuietHours: a run with recipients left waits while
// quiet hours hold pushes, every remaining recipient with it, until they
// end; a finished run keeps what it amounts to.
func TestRunStatusUnderQuietHours(t *testing.T) {
	q := delivery.QuietHours{From: "22:00", To: "08:00", Loc: shanghai}
	night := time.Date(2026, 12, 8, 0, 59, 0, 0, shanghai)
	day := time.Date(2026, 12, 8, 10, 0, 0, 0, shanghai)
	resume := time.Date(2026, 12, 8, 8, 0, 0, 0, shanghai)
	sending := models.BroadcastProgress{State: models.RunSending, Status: models.RunStatusSending, Total: 5, Sent: 1, Remaining: 4}
	for _, tc := range []struct {
		name   string
		p      models.BroadcastProgress
		now    time.Time
		status string
		wait   int64
	}{
		{"at night a run with recipients left waits", sending, night, models.RunStatusWaiting, 4},
		{"by day it sends", sending, day, models.RunStatusSending, 0},
		{"a run being planned at night waits", models.BroadcastProgress{State: models.RunPlanning, Status: models.RunStatusPlanning}, night, models.RunStatusWaiting, 0},
		{"a failed run stays failed at night", models.BroadcastProgress{State: models.RunDone, Status: models.RunStatusFailed, Total: 2, Failed: 2}, night, models.RunStatusFailed, 0},
		{"nothing left: not waiting", models.BroadcastProgress{State: models.RunSending, Status: models.RunStatusSending, Total: 2, Sent: 2}, night, models.RunStatusSending, 0},
	} {
		got := q.RunStatus(tc.p, tc.now)
		if got.Status != tc.status || got.Waiting != tc.wait {
			t.Errorf("%s: status %q waiting %d, want %q %d", tc.name, got.Status, got.Waiting, tc.status, tc.wait)
		}
		if tc.status == models.RunStatusWaiting && (got.ResumeAt == nil || !got.ResumeAt.Equal(resume)) {
			t.Errorf("%s: resumes %v, want %v", tc.name, got.ResumeAt, resume)
		}
		if tc.status != models.RunStatusWaiting && got.ResumeAt != nil {
			t.Errorf("%s: resume time %v on a run that does not wait", tc.name, got.ResumeAt)
		}
	}
	if (delivery.QuietHours{}).RunStatus(sending, night).Status != models.RunStatusSending {
		t.Error("no quiet hours: a run never waits")
	}
}

// TestStartsAt: a time inside quiet hours starts when they end; outside,
// at itself.
func TestStartsAt(t *testing.T) {
	q := delivery.QuietHours{From: "22:00", To: "08:00", Loc: shanghai}
	at := time.Date(2026, 12, 8, 0, 59, 0, 0, shanghai)
	if start, held := q.StartsAt(at); !held || !start.Equal(time.Date(2026, 12, 8, 8, 0, 0, 0, shanghai)) {
		t.Errorf("00:59: %v %v", start, held)
	}
	at = time.Date(2026, 12, 8, 21, 59, 0, 0, shanghai)
	if start, held := q.StartsAt(at); held || !start.Equal(at) {
		t.Errorf("21:59: %v %v", start, held)
	}
	at = time.Date(2026, 12, 8, 22, 0, 0, 0, shanghai)
	if start, held := q.StartsAt(at); !held || !start.Equal(time.Date(2026, 12, 9, 8, 0, 0, 0, shanghai)) {
		t.Errorf("22:00: %v %v", start, held)
	}
}

// TestReasonKinds: every reason the engine, the mass path and the store
// write sorts into a kind the console puts in words.
func TestReasonKinds(t *testing.T) {
	capWhy, _ := delivery.FrequencyCap{Max: 3, Window: 7 * 24 * time.Hour}.Over(3)
	_, closed := delivery.ChooseChannel(models.Window{Why: models.WhySilent}, true, false)
	_, used := delivery.ChooseChannel(models.Window{Open: true, Left: 0, Why: models.WhyQuota}, true, false)
	_, gone := delivery.ChooseChannel(models.Window{}, false, false)
	_, listed := delivery.ChooseChannel(models.Window{Blacklisted: true}, true, true)
	unfollowed := delivery.SendOutcome(models.ChannelCustom, fmt.Errorf("wechat errcode 43004: x"), 1, 3, time.Now())
	for _, tc := range []struct {
		reason string
		failed bool
		kind   string
	}{
		{capWhy, false, delivery.WhyFrequencyCap},
		{closed, false, delivery.WhyWindowClosed},
		{used, false, delivery.WhyWindowQuota},
		{gone, false, delivery.WhyNotMember},
		{listed, false, delivery.WhyBlacklisted},
		{"unfollowed", false, delivery.WhyUnfollowed},
		{"WeChat filters it: 4 mass messages this month already", false, delivery.WhyMonthlyQuota},
		{"cancelled", false, delivery.WhyCancelled},
		{"the push's message is damaged", true, delivery.WhyDamaged},
		{"the broadcast's message is damaged", true, delivery.WhyDamaged},
		{"Post \"https://api.weixin.qq.com\": connection refused", true, delivery.WhyNoErrcode},
		{"something new", false, delivery.WhyOther},
	} {
		if got := delivery.ReasonKind(tc.reason, tc.failed); got != tc.kind {
			t.Errorf("%q: kind %q, want %q", tc.reason, got, tc.kind)
		}
	}
	if unfollowed.State != models.RcptSkipped || delivery.ReasonKind(unfollowed.Reason, false) != delivery.WhyUnfollowed {
		t.Errorf("43004: %+v", unfollowed)
	}
	got := delivery.GroupReasons(map[string]int64{capWhy: 2, "frequency cap: 5 pushes in 168h0m0s": 1, "unfollowed": 4, closed: 1}, false)
	want := []delivery.KindCount{{Kind: delivery.WhyUnfollowed, Count: 4}, {Kind: delivery.WhyFrequencyCap, Count: 3}, {Kind: delivery.WhyWindowClosed, Count: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("grouped %+v, want %+v", got, want)
	}
	plan := delivery.PlanReasons(models.AudiencePlan{Unfollowed: 1, OverCap: 2, OutsideWindow: 3})
	if len(plan) != 3 || plan[0].Kind != delivery.WhyUnfollowed || plan[1].Kind != delivery.WhyFrequencyCap || plan[2] != (delivery.KindCount{Kind: delivery.WhyWindowClosed, Count: 3}) {
		t.Errorf("plan reasons %+v", plan)
	}
}

// TestBroadcastAtNightWaitsThenFailuresCountApart: a direct broadcast
// scheduled at 00:59 (quiet hours 22:00-08:00, Asia/Shanghai) has started
// but sent nothing: its run waits, every recipient waiting, until 08:00.
// Then WeChat refuses every send to fans whose window fivec believed open
// (45015): that run ends failed, not done, with its failures by errcode;
// a run to one reachable fan and one refused ends partly failed. The
// audience plan then shows who cannot be reached and why.
func TestBroadcastAtNightWaitsThenFailuresCountApart(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var mu sync.Mutex
		now := time.Date(2026, 12, 8, 0, 59, 0, 0, shanghai)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		s.Now = clock
		appID := "wxqh" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		good := fans(t, s, appID, "qg", 1, 1)
		// Fans who wrote (fivec sees an open window) and then unfollowed on
		// the platform before fivec heard of it: WeChat answers 45015.
		var refused []string
		for i := 0; i < 2; i++ {
			id := fmt.Sprintf("qr%s%d", appID, i)
			if _, err := platform.Follow(ctx, appID, id, ""); err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "r" + id, OpenID: id, MsgType: "text", Content: "在吗"}); err != nil {
				t.Fatal(err)
			}
			if err := platform.Unfollow(ctx, appID, id); err != nil {
				t.Fatal(err)
			}
			refused = append(refused, id)
		}
		goodFan, _ := s.MembersByIDs(ctx, good)
		pol := models.BroadcastPolicy{Loc: shanghai, QuietFrom: "22:00", QuietTo: "08:00"}
		bj := newBroadcasts(s, appID, pol)
		bj.Delivery.QuietFrom, bj.Delivery.QuietTo, bj.Delivery.Loc, bj.Delivery.Now = "22:00", "08:00", shanghai, clock
		allRefused := scheduleNow(t, s, models.BroadcastInput{Name: "晚安", Kind: "text", Text: "晚安", Audience: "openids", OpenIDs: refused, Channel: models.BroadcastDirect}, pol)
		mixed := scheduleNow(t, s, models.BroadcastInput{Name: "早安", Kind: "text", Text: "早安", Audience: "openids",
			OpenIDs: []string{goodFan[0].OpenID, refused[0]}, Channel: models.BroadcastDirect}, pol)
		if err := bj.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := bj.Delivery.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		q := delivery.QuietHoursOf(pol)
		runOf := func(b *models.Broadcast) models.BroadcastProgress {
			t.Helper()
			runs, err := s.RecentRunProgress(ctx, b.ID)
			if err != nil || len(runs) != 1 {
				t.Fatalf("runs of %s: %+v %v", b.Name, runs, err)
			}
			latest, err := s.LatestRunProgress(ctx, []uint64{b.ID})
			if err != nil || latest[b.ID].Status != runs[0].Status || latest[b.ID].Failed != runs[0].Failed || latest[b.ID].Sent != runs[0].Sent {
				t.Fatalf("the list's progress %+v differs from the page's %+v (%v)", latest[b.ID], runs[0], err)
			}
			return q.RunStatus(runs[0], clock())
		}
		p := runOf(allRefused)
		resume := time.Date(2026, 12, 8, 8, 0, 0, 0, shanghai)
		if p.Status != models.RunStatusWaiting || p.Waiting != 2 || p.Sent != 0 || p.ResumeAt == nil || !p.ResumeAt.Equal(resume) {
			t.Fatalf("at 00:59 the run should wait for 08:00 with nothing sent: %+v", p)
		}
		if b, _ := s.FindBroadcast(ctx, allRefused.ID); b.State != models.BroadcastSent {
			t.Fatalf("the one-off's own state: %s", b.State)
		}

		mu.Lock()
		now = resume.Add(time.Minute)
		mu.Unlock()
		if _, err := bj.Delivery.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if err := bj.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		p = runOf(allRefused)
		if p.Status != models.RunStatusFailed || p.Failed != 2 || p.Sent != 0 || p.State != models.RunDone || p.Waiting != 0 {
			t.Fatalf("every send refused: the run must end failed: %+v", p)
		}
		p = runOf(mixed)
		if p.Status != models.RunStatusPartial || p.Failed != 1 || p.Sent != 1 {
			t.Fatalf("one sent, one refused: partly failed: %+v", p)
		}
		runs, _ := s.BroadcastRuns(ctx, allRefused.ID)
		rep, err := s.RunReport(ctx, &runs[0])
		if err != nil || !reflect.DeepEqual(rep.Failures, []models.FailureCount{{ErrCode: 45015, Count: 2}}) {
			t.Fatalf("failures by errcode: %+v %v", rep.Failures, err)
		}

		// The plan: with a cap of 1 push a week the fan who got 早安 is over
		// it; a fan who only followed is outside the window (no template).
		if _, err := platform.Follow(ctx, appID, "qs"+appID, ""); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "fqs" + appID, OpenID: "qs" + appID, MsgType: "event", Event: "subscribe", Subscribe: true}); err != nil {
			t.Fatal(err)
		}
		// A follow opens the window for one minute only (the window rule):
		// two minutes later this fan is outside it.
		mu.Lock()
		now = now.Add(2 * time.Minute)
		mu.Unlock()
		pol.PushCap = 1
		plan, err := s.PlanDraft(ctx, models.BroadcastInput{Audience: "openids", Channel: models.BroadcastDirect, Kind: "text",
			OpenIDs: []string{goodFan[0].OpenID, refused[0], "qs" + appID}}, pol, models.DefaultWindowRules)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Total != 3 || plan.OverCap != 1 || plan.OutsideWindow != 1 || plan.Custom != 1 || plan.Unreachable != 2 {
			t.Fatalf("plan %+v", plan)
		}
	})
}
