package models_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// reportWorld is an account with a known history, seeded through the
// store's own methods at chosen times (the injected clock), so every report
// number below is counted by hand.
type reportWorld struct {
	t   *testing.T
	s   *models.Store
	ctx context.Context
	loc *time.Location
	mu  sync.Mutex
	now time.Time
	ids map[string]uint64
	n   int
}

func (w *reportWorld) at(day, clock string) {
	w.t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, w.loc)
	if err != nil {
		w.t.Fatal(err)
	}
	w.mu.Lock()
	w.now = tm
	w.mu.Unlock()
}

// in records an inbound message or event from openID now, answered with a.
func (w *reportWorld) in(openID string, in models.Inbound, a ...models.Answer) {
	w.t.Helper()
	w.n++
	in.DedupeKey, in.OpenID = fmt.Sprintf("k%d", w.n), openID
	m, member, _, err := w.s.RecordInbound(w.ctx, in)
	if err != nil {
		w.t.Fatal(err)
	}
	w.ids[openID] = member.ID
	ans := models.Answer{State: models.StateNone}
	if len(a) > 0 {
		ans = a[0]
	}
	ans.MemberID = member.ID
	if err := w.s.FinishInbound(w.ctx, m.ID, ans); err != nil {
		w.t.Fatal(err)
	}
}

func (w *reportWorld) follow(openID, scene string) {
	key := ""
	if scene != "" {
		key = "qrscene_" + scene
	}
	w.in(openID, models.Inbound{MsgType: "event", Event: "subscribe", EventKey: key, Subscribe: true, Scene: scene})
}

func (w *reportWorld) unfollow(openID string) {
	w.in(openID, models.Inbound{MsgType: "event", Event: "unsubscribe", Unsubscribe: true})
}

func (w *reportWorld) text(openID, content string, a models.Answer) {
	a.State = models.StateReplied
	w.in(openID, models.Inbound{MsgType: "text", Content: content}, a)
}

func (w *reportWorld) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// send delivers push's queued recipients now: failing ones get errcode 45015.
func (w *reportWorld) send(failing ...string) {
	w.t.Helper()
	rs, err := w.s.ClaimRecipients(w.ctx, "w", 100, time.Minute)
	w.must(err)
	for _, r := range rs {
		o := models.Outcome{State: models.RcptSent, Channel: "custom"}
		for _, f := range failing {
			if r.OpenID == f {
				o = models.Outcome{State: models.RcptFailed, Channel: "custom", ErrCode: 45015, Reason: "out of window"}
			}
		}
		ok, err := w.s.MarkSending(w.ctx, &r, "w")
		if !ok || err != nil {
			w.t.Fatalf("mark sending: %v %v", ok, err)
		}
		w.must(w.s.FinishRecipient(w.ctx, &r, "w", o))
	}
}

func (w *reportWorld) push(kind, name string, openIDs ...string) {
	w.t.Helper()
	var ids []uint64
	for _, o := range openIDs {
		ids = append(ids, w.ids[o])
	}
	_, err := w.s.CreatePush(w.ctx, models.NewPush{Kind: kind, Name: name, Reply: models.TextReply("hi")}, ids)
	w.must(err)
}

// seedReports builds the account every report test reads. The period is
// 2030-05-01 … 2030-05-10 in Beijing time; "now" is 05-10 12:00.
//
//	A  follows via shop 05-01 09:00, stays; curious and new on 05-03
//	B  follows via shop 05-02 00:30 (UTC still says 05-01), leaves 05-02 10:00
//	C  follows by search 05-03 10:00, leaves 05-06 10:00
//	F  followed via shop 04-20 (before), leaves 05-04 10:00 (counts for shop)
//	G  follows by search 05-04 10:00, gets the broadcast, leaves 05-05 20:00
//	D  follows via a referral code 05-05 10:00, stays; responder on 05-06
//	E  follows via shop 05-09 10:00, stays
func seedReports(t *testing.T, s *models.Store) (*reportWorld, models.Period) {
	loc := time.FixedZone("CST", 8*3600)
	w := &reportWorld{t: t, s: s, ctx: context.Background(), loc: loc, ids: map[string]uint64{}}
	s.Now = func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
	ctx := w.ctx
	w.at("2030-04-01", "08:00")
	_, err := s.CreateChannel(ctx, models.NewChannel{Name: "门店", Scene: "shop", Permanent: true}, "t", "u", 0)
	w.must(err)
	rule, err := s.CreateRule(ctx, models.RuleSpec{Name: "积分查询", Kind: "keyword", Trigger: "积分",
		Keywords: []models.Keyword{{Text: "积分", Match: "contains"}}, Replies: []models.Reply{models.TextReply("您的积分…")}})
	w.must(err)

	w.at("2030-04-20", "10:00")
	w.follow("F", "shop")
	_, err = s.RaiseLevel(ctx, w.ids["F"], models.LevelCurious, "asked")
	w.must(err)
	_, _, err = s.Earn(ctx, w.ids["F"], 40, models.SourceSignIn, "sign-in", "f1", nil)
	w.must(err)
	w.push("broadcast", "四月活动", "F") // before the period
	w.send()

	w.at("2030-05-01", "09:00")
	w.follow("A", "shop")
	w.at("2030-05-02", "00:30")
	w.follow("B", "shop")
	w.at("2030-05-02", "10:00")
	w.unfollow("B")
	_, _, err = s.Earn(ctx, w.ids["A"], 100, models.SourceSignIn, "sign-in", "a1", nil)
	w.must(err)
	w.at("2030-05-03", "10:00")
	w.follow("C", "")
	w.text("A", "会员积分怎么查？", models.Answer{Unanswered: true})
	_, err = s.RaiseLevel(ctx, w.ids["A"], models.LevelCurious, "asked")
	w.must(err)
	_, err = s.AdvanceStage(ctx, w.ids["A"], models.StageNew, "first purchase")
	w.must(err)
	w.at("2030-05-04", "10:00")
	w.unfollow("F")
	w.follow("G", "")
	_, _, err = s.Spend(ctx, w.ids["A"], 30, models.SourceRedemption, "gift", "a2")
	w.must(err)
	w.at("2030-05-05", "10:00")
	w.follow("D", "ref_abc123")
	w.in("A", models.Inbound{MsgType: "event", Event: "SCAN", EventKey: "shop"}) // a scan is no follow
	w.push("broadcast", "双十一预热", "A", "B", "D", "G")                             // B has left: skipped
	w.send("D")
	w.at("2030-05-05", "15:00")
	w.in("A", models.Inbound{MsgType: "event", Event: "CLICK", EventKey: "menu_points"}) // a response
	w.at("2030-05-05", "20:00")
	w.unfollow("G")
	w.at("2030-05-06", "09:00")
	w.push("care", "欢迎旅程 第2步", "D")
	w.at("2030-05-06", "10:00")
	w.unfollow("C")
	_, err = s.RaiseLevel(ctx, w.ids["D"], models.LevelResponder, "joined a topic")
	w.must(err)
	_, _, err = s.Earn(ctx, w.ids["D"], 50, models.SourceTopic, "topic", "d1", nil)
	w.must(err)
	w.at("2030-05-06", "21:00")
	w.send()
	w.at("2030-05-06", "22:00")
	w.text("D", "积分兑换礼品", models.Answer{RuleID: rule.ID})
	w.at("2030-05-07", "10:00")
	_, _, err = s.AdjustPoints(ctx, w.ids["D"], -10, "correction", 1, "d2")
	w.must(err)
	c, _, err := s.Escalate(ctx, w.ids["D"], "D", models.ReasonKeyword)
	w.must(err)
	ann, err := s.CreateStaff(ctx, models.NewStaff{Username: "ann", Password: "correct-horse", Role: models.RoleAgent})
	w.must(err)
	w.at("2030-05-07", "10:02")
	_, err = s.Claim(ctx, c.ID, ann.ID)
	w.must(err)
	w.at("2030-05-07", "10:05")
	w.must(s.NoteAgentReply(ctx, c.ID))
	w.at("2030-05-07", "10:30")
	_, err = s.Resolve(ctx, c.ID, "agent")
	w.must(err)
	w.at("2030-05-09", "10:00")
	w.follow("E", "shop")
	w.text("E", "Price of VIP card", models.Answer{Unanswered: true})
	w.text("A", "积分", models.Answer{RuleID: rule.ID})
	w.at("2030-05-09", "23:30")
	_, _, err = s.Earn(ctx, w.ids["E"], 20, models.SourceRule, "rule", "e1", nil)
	w.must(err)

	_, err = s.SaveProfile(ctx, w.ids["A"], models.ProfileInput{Name: "小明", Birthday: "1990-06-01", Region: "上海", Phone: "13800000000", Interests: "美食，旅行", Consent: true})
	w.must(err)
	// D turns 18 on the report's day: in the 18-24 band.
	_, err = s.SaveProfile(ctx, w.ids["D"], models.ProfileInput{Birthday: "2012-05-10", Region: "上海", Interests: "旅行", Consent: true})
	w.must(err)
	_, err = s.SaveProfile(ctx, w.ids["E"], models.ProfileInput{Name: "Eve", Region: "北京", Consent: true})
	w.must(err)
	_, err = s.SaveSegment(ctx, 0, "上海粉丝", models.SegmentFilter{Region: "上海"})
	w.must(err)

	w.at("2030-05-10", "12:00")
	p, err := models.ReportPeriod(s.Now(), loc, models.RangeCustom, "2030-05-01", "2030-05-10")
	w.must(err)
	return w, p
}

// rows renders a table's rows as text, so expectations read like the CSV.
func rows(tb models.Table) []string {
	var out []string
	for _, r := range tb.Rows {
		var cells []string
		for _, v := range r {
			switch x := v.(type) {
			case models.Ratio:
				cells = append(cells, fmt.Sprintf("%d/%d", x.N, x.Of))
			case nil:
				cells = append(cells, "-")
			default:
				cells = append(cells, fmt.Sprint(x))
			}
		}
		out = append(out, strings.Join(cells, " "))
	}
	return out
}

func same(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func TestReports(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		w, p := seedReports(t, s)
		ctx := w.ctx

		g, err := s.Growth(ctx, p, models.AllChannels)
		w.must(err)
		tabs := g.Tables()
		same(t, "growth days", rows(tabs[0]), []string{
			"2030-05-01 1 0 1", "2030-05-02 1 1 0", "2030-05-03 1 0 1", "2030-05-04 1 1 0", "2030-05-05 1 1 0",
			"2030-05-06 0 1 -1", "2030-05-07 0 0 0", "2030-05-08 0 0 0", "2030-05-09 1 0 1", "2030-05-10 0 0 0"})
		// Retention: shop's A and E are 1+ days old and stayed, B left within
		// a day; of the 7+ day old follows (A, B) only A stayed a week.
		same(t, "growth channels", rows(tabs[1]), []string{
			"shop 门店 3 2 1 2/3 1/2 0/0",
			"(none)  2 2 0 2/2 0/1 0/0",
			"ref_  1 0 1 1/1 0/0 0/0",
			"*  6 4 2 5/6 1/3 0/0"})
		g, err = s.Growth(ctx, p, "shop")
		w.must(err)
		same(t, "shop days", rows(g.Tables()[0])[:4], []string{"2030-05-01 1 0 1", "2030-05-02 1 1 0", "2030-05-03 0 0 0", "2030-05-04 0 1 -1"})

		f, err := s.Funnel(ctx, p)
		w.must(err)
		tabs = f.Tables()
		same(t, "levels", rows(tabs[0]), []string{"visitor 0 0 7 7/7", "follower 4 1 7 7/7", "curious 2 1 3 3/7",
			"responder 1 1 1 1/7", "spreader 0 0 0 0/7", "key_person 0 0 0 0/7"})
		same(t, "stages", rows(tabs[1]), []string{"prospect 6 2 7 7/7", "new 1 1 1 1/7", "loyal 0 0 0 0/7"})
		same(t, "moves", rows(tabs[2]), []string{"stage prospect new 1 1", "level follower curious 1 1", "level follower responder 1 1"})
		same(t, "move days", rows(tabs[3]), []string{"2030-05-03 stage new 1", "2030-05-03 level curious 1", "2030-05-06 level responder 1"})

		k, err := s.Keywords(ctx, p, 5)
		w.must(err)
		tabs = k.Tables()
		same(t, "topics", rows(tabs[0]), []string{"积分查询 积分 2 2"})
		same(t, "keywords", rows(tabs[1]), []string{"积分 3 2", "card 1 1", "price 1 1", "vip 1 1", "会员 1 1"})
		if k.Texts != 4 || k.Scanned != 4 {
			t.Fatalf("texts %d scanned %d", k.Texts, k.Scanned)
		}
		same(t, "unanswered", rows(tabs[2]), []string{"Price of VIP card 1 1 2030-05-09 10:00", "会员积分怎么查？ 1 1 2030-05-03 10:00"})
		same(t, "interests", rows(tabs[3]), []string{"stage:prospect 旅行 1 1/1", "stage:new 旅行 1 1/1", "stage:new 美食 1 1/1",
			"上海粉丝 旅行 2 2/2", "上海粉丝 美食 1 1/2"})

		c, err := s.Content(ctx, p)
		w.must(err)
		tabs = c.Tables()
		same(t, "content", rows(tabs[0]), []string{
			"broadcast 双十一预热 1 4 2 1 1 0 0 2/3 1 1 1/2",
			"care 欢迎旅程 第2步 1 1 1 0 0 0 0 1/1 0 1 1/1"})
		hours := rows(tabs[2])
		same(t, "send hours", []string{hours[10], hours[21], hours[9]}, []string{"10:00 2 1 1/2 1", "21:00 1 1 1/1 0", "09:00 0 0 0/0 0"})
		if len(c.BestHours) != 0 || len(tabs[1].Rows) != 0 {
			t.Fatalf("best hours %+v with fewer than %d sends", c.BestHours, models.MinSendsForBest)
		}

		pts, err := s.Points(ctx, p, 10)
		w.must(err)
		tabs = pts.Tables()
		same(t, "points days", rows(tabs[0]), []string{"2030-05-01 0 0 0 0 40", "2030-05-02 100 0 0 0 140", "2030-05-03 0 0 0 0 140",
			"2030-05-04 0 30 0 0 110", "2030-05-05 0 0 0 0 110", "2030-05-06 50 0 0 0 160", "2030-05-07 0 0 0 10 150",
			"2030-05-08 0 0 0 0 150", "2030-05-09 20 0 0 0 170", "2030-05-10 0 0 0 0 170"})
		same(t, "points sources", rows(tabs[1]), []string{"redemption 1 0 30", "rule 1 20 0", "signin 1 100 0", "staff 1 0 10", "topic 1 50 0"})
		same(t, "top earners", rows(tabs[2]), []string{"1 A 100 70", "2 D 50 40", "3 E 20 20"})
		if pts.Outstanding != 170 || pts.Holders != 4 {
			t.Fatalf("outstanding %d holders %d", pts.Outstanding, pts.Holders)
		}

		pr, err := s.ProfileStats(ctx, w.loc)
		w.must(err)
		tabs = pr.Tables()
		same(t, "completeness", rows(tabs[0]), []string{"profile 3 3/7", "name 2 2/7", "birthday 2 2/7", "region 3 3/7", "phone 1 1/7", "interests 2 2/7"})
		same(t, "regions", rows(tabs[1]), []string{"上海 2 2/3 3/7", "北京 1 1/3 3/7"})
		same(t, "ages", rows(tabs[2]), []string{"under_18 0 0/2 2/7", "18_24 1 1/2 2/7", "25_34 0 0/2 2/7", "35_44 1 1/2 2/7",
			"45_54 0 0/2 2/7", "55_plus 0 0/2 2/7"})

		sv, err := s.ServiceMetrics(ctx, p.From, p.To, p.Loc)
		w.must(err)
		staff, err := s.ListStaff(ctx)
		w.must(err)
		tabs = sv.Tables(map[uint64]string{staff[0].ID: staff[0].Username})
		same(t, "service agents", rows(tabs[0])[:1], []string{"ann 1 1 2m0s 1 5m0s 5m0s 1 30m0s 0 -"})
	})
}

func TestReportPeriod(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2030, 5, 10, 1, 0, 0, 0, loc) // 05-09 17:00 UTC
	p, err := models.ReportPeriod(now, loc, "", "", "")
	if err != nil || p.Range != "7" || len(p.Days()) != 7 || p.Days()[0] != "2030-05-04" || p.LastDay() != "2030-05-10" {
		t.Fatalf("default: %+v %v %v", p, p.Days(), err)
	}
	if p, _ := models.ReportPeriod(now, loc, models.Range90, "", ""); len(p.Days()) != 90 {
		t.Fatalf("90 days: %d", len(p.Days()))
	}
	for _, bad := range [][3]string{{"14", "", ""}, {"custom", "2030-05-02", "2030-05-01"}, {"custom", "May 1", "2030-05-02"},
		{"custom", "2028-01-01", "2030-01-01"}} {
		if _, err := models.ReportPeriod(now, loc, bad[0], bad[1], bad[2]); models.ErrorCode(err) != models.EINVALID {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// A zone with daylight saving: days are cut at local midnight on both
// sides of the change.
func TestGrowthAcrossDaylightSaving(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata")
	}
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		w := &reportWorld{t: t, s: s, ctx: context.Background(), loc: ny, ids: map[string]uint64{}}
		s.Now = func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
		// Clocks went forward on 2030-03-10 at 02:00.
		w.at("2030-03-09", "23:30") // 04:30 UTC on the 10th
		w.follow("a", "")
		w.at("2030-03-10", "23:30") // 03:30 UTC on the 11th
		w.follow("b", "")
		w.at("2030-03-11", "00:30")
		w.follow("c", "")
		w.at("2030-03-12", "12:00")
		p, err := models.ReportPeriod(s.Now(), ny, models.RangeCustom, "2030-03-09", "2030-03-11")
		w.must(err)
		g, err := s.Growth(w.ctx, p, models.AllChannels)
		w.must(err)
		same(t, "days", rows(g.Tables()[0]), []string{"2030-03-09 1 0 1", "2030-03-10 1 0 1", "2030-03-11 1 0 1"})
	})
}

// The best send times rank hours by response rate once they have enough
// messages to mean something.
func TestBestSendHours(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		loc := time.FixedZone("CST", 8*3600)
		w := &reportWorld{t: t, s: s, ctx: context.Background(), loc: loc, ids: map[string]uint64{}}
		s.Now = func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
		var fans []string
		w.at("2030-05-01", "08:00")
		for i := 0; i < models.MinSendsForBest; i++ {
			fans = append(fans, fmt.Sprintf("f%02d", i))
			w.follow(fans[i], "")
		}
		// 20 sends at 09:00 with 5 replies, 20 at 20:00 with 10, 19 at 12:00 with 19.
		for _, slot := range []struct {
			day, clock, reply string
			n, resp           int
		}{{"2030-05-02", "09:00", "09:01", 20, 5}, {"2030-05-05", "20:00", "20:01", 20, 10}, {"2030-05-08", "12:00", "12:01", 19, 19}} {
			w.at(slot.day, slot.clock)
			w.push("broadcast", "早安 "+slot.clock, fans[:slot.n]...)
			w.send()
			w.at(slot.day, slot.reply)
			for i := 0; i < slot.resp; i++ {
				w.in(fans[i], models.Inbound{MsgType: "text", Content: "好"})
			}
		}
		p, err := models.ReportPeriod(s.Now(), loc, models.RangeCustom, "2030-05-01", "2030-05-10")
		w.must(err)
		c, err := s.Content(w.ctx, p)
		w.must(err)
		same(t, "best", rows(c.Tables()[1]), []string{"20:00 20 10 10/20 0", "09:00 20 5 5/20 0"})
	})
}

// The report queries read the big tables (messages, the points ledger,
// level and stage history, recipients, conversations) through indexes, never a full scan:
// SQLite's plan searches them by index; MySQL has an index it can use.
func TestReportQueriesUseIndexes(t *testing.T) {
	big := map[string]bool{"messages": true, "m": true, "f": true, "u": true, "a": true,
		"points_entries": true, "member_changes": true, "recipients": true, "r": true, "conversations": true}
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		w, p := seedReports(t, s)
		stmts := models.CaptureSQL(s, func() {
			for _, area := range models.ReportAreas {
				if _, err := s.ReportTables(w.ctx, area, p, models.ReportOptions{}); err != nil {
					t.Fatal(err)
				}
			}
		})
		checked := 0
		for _, stmt := range stmts {
			if !strings.HasPrefix(stmt, "SELECT") {
				continue
			}
			plan, err := models.Explain(s, stmt)
			w.must(err)
			for _, step := range plan {
				f := strings.Fields(step)
				if len(f) < 2 {
					continue
				}
				if s.Driver() == "mysql" {
					if big[f[0]] && strings.HasSuffix(f[2], "=") {
						t.Errorf("no usable index on %s:\n%s\n%s", f[0], stmt, strings.Join(plan, "\n"))
					}
				} else if f[0] == "SCAN" && big[f[1]] {
					t.Errorf("full scan of %s:\n%s\n%s", f[1], stmt, strings.Join(plan, "\n"))
				}
			}
			checked++
		}
		if checked < 15 {
			t.Fatalf("only %d report queries seen", checked)
		}
	})
}

// Migration 18 adds the report indexes to a database created before it.
func TestReportIndexesMigration(t *testing.T) {
	testMigration(t, 18, func(s *models.Store) error {
		if !models.HasReportIndexes(s) {
			return errors.New("the report indexes are missing")
		}
		return nil
	}, models.UndoReportIndexes)
}

// testMigration checks a schema step on every database: a fresh database
// has its shape (check), and so has one that undo made look like a
// database from before the step, once it is opened again.
func testMigration(t *testing.T, step int, check func(*models.Store) error, undo func(*models.Store) error) {
	t.Helper()
	for _, d := range modelstest.Drivers() {
		t.Run(d, func(t *testing.T) {
			driver, dsn := modelstest.DSN(t, d)
			s, err := models.Open(context.Background(), driver, dsn, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if err := check(s); err != nil {
				t.Fatalf("fresh database: %v", err)
			}
			if err := undo(s); err != nil {
				t.Fatalf("undo: %v", err)
			}
			if check(s) == nil {
				t.Fatal("undo left the shape of the step in place")
			}
			s.Close()
			if s, err = models.Open(context.Background(), driver, dsn, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := check(s); err != nil {
				t.Fatalf("after migration %d: %v", step, err)
			}
		})
	}
}
