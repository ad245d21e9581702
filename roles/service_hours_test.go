package roles_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/config"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/settings"
)

var cst = time.FixedZone("CST", 8*3600)

// weekdays9to6 are business hours Monday to Friday 09:00-18:00.
func weekdays9to6() settings.Hours {
	v := settings.Values{}
	for _, k := range []string{settings.HoursMon, settings.HoursTue, settings.HoursWed, settings.HoursThu, settings.HoursFri} {
		v[k] = "09:00-18:00"
	}
	return settings.NewSnapshot(nil, v, "1").Hours()
}

// TestOffHoursEscalationAnsweredInTheMorning: at 23:00 a fan who asks for
// a person gets the off-hours text with the next opening (not "前面还有 0
// 位"), even with an agent online; the conversation waits as a 留言, is
// not apologised to overnight, and at 09:00 the oldest 留言 is assigned
// first and answered.
func TestOffHoursEscalationAnsweredInTheMorning(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 12, 7, 23, 0, 0, 0, cst)} // a Monday
		s.Now = clk.Now
		d := newDesk(t, s, func(svc *roles.Service) {
			svc.Hours, svc.Loc, svc.Now = weekdays9to6(), cst, clk.Now
		})
		ann := d.agent("ann", true, 1) // online at night: still nobody is assigned
		d.Follow("night1")
		d.Follow("night2")

		got := d.say("night1", "人工")
		if !strings.Contains(got, "非工作时间") || !strings.Contains(got, "明天 09:00") || strings.Contains(got, "前面还有") {
			t.Fatalf("off-hours escalation answered %q", got)
		}
		if closed, at := d.svc.Closed(); !closed || at != "明天 09:00" {
			t.Fatalf("Closed() = %v %q", closed, at)
		}
		c1, err := s.OpenConversation(ctx, d.member("night1").ID)
		if err != nil || c1 == nil || c1.State != models.ConvWaiting || !c1.AfterHours || c1.AgentID != nil || c1.Reason != models.ReasonKeyword {
			t.Fatalf("the 留言: %+v %v", c1, err)
		}
		// The fan leaves the message itself: the bot stays quiet and the
		// fan is told again when someone will answer.
		if got := d.say("night1", "我的订单 1234 还没发货"); !strings.Contains(got, "明天 09:00") || strings.Contains(got, "前面还有") {
			t.Fatalf("message left while closed answered %q", got)
		}
		clk.Set(clk.Now().Add(30 * time.Minute))
		if got := d.say("night2", "客服"); !strings.Contains(got, "明天 09:00") {
			t.Fatalf("second 留言 answered %q", got)
		}
		if n, err := d.svc.AssignWaiting(ctx); err != nil || n != 0 {
			t.Fatalf("assigned %d at night (%v)", n, err)
		}

		// 08:30: still closed; the 留言 waited 9 hours but gets no apology.
		clk.Set(time.Date(2026, 12, 8, 8, 30, 0, 0, cst))
		s.SetAgentStatus(ctx, ann.ID, true, 1)
		if err := d.svc.Tick(ctx, 30*time.Minute, 10*time.Minute, clk.Now()); err != nil {
			t.Fatal(err)
		}
		for _, x := range platform.Inbox(d.Acct.AppID, "night1") {
			if strings.Contains(x.Text, "久等") {
				t.Fatalf("a 留言 was apologised to at night: %q", x.Text)
			}
		}
		if c, _ := s.FindConversation(ctx, c1.ID); c.State != models.ConvWaiting {
			t.Fatalf("assigned before opening: %+v", c)
		}

		// 09:01: the oldest 留言 goes to ann first; the other keeps waiting.
		clk.Set(time.Date(2026, 12, 8, 9, 1, 0, 0, cst))
		s.SetAgentStatus(ctx, ann.ID, true, 1)
		if err := d.svc.Tick(ctx, 30*time.Minute, 10*time.Minute, clk.Now()); err != nil {
			t.Fatal(err)
		}
		c1, _ = s.FindConversation(ctx, c1.ID)
		if c1.State != models.ConvAssigned || c1.AgentID == nil || *c1.AgentID != ann.ID {
			t.Fatalf("the oldest 留言 at opening: %+v", c1)
		}
		c2, _ := s.OpenConversation(ctx, d.member("night2").ID)
		if c2 == nil || c2.State != models.ConvWaiting || !c2.AfterHours {
			t.Fatalf("the second 留言: %+v", c2)
		}
		if got := d.lastCustom("night1"); !strings.Contains(got, "ANN") {
			t.Fatalf("night1 not told who serves them: %q", got)
		}
		if err := d.svc.Reply(ctx, c1.ID, ann, models.TextReply("您好，订单 1234 今天发出。")); err != nil {
			t.Fatal(err)
		}
		if got := d.lastCustom("night1"); got != "您好，订单 1234 今天发出。" {
			t.Fatalf("the morning answer: %q", got)
		}
		// Open now: a new escalation is queued as before, with its position.
		d.Follow("day1")
		if got := d.say("day1", "人工"); !strings.Contains(got, "前面还有 1 位") {
			t.Fatalf("daytime escalation: %q", got)
		}
		if c, _ := s.OpenConversation(ctx, d.member("day1").ID); c == nil || c.AfterHours {
			t.Fatalf("daytime conversation marked 留言: %+v", c)
		}
	})
}

// TestOffHoursOnHolidaysAndViaLive: the hours saved in the console (Live)
// apply; on a holiday the fan is told the next working day, and a menu
// click still opens a conversation.
func TestOffHoursOnHolidaysAndViaLive(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 12, 25, 10, 0, 0, 0, cst)} // a Friday, a holiday
		s.Now = clk.Now
		defaults, warnings := roles.SettingDefaults(config.Defaults())
		if len(warnings) > 0 {
			t.Fatal(warnings)
		}
		live := &settings.Live{Store: s, Defaults: defaults}
		if err := live.Save(ctx, settings.Values{settings.HoursMon: "09:00-18:00", settings.HoursFri: "09:00-18:00",
			settings.ServiceHolidays: "2026-12-25", settings.ServiceOffHours: "{{.Name}}您好，今天放假，{{.OpensAt}} 回复您。"},
			nil, models.AuditEntry{Username: "admin"}); err != nil {
			t.Fatal(err)
		}
		d := newDesk(t, s, func(svc *roles.Service) { svc.Live, svc.Loc, svc.Now = live, cst, clk.Now })
		d.agent("bob", true, 3)
		d.Follow("xmas")
		got, err := platform.Click(ctx, d.Acct.AppID, "xmas", "CONTACT_AGENT")
		if err != nil || got == nil {
			t.Fatal(got, err)
		}
		d.Handler.Wait()
		c, _ := s.OpenConversation(ctx, d.member("xmas").ID)
		if c == nil || !c.AfterHours || c.State != models.ConvWaiting || c.Reason != models.ReasonMenu {
			t.Fatalf("menu click on a holiday: %+v", c)
		}
		if !strings.Contains(got.Text, "今天放假，12月28日（周一）09:00 回复您") {
			t.Fatalf("holiday reply: %q", got.Text)
		}
	})
}
