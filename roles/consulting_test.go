package roles_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// shanghai is the default account zone.
var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func newConsulting(s *models.Store) *roles.Consulting {
	c := &roles.Consulting{
		Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Loc: shanghai,
		Now: time.Now, WelcomeText: "默认欢迎", Actions: roles.TagActions(s),
	}
	return c
}

func mustSave(t *testing.T, c *roles.Consulting, spec models.RuleSpec) *models.Rule {
	t.Helper()
	r, _, err := c.SaveRule(context.Background(), 0, spec)
	if err != nil {
		t.Fatalf("save %s: %v", spec.Name, err)
	}
	return r
}

func kw(text, match string) []models.Keyword { return []models.Keyword{{Text: text, Match: match}} }

func TestMatchModesAndPriorities(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		c := newConsulting(s)
		ctx := context.Background()
		for _, spec := range []models.RuleSpec{
			{Name: "exact", Kind: "keyword", Priority: 1, Keywords: kw("价格", "exact"), Replies: []models.Reply{models.TextReply("exact")}},
			{Name: "prefix", Kind: "keyword", Priority: 1, Keywords: kw("查询", "prefix"), Replies: []models.Reply{models.TextReply("prefix")}},
			{Name: "contains", Kind: "keyword", Priority: 1, Keywords: kw("营业时间", "contains"), Replies: []models.Reply{models.TextReply("contains")}},
			{Name: "regex", Kind: "keyword", Priority: 1, Keywords: kw(`^订单\s*\d{6}$`, "regex"), Replies: []models.Reply{models.TextReply("regex")}},
			{Name: "unindexed regex", Kind: "keyword", Priority: 1, Keywords: kw(`^\d{11}$`, "regex"), Replies: []models.Reply{models.TextReply("phone")}},
			{Name: "english", Kind: "keyword", Priority: 1, Keywords: kw("Hello", "exact"), Replies: []models.Reply{models.TextReply("hi")}},
			{Name: "low", Kind: "keyword", Priority: 1, Keywords: kw("优惠", "contains"), Replies: []models.Reply{models.TextReply("low")}},
			{Name: "high", Kind: "keyword", Priority: 9, Keywords: kw("优惠券", "contains"), Replies: []models.Reply{models.TextReply("high")}},
		} {
			mustSave(t, c, spec)
		}
		cases := []struct{ in, want string }{
			{"价格", "exact"},
			{" 价格 ", "exact"},
			{"价格多少", ""},
			{"查询快递", "prefix"},
			{"我要查询", ""},
			{"请问营业时间是？", "contains"},
			{"订单 123456", "regex"},
			{"订单 12345", ""},
			{"13800138000", "phone"},
			{"ＨＥＬＬＯ", "hi"}, // full-width and case folded
			{"有优惠券吗", "high"},
			{"有优惠吗", "low"},
			{"随便聊聊", ""},
		}
		for _, tc := range cases {
			res, err := c.Test(ctx, roles.TestInput{Text: tc.in})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if res.Matched {
				got = res.Replies[0].Text
			}
			if got != tc.want {
				t.Errorf("%q: got %q, want %q (trace %+v)", tc.in, got, tc.want, res.Trace)
			}
			if res.Unmatched != (tc.want == "") {
				t.Errorf("%q: unmatched = %v", tc.in, res.Unmatched)
			}
		}
	})
}

func TestScheduleAudienceAndCooldown(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		c := newConsulting(s)
		ctx := context.Background()
		yes := true
		mustSave(t, c, models.RuleSpec{Name: "office hours", Kind: "keyword", Priority: 5, Keywords: kw("客服", "exact"),
			Schedule: &models.Schedule{Hours: []string{"09:00-18:00"}, Weekdays: []int{1, 2, 3, 4, 5}, From: "2026-01-01", To: "2026-12-31"},
			Replies:  []models.Reply{models.TextReply("我们在线")}})
		mustSave(t, c, models.RuleSpec{Name: "night", Kind: "keyword", Priority: 1, Keywords: kw("客服", "exact"),
			Schedule: &models.Schedule{Hours: []string{"18:00-09:00"}}, Replies: []models.Reply{models.TextReply("已下班")}})
		mustSave(t, c, models.RuleSpec{Name: "vip", Kind: "keyword", Priority: 3, Keywords: kw("福利", "exact"),
			Audience: &models.Audience{Tags: []string{"vip"}, Subscribed: &yes}, Replies: []models.Reply{models.TextReply("VIP 福利")}})
		mustSave(t, c, models.RuleSpec{Name: "default", Kind: "default", CooldownMinutes: 30, Replies: []models.Reply{models.TextReply("没听懂")}})

		at := func(s string) time.Time { t, _ := time.ParseInLocation("2006-01-02 15:04", s, shanghai); return t }
		for _, tc := range []struct {
			when, want string
		}{
			{"2026-03-02 10:00", "我们在线"}, // Monday
			{"2026-03-02 19:00", "已下班"},  // Monday evening
			{"2026-03-07 10:00", ""},     // Saturday daytime: neither
			{"2026-03-03 08:59", "已下班"},  // crosses midnight
			{"2027-01-04 10:00", ""},     // after the date range; night rule not in hours
		} {
			res, err := c.Test(ctx, roles.TestInput{Text: "客服", At: at(tc.when)})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if res.Matched && res.RuleName != "default" {
				got = res.Replies[0].Text
			}
			if got != tc.want {
				t.Errorf("%s: got %q, want %q", tc.when, got, tc.want)
			}
		}

		// Audience: only a subscribed member tagged vip.
		_, m, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "k1", OpenID: "o_vip", MsgType: "text"})
		if err != nil {
			t.Fatal(err)
		}
		res, _ := c.Test(ctx, roles.TestInput{Text: "福利", OpenID: "o_vip"})
		if res.RuleName == "vip" {
			t.Fatal("vip rule fired for an untagged member")
		}
		if err := s.TagMember(ctx, m.ID, "vip"); err != nil {
			t.Fatal(err)
		}
		res, _ = c.Test(ctx, roles.TestInput{Text: "福利", OpenID: "o_vip"})
		if res.RuleName != "vip" {
			t.Fatalf("vip rule did not fire for a vip: %+v", res.Trace)
		}
		if _, err := c.Test(ctx, roles.TestInput{Text: "福利", OpenID: "nobody"}); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("unknown member in tester: %v", err)
		}
	})
}

func TestDefaultReplyCooldownThroughCallback(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		c := newConsulting(s)
		mustSave(t, c, models.RuleSpec{Name: "default", Kind: "default", CooldownMinutes: 30, Replies: []models.Reply{models.TextReply("没听懂，回复 人工 找客服")}})
		e := newEnv(t, s, false, c)
		e.Follow("fan_d")
		ctx := context.Background()
		d1, _ := platform.SendText(ctx, e.Acct.AppID, "fan_d", "啊？")
		d2, _ := platform.SendText(ctx, e.Acct.AppID, "fan_d", "什么")
		if d1 == nil || d1.Text != "没听懂，回复 人工 找客服" {
			t.Fatalf("first default reply: %+v", d1)
		}
		if d2 != nil {
			t.Fatalf("default reply repeated within cooldown: %+v", d2)
		}
		groups, err := s.UnansweredQuestions(ctx, time.Now().Add(-time.Hour), 10)
		if err != nil || len(groups) != 2 {
			t.Fatalf("unanswered: %+v %v", groups, err)
		}
	})
}

func TestWelcomeVariantsClicksAndTypes(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		c := newConsulting(s)
		e := newEnv(t, s, true, c)
		ctx := context.Background()
		// No welcome rule yet: the configured text.
		d, _ := platform.Follow(ctx, e.Acct.AppID, "w1", "")
		if d == nil || d.Text != "默认欢迎" {
			t.Fatalf("built-in welcome: %+v", d)
		}
		mustSave(t, c, models.RuleSpec{Name: "welcome", Kind: "welcome", Replies: []models.Reply{models.TextReply("欢迎！")}})
		mustSave(t, c, models.RuleSpec{Name: "welcome poster", Kind: "welcome", Trigger: "poster", Replies: []models.Reply{models.TextReply("海报来的朋友，欢迎！")},
			Actions: []models.Action{{Type: "tag", Value: "来自海报"}}})
		mustSave(t, c, models.RuleSpec{Name: "back", Kind: "welcome_back", Replies: []models.Reply{models.TextReply("欢迎回来")}})
		mustSave(t, c, models.RuleSpec{Name: "menu", Kind: "click", Trigger: "V1001_HOURS", Replies: []models.Reply{models.TextReply("9:00-21:00")}})
		mustSave(t, c, models.RuleSpec{Name: "pic", Kind: "msgtype", Trigger: "image", Replies: []models.Reply{models.TextReply("收到图片")}})
		mustSave(t, c, models.RuleSpec{Name: "multi", Kind: "keyword", Keywords: kw("套餐", "exact"), Replies: []models.Reply{
			models.TextReply("套餐一"), models.TextReply("套餐二 {{.OpenID}}"),
		}})

		d, _ = platform.Follow(ctx, e.Acct.AppID, "w2", "poster")
		if d == nil || d.Text != "海报来的朋友，欢迎！" {
			t.Fatalf("scene welcome: %+v", d)
		}
		m, _ := s.FindMemberByOpenID(ctx, "w2")
		if tags, _ := s.MemberTags(ctx, m.ID); len(tags) != 1 || tags[0] != "来自海报" {
			t.Fatalf("tag action: %v", tags)
		}
		d, _ = platform.Follow(ctx, e.Acct.AppID, "w3", "")
		if d == nil || d.Text != "欢迎！" {
			t.Fatalf("plain welcome: %+v", d)
		}
		platform.Unfollow(ctx, e.Acct.AppID, "w3")
		// Events are deduplicated by sender + CreateTime (seconds) + event,
		// as WeChat's retries are: a real re-follow comes in a later second.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
		d, _ = platform.Follow(ctx, e.Acct.AppID, "w3", "")
		if d == nil || d.Text != "欢迎回来" {
			t.Fatalf("welcome back: %+v", d)
		}
		d, _ = platform.Click(ctx, e.Acct.AppID, "w3", "V1001_HOURS")
		if d == nil || d.Text != "9:00-21:00" {
			t.Fatalf("click: %+v", d)
		}
		d, _ = platform.Post(ctx, e.Acct.AppID, "w3", fake.CallbackMessage{MsgType: "image", PicURL: "http://x/y.jpg", MediaID: "m1"})
		if d == nil || d.Text != "收到图片" {
			t.Fatalf("image: %+v", d)
		}
		d, _ = platform.SendText(ctx, e.Acct.AppID, "w3", "套餐")
		e.Handler.Wait()
		if d == nil || d.Text != "套餐一" {
			t.Fatalf("first of several: %+v", d)
		}
		var follow string
		for _, x := range platform.Inbox(e.Acct.AppID, "w3") {
			if x.Source == fake.SourceCustom {
				follow = x.Text
			}
		}
		if follow != "套餐二 w3" {
			t.Fatalf("second reply as customer-service message with variable: %q", follow)
		}
		hits, _ := s.RuleHits(ctx, time.Now().Add(-24*time.Hour))
		var total int64
		for _, n := range hits {
			total += n
		}
		if total != 6 {
			t.Fatalf("rule hits = %v, want 6 in total", hits)
		}
	})
}

func TestSaveRejectsBadRulesAndWarnsAboutShadows(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		c := newConsulting(s)
		ctx := context.Background()
		bad := []struct {
			spec models.RuleSpec
			want string
		}{
			{models.RuleSpec{Name: "r", Kind: "keyword", Keywords: kw("(a", "regex"), Replies: []models.Reply{models.TextReply("x")}}, "not a valid RE2"},
			{models.RuleSpec{Name: "r", Kind: "keyword", Keywords: kw(`(?=a)`, "regex"), Replies: []models.Reply{models.TextReply("x")}}, "not a valid RE2"},
			{models.RuleSpec{Name: "r", Kind: "keyword", Replies: []models.Reply{models.TextReply("x")}}, "at least one keyword"},
			{models.RuleSpec{Name: "r", Kind: "keyword", Keywords: kw("a", "fuzzy"), Replies: []models.Reply{models.TextReply("x")}}, "match must be"},
			{models.RuleSpec{Name: "r", Kind: "keyword", Keywords: kw("a", "exact"), Replies: []models.Reply{models.TextReply("{{.Nope}}")}}, "不允许使用 {{.Nope}}"},
			{models.RuleSpec{Name: "r", Kind: "keyword", Keywords: kw("a", "exact"), Replies: []models.Reply{models.TextReply("{{.Name")}}, "模板写法有误"},
			{models.RuleSpec{Name: "r", Kind: "keyword", Keywords: kw("a", "exact"), Replies: []models.Reply{{Kind: "image"}}}, "media_id"},
			{models.RuleSpec{Name: "r", Kind: "keyword", Keywords: kw("a", "exact"), Actions: []models.Action{{Type: "teleport"}}}, `unknown action "teleport"`},
			{models.RuleSpec{Name: "r", Kind: "keyword", Keywords: kw("a", "exact"), Replies: []models.Reply{models.TextReply("x")}, Schedule: &models.Schedule{Hours: []string{"9-18"}}}, "09:00-18:00"},
			{models.RuleSpec{Name: "r", Kind: "click", Replies: []models.Reply{models.TextReply("x")}}, "menu key"},
			{models.RuleSpec{Name: "", Kind: "keyword"}, "name"},
		}
		for _, b := range bad {
			_, _, err := c.SaveRule(ctx, 0, b.spec)
			if models.ErrorCode(err) != models.EINVALID || !strings.Contains(models.ErrorMessage(err), b.want) {
				t.Errorf("%+v: err = %v, want %q", b.spec, err, b.want)
			}
		}
		if rules, _ := s.ListRules(ctx); len(rules) != 0 {
			t.Fatalf("%d invalid rules stored", len(rules))
		}
		mustSave(t, c, models.RuleSpec{Name: "broad", Kind: "keyword", Priority: 5, Keywords: kw("退款", "contains"), Replies: []models.Reply{models.TextReply("x")}})
		_, warnings, err := c.SaveRule(ctx, 0, models.RuleSpec{Name: "narrow", Kind: "keyword", Priority: 1, Keywords: kw("我要退款", "exact"), Replies: []models.Reply{models.TextReply("y")}})
		if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], `shadowed by rule "broad"`) {
			t.Fatalf("shadow warning: %v %v", warnings, err)
		}
		_, warnings, _ = c.SaveRule(ctx, 0, models.RuleSpec{Name: "winner", Kind: "keyword", Priority: 9, Keywords: kw("我要退款", "exact"), Replies: []models.Reply{models.TextReply("z")}})
		if len(warnings) != 0 {
			t.Fatalf("higher-priority rule warned: %v", warnings)
		}
		_, warnings, _ = c.SaveRule(ctx, 0, models.RuleSpec{Name: "slow", Kind: "keyword", Keywords: kw(`^\d+$`, "regex"), Replies: []models.Reply{models.TextReply("z")}})
		if len(warnings) != 1 || !strings.Contains(warnings[0], "tried on every message") {
			t.Fatalf("unindexed regex warning: %v", warnings)
		}
	})
}

func TestRulesYAMLRoundTripAndAtomicImport(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		c := newConsulting(s)
		ctx := context.Background()
		mustSave(t, c, models.RuleSpec{Name: "营业时间", Kind: "keyword", Priority: 10, Keywords: kw("营业时间", "contains"),
			Schedule: &models.Schedule{Weekdays: []int{1, 2}}, Replies: []models.Reply{models.TextReply("每天 9:00-21:00")}, Random: true})
		mustSave(t, c, models.RuleSpec{Name: "欢迎", Kind: "welcome", Trigger: "store1", Replies: []models.Reply{
			{Kind: "news", Articles: []models.Article{{Title: "门店指南", URL: "https://example.com/a"}}}},
			Actions: []models.Action{{Type: "tag", Value: "门店"}}})
		out, err := s.ExportRulesYAML(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ImportRules(ctx, out); err != nil {
			t.Fatalf("re-import of export: %v\n%s", err, out)
		}
		again, _ := s.ExportRulesYAML(ctx)
		if string(again) != string(out) {
			t.Fatalf("round trip changed the file:\n%s\n---\n%s", out, again)
		}
		bad := strings.Replace(string(out), "match: contains", "match: sometimes", 1)
		if _, err := c.ImportRules(ctx, []byte(bad)); models.ErrorCode(err) != models.EINVALID || !strings.Contains(err.Error(), "rule 1") {
			t.Fatalf("bad import: %v", err)
		}
		typo := strings.Replace(string(out), "priority:", "prioirty:", 1)
		if _, err := c.ImportRules(ctx, []byte(typo)); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("typo import: %v", err)
		}
		now, _ := s.ExportRulesYAML(ctx)
		if string(now) != string(out) {
			t.Fatal("a failed import changed the rules")
		}
	})
}

func TestOtherProcessesNoticeRuleChanges(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		writer, reader := newConsulting(s), newConsulting(s)
		ctx := context.Background()
		if err := reader.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		mustSave(t, writer, models.RuleSpec{Name: "new", Kind: "keyword", Keywords: kw("新品", "exact"), Replies: []models.Reply{models.TextReply("上新了")}})
		if res, _ := reader.Test(ctx, roles.TestInput{Text: "新品"}); res.Matched {
			t.Fatal("reader matched before reloading")
		}
		if err := reader.ReloadIfChanged(ctx); err != nil {
			t.Fatal(err)
		}
		if res, _ := reader.Test(ctx, roles.TestInput{Text: "新品"}); !res.Matched {
			t.Fatal("reader did not pick up the change")
		}
	})
}

func TestSeveralRepliesStayWithinQuotaAndPointsAction(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		c := newConsulting(s)
		c.Actions["points"] = roles.PointsAction(s, 0)
		var replies []models.Reply
		for i := 1; i <= 7; i++ {
			replies = append(replies, models.TextReply(fmt.Sprintf("第 %d 条", i)))
		}
		mustSave(t, c, models.RuleSpec{Name: "seven", Kind: "keyword", Keywords: kw("七条", "exact"), Replies: replies,
			Actions: []models.Action{{Type: "points", Value: "5"}}})
		e := newEnv(t, s, false, c)
		e.Follow("qq1")
		d, _ := platform.SendText(context.Background(), e.Acct.AppID, "qq1", "七条")
		e.Handler.Wait()
		if d == nil || d.Text != "第 1 条" {
			t.Fatalf("passive: %+v", d)
		}
		custom := 0
		for _, x := range platform.Inbox(e.Acct.AppID, "qq1") {
			if x.Source == fake.SourceCustom {
				custom++
			}
		}
		if custom != 5 {
			t.Fatalf("%d customer-service messages delivered, want the quota of 5", custom)
		}
		conv, _ := s.Conversation(context.Background(), "qq1", 50)
		last := conv[len(conv)-1]
		if last.State != models.StateFailed || !strings.Contains(last.Error, "quota") || last.Content != "第 7 条" {
			t.Fatalf("the reply over quota is not recorded: %+v", last)
		}
		if m, _ := s.FindMemberByOpenID(context.Background(), "qq1"); m.Points != 5 {
			t.Fatalf("points action: %d", m.Points)
		}
		for _, bad := range []models.Action{{Type: "points", Value: "lots"}, {Type: "points", Value: "-3"}, {Type: "tag", Value: ""}} {
			_, _, err := c.SaveRule(context.Background(), 0, models.RuleSpec{Name: "bad", Kind: "keyword", Keywords: kw("x", "exact"), Actions: []models.Action{bad}})
			if models.ErrorCode(err) != models.EINVALID {
				t.Errorf("action %+v saved: %v", bad, err)
			}
		}
	})
}
