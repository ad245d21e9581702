package roles_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// clock is a settable clock shared by the store, the desk, the care job
// and delivery (the care and business-hours tests).
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newCare(s *models.Store) *roles.Care {
	return &roles.Care{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Loc: time.UTC, Batch: 50}
}

// record stores an inbound message or event as the callback would.
func record(t *testing.T, s *models.Store, in models.Inbound) *models.Member {
	t.Helper()
	if in.DedupeKey == "" {
		in.DedupeKey = models.RandomToken(8)
	}
	_, m, _, err := s.RecordInbound(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// follow makes openID follow on the platform and in fivec, via scene.
func follow(t *testing.T, s *models.Store, appID, openID, scene string) *models.Member {
	t.Helper()
	if appID != "" {
		if _, err := platform.Follow(context.Background(), appID, openID, scene); err != nil {
			t.Fatal(err)
		}
	}
	in := models.Inbound{OpenID: openID, MsgType: "event", Event: "subscribe", Subscribe: true, Scene: scene}
	if scene != "" {
		in.EventKey = "qrscene_" + scene
	}
	return record(t, s, in)
}

func runCare(t *testing.T, c *roles.Care) roles.CareRun {
	t.Helper()
	run, err := c.Tick(context.Background(), c.Store.Now())
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func flowOf(t *testing.T, s *models.Store, id uint64) models.JourneyFlow {
	t.Helper()
	j, err := s.FindJourney(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Flow(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// The example: day 0 a tip, day 3 how to use it, day 7 a coupon
// (only for members without the vip tag); redeeming is the goal and
// unfollowing leaves. Every message goes through the delivery engine.
func TestCareJourneyFromFollowToGoal(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clk := &clock{now: time.Now().UTC()}
		s.Now = clk.Now
		appID := "wxcare" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		d := newDelivery(s, appID, "w1")
		d.Now = clk.Now
		care := newCare(s)

		gift, err := s.SaveGift(ctx, models.Gift{Name: "保养券", Kind: models.GiftCoupon, Cost: 1, Stock: 10, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		j, err := s.SaveJourney(ctx, 0, models.NewJourney{Name: "新人关怀", Trigger: models.TriggerFollowed, TriggerVal: "poster",
			Goal: models.GoalRedeemed, GoalVal: fmt.Sprint(gift.ID), Steps: []models.NewStep{
				{After: "0", Reply: models.TextReply("欢迎！回复“签到”领积分")},
				{After: "3d", Reply: models.TextReply("如何使用会员卡"), TemplateID: "TPL", TemplateData: map[string]string{"thing1": "如何使用会员卡"}},
				{After: "7d", Reply: models.TextReply("送您一张保养券"), Condition: &models.SegmentFilter{TagsNone: []string{"vip"}}},
			}})
		if err != nil {
			t.Fatal(err)
		}
		f1 := follow(t, s, appID, "cj1", "poster")
		f2 := follow(t, s, appID, "cj2", "poster")
		follow(t, s, appID, "cj3", "") // another way in: not this journey
		follow(t, s, appID, "cj4", "poster")

		if run := runCare(t, care); run.Entered != 3 || run.Pushed != 3 {
			t.Fatalf("first run: %+v, want 3 entered and 3 day-0 pushes", run)
		}
		if run := runCare(t, care); run.Entered != 0 || run.Pushed != 0 {
			t.Fatalf("second run enrolled or sent again: %+v", run)
		}
		if n, err := d.RunOnce(ctx); err != nil || n != 3 {
			t.Fatalf("delivered %d (%v), want 3", n, err)
		}
		// cj4 unfollows; cj2 uses the coupon's gift: both leave.
		platform.Unfollow(ctx, appID, "cj4")
		record(t, s, models.Inbound{OpenID: "cj4", MsgType: "event", Event: "unsubscribe", Unsubscribe: true})
		if _, err := s.GrantGift(ctx, f2.ID, gift.ID, "test-grant"); err != nil {
			t.Fatal(err)
		}
		clk.add(3*24*time.Hour + time.Minute)
		run := runCare(t, care)
		if run.Exits[models.ExitUnfollowed] != 1 || run.Exits[models.ExitGoal] != 1 || run.Pushed != 1 {
			t.Fatalf("day 3: %+v, want one unfollow, one goal, one push", run)
		}
		if n, err := d.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("day 3 delivered %d (%v)", n, err)
		}
		// Day 7: cj1 became vip, so the coupon step is skipped for them.
		if err := s.TagMember(ctx, f1.ID, "vip"); err != nil {
			t.Fatal(err)
		}
		clk.add(4 * 24 * time.Hour)
		if run := runCare(t, care); run.Skipped != 1 || run.Pushed != 0 {
			t.Fatalf("day 7: %+v, want the step skipped by its condition", run)
		}
		got := sentTo(appID)
		if got["cj1"] != 2 || got["cj2"] != 1 || got["cj3"] != 0 || got["cj4"] != 1 {
			t.Fatalf("sends: %v", got)
		}
		f := flowOf(t, s, j.ID)
		if f.Entered != 3 || f.Goal() != 1 || f.Exits[models.ExitUnfollowed] != 1 || f.Finished != 1 {
			t.Fatalf("flow: %+v", f)
		}
		if f.Steps[0].Sent != 3 || f.Steps[1].Sent != 1 || f.Steps[2].ConditionSkipped != 1 || f.Steps[2].Reached != 1 {
			t.Fatalf("steps: %+v", f.Steps)
		}
		// A week after the last step without the goal, cj1 has completed.
		clk.add(models.GoalGrace + time.Minute)
		if run := runCare(t, care); run.Exits[models.ExitCompleted] != 1 {
			t.Fatalf("completion: %+v", run)
		}
	})
}

// Two processes on one database run the journeys at the same time: every
// member enters once and every step is handed to delivery once.
func TestCareTwoWorkersNeverSendTwice(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a, b := modelstest.MustOpenShared(t, driver)
			ctx := context.Background()
			j, err := a.SaveJourney(ctx, 0, models.NewJourney{Name: "并发", Trigger: models.TriggerFollowed, Steps: []models.NewStep{
				{After: "0", Reply: models.TextReply("one")}, {After: "0", Reply: models.TextReply("two")}}})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 30; i++ {
				follow(t, a, "", fmt.Sprintf("tw%02d", i), "")
			}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for _, s := range []*models.Store{a, b, a, b} {
				wg.Add(1)
				go func(s *models.Store) {
					defer wg.Done()
					for k := 0; k < 3; k++ {
						if _, err := newCare(s).Tick(ctx, s.Now()); err != nil {
							errs <- err
							return
						}
					}
				}(s)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			f := flowOf(t, a, j.ID)
			if f.Entered != 30 || f.Steps[0].Reached != 30 || f.Steps[1].Reached != 30 || f.Steps[0].Pending != 30 {
				t.Fatalf("flow with two workers: entered %d, steps %+v", f.Entered, f.Steps)
			}
		})
	}
}

// Inactivity and birthdays come from the clock: nothing happens until the
// day comes, then the member enters once.
func TestCareInactivityAndBirthdayByClock(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)}
		s.Now = clk.Now
		care := newCare(s)
		idle, err := s.SaveJourney(ctx, 0, models.NewJourney{Name: "唤醒", Trigger: models.TriggerInactive, TriggerVal: "30",
			Goal: models.GoalInteracted, Steps: []models.NewStep{{After: "0", Reply: models.TextReply("好久不见")}}})
		if err != nil {
			t.Fatal(err)
		}
		bday, err := s.SaveJourney(ctx, 0, models.NewJourney{Name: "生日", Trigger: models.TriggerBirthday, ReEntry: models.ReEntryAfterExit,
			Steps: []models.NewStep{{After: "0", Reply: models.TextReply("生日快乐")}}})
		if err != nil {
			t.Fatal(err)
		}
		follow(t, s, "", "sleepy", "")
		clk.add(time.Hour)
		born := follow(t, s, "", "born", "")
		if _, err := s.SaveProfile(ctx, born.ID, models.ProfileInput{Birthday: "1990-03-10", Consent: true}); err != nil {
			t.Fatal(err)
		}
		if run := runCare(t, care); run.Entered != 0 {
			t.Fatalf("nobody is due yet: %+v", run)
		}
		clk.add(9 * 24 * time.Hour) // 10 March
		if run := runCare(t, care); run.Entered != 1 || run.Pushed != 1 {
			t.Fatalf("birthday: %+v", run)
		}
		clk.add(2 * time.Hour) // same day, a later scan
		if run := runCare(t, care); run.Entered != 0 {
			t.Fatalf("birthday enrolled twice: %+v", run)
		}
		clk.add(20*24*time.Hour + 21*time.Hour + 30*time.Minute) // 31 March 04:30: sleepy is idle 30 days, born (an hour later) not yet
		run := runCare(t, care)
		if run.Entered != 1 {
			t.Fatalf("inactivity: %+v", run)
		}
		if f := flowOf(t, s, idle.ID); f.Entered != 1 || f.Steps[0].Reached != 1 {
			t.Fatalf("inactive flow: %+v", f)
		}
		// sleepy writes: the goal (interacted) is met.
		clk.add(time.Minute)
		record(t, s, models.Inbound{OpenID: "sleepy", MsgType: "text", Content: "我回来了"})
		if run := runCare(t, care); run.Exits[models.ExitGoal] != 1 {
			t.Fatalf("goal after writing: %+v", run)
		}
		// A year on, born has a birthday again (after_exit lets them back
		// in) and has been idle long enough for the other journey.
		clk.now = time.Date(2027, 3, 10, 1, 0, 0, 0, time.UTC)
		if run := runCare(t, care); run.Entered != 2 {
			t.Fatalf("next birthday: %+v", run)
		}
		if f := flowOf(t, s, bday.ID); f.Entered != 2 {
			t.Fatalf("birthday flow: %+v", f)
		}
	})
}

// Any recorded event can start a journey (a menu click after a ringtone
// download); re-entry follows the policy and one event enrols once.
func TestCareEventTriggerAndReEntry(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clk := &clock{now: time.Now().UTC()}
		s.Now = clk.Now
		care := newCare(s)
		steps := []models.NewStep{{After: "0", Reply: models.TextReply("点首歌送祝福吧")}}
		// A click from before the journeys existed does not count.
		follow(t, s, "", "ring", "")
		record(t, s, models.Inbound{OpenID: "ring", MsgType: "event", Event: "CLICK", EventKey: "RINGTONE"})
		again, _ := s.SaveJourney(ctx, 0, models.NewJourney{Name: "点歌-可重复", Trigger: models.TriggerEvent, TriggerVal: "CLICK:RINGTONE",
			ReEntry: models.ReEntryAfterExit, Steps: steps})
		once, err := s.SaveJourney(ctx, 0, models.NewJourney{Name: "点歌-一次", Trigger: models.TriggerEvent, TriggerVal: "click:RINGTONE", Steps: steps})
		if err != nil {
			t.Fatal(err)
		}
		click := func() {
			record(t, s, models.Inbound{OpenID: "ring", MsgType: "event", Event: "CLICK", EventKey: "RINGTONE"})
		}
		click()
		record(t, s, models.Inbound{OpenID: "ring", MsgType: "event", Event: "CLICK", EventKey: "OTHER"})
		if run := runCare(t, care); run.Entered != 2 {
			t.Fatalf("first click: %+v", run)
		}
		clk.add(time.Minute)
		click()          // while still in both journeys
		runCare(t, care) // both complete (no goal, one step sent)
		clk.add(time.Minute)
		if run := runCare(t, care); run.Entered != 0 {
			t.Fatalf("a click made while in the journey enrolled later: %+v", run)
		}
		clk.add(time.Minute)
		click()
		if run := runCare(t, care); run.Entered != 1 {
			t.Fatalf("click after leaving: %+v", run)
		}
		if fa, fo := flowOf(t, s, again.ID), flowOf(t, s, once.ID); fa.Entered != 2 || fo.Entered != 1 {
			t.Fatalf("entered: after_exit %d, once %d", fa.Entered, fo.Entered)
		}
	})
}

// Care messages obey the delivery engine's frequency cap and quiet hours.
func TestCareStepsObeyCapAndQuietHours(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 5, 4, 13, 0, 0, 0, time.UTC)} // 21:00 in Shanghai
		s.Now = clk.Now
		appID := "wxcq" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"})
		d := newDelivery(s, appID, "w1")
		d.Now, d.FrequencyCap, d.CapWindow = clk.Now, 1, 7*24*time.Hour
		d.Loc, _ = time.LoadLocation("Asia/Shanghai")
		d.QuietFrom, d.QuietTo = "22:00", "08:00"
		j, _ := s.SaveJourney(ctx, 0, models.NewJourney{Name: "夜间", Trigger: models.TriggerTagged, TriggerVal: "新品",
			Steps: []models.NewStep{{After: "0", Reply: models.TextReply("新品到货")}, {After: "1h", Reply: models.TextReply("再提醒一次")}}})
		m := follow(t, s, appID, "night", "")
		platform.SendText(ctx, appID, "night", "hi")
		record(t, s, models.Inbound{OpenID: "night", MsgType: "text", Content: "hi"})
		clk.add(time.Millisecond)
		s.TagMember(ctx, m.ID, "新品")
		clk.add(time.Second)
		care := newCare(s)
		if run := runCare(t, care); run.Pushed != 1 {
			t.Fatalf("tagged: %+v", run)
		}
		d.RunOnce(ctx)                   // 21:00: sent, and the weekly cap of 1 is used
		clk.add(time.Hour + time.Minute) // 22:01: quiet hours
		runCare(t, care)
		d.RunOnce(ctx)
		if f := flowOf(t, s, j.ID); f.Steps[0].Sent != 1 || f.Steps[1].Pending != 1 {
			t.Fatalf("quiet hours: %+v", f.Steps)
		}
		clk.add(10 * time.Hour) // 08:01: quiet hours over, but the cap is used
		d.RunOnce(ctx)
		if f := flowOf(t, s, j.ID); f.Steps[1].Skipped != 1 {
			t.Fatalf("frequency cap: %+v", f.Steps)
		}
		if got := sentTo(appID); got["night"] != 1 {
			t.Fatalf("sends: %v", got)
		}
	})
}

// Stage and level history, redemptions and resolved conversations start
// journeys too, each narrowed by its value.
func TestCareTriggersFromRecordedEvents(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clk := &clock{now: time.Now().UTC()}
		s.Now = clk.Now
		gift, _ := s.SaveGift(ctx, models.Gift{Name: "彩铃", Kind: models.GiftItem, Cost: 1, Stock: 5, Active: true})
		other, _ := s.SaveGift(ctx, models.Gift{Name: "其他", Kind: models.GiftItem, Cost: 1, Stock: 5, Active: true})
		step := []models.NewStep{{After: "0", Reply: models.TextReply("hi")}}
		ids := map[string]uint64{}
		for name, n := range map[string]models.NewJourney{
			"stage":    {Trigger: models.TriggerStage, TriggerVal: models.StageNew},
			"level":    {Trigger: models.TriggerLevel, TriggerVal: models.LevelResponder},
			"redeemed": {Trigger: models.TriggerRedeemed, TriggerVal: fmt.Sprint(gift.ID)},
			"resolved": {Trigger: models.TriggerResolved},
		} {
			n.Name, n.Steps = name, step
			j, err := s.SaveJourney(ctx, 0, n)
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = j.ID
		}
		a, b := follow(t, s, "", "ev1", ""), follow(t, s, "", "ev2", "")
		clk.add(time.Second)
		s.AdvanceStage(ctx, a.ID, models.StageNew, "test")
		s.AdvanceStage(ctx, b.ID, models.StageLoyal, "test") // not the stage asked for
		s.RaiseLevel(ctx, a.ID, models.LevelCurious, "test") // not the level asked for
		s.RaiseLevel(ctx, b.ID, models.LevelResponder, "test")
		s.GrantGift(ctx, a.ID, gift.ID, "g1")
		s.GrantGift(ctx, b.ID, other.ID, "g2")
		conv, _, err := s.Escalate(ctx, b.ID, "ev2", "keyword")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Resolve(ctx, conv.ID, "agent"); err != nil {
			t.Fatal(err)
		}
		clk.add(time.Second)
		if run := runCare(t, newCare(s)); run.Entered != 4 {
			t.Fatalf("entered %+v, want one member in each journey", run)
		}
		for name, id := range ids {
			j, _ := s.FindJourney(ctx, id)
			rows, err := s.RecentEnrollments(ctx, j, 10)
			want := map[string]string{"stage": "ev1", "level": "ev2", "redeemed": "ev1", "resolved": "ev2"}[name]
			if err != nil || len(rows) != 1 || rows[0].OpenID != want {
				t.Fatalf("%s journey: %+v %v, want %s", name, rows, err, want)
			}
		}
	})
}

// A paused journey neither enrols nor sends; its members wait where they
// are, and on resume only new events count.
func TestCarePausedJourneyWaits(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clk := &clock{now: time.Now().UTC()}
		s.Now = clk.Now
		care := newCare(s)
		n := models.NewJourney{Name: "暂停", Trigger: models.TriggerFollowed, Steps: []models.NewStep{
			{After: "0", Reply: models.TextReply("one")}, {After: "1h", Reply: models.TextReply("two")}}}
		j, _ := s.SaveJourney(ctx, 0, n)
		follow(t, s, "", "p1", "")
		if run := runCare(t, care); run.Entered != 1 || run.Pushed != 1 {
			t.Fatalf("running: %+v", run)
		}
		n.Paused = true
		if _, err := s.SaveJourney(ctx, j.ID, n); err != nil {
			t.Fatal(err)
		}
		follow(t, s, "", "p2", "")
		clk.add(2 * time.Hour)
		if run := runCare(t, care); run.Entered != 0 || run.Pushed != 0 {
			t.Fatalf("paused: %+v", run)
		}
		n.Paused = false
		if _, err := s.SaveJourney(ctx, j.ID, n); err != nil {
			t.Fatal(err)
		}
		follow(t, s, "", "p3", "")
		clk.add(time.Second)
		if run := runCare(t, care); run.Entered != 1 || run.Pushed != 2 {
			t.Fatalf("resumed: %+v, want p3 in and p1's second step", run)
		}
		if f := flowOf(t, s, j.ID); f.Entered != 2 || f.Steps[1].Reached != 1 {
			t.Fatalf("flow: %+v", f)
		}
	})
}
