package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/jobs"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

// follow records a subscribe from openID through scene and returns the member.
func follow(t *testing.T, s *models.Store, openID, scene string) *models.Member {
	t.Helper()
	_, m, _, err := s.RecordInbound(context.Background(), models.Inbound{DedupeKey: "f-" + openID, OpenID: openID,
		MsgType: "event", Event: "subscribe", Subscribe: true, Scene: scene})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var pointsTokenField = regexp.MustCompile(`name="token" value="([^"]+)"`)

func TestMemberPageCRM(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		a.staff("mia", models.RoleMarketer)
		a.staff("alex", models.RoleAgent)
		top, mid, low := follow(t, s, "oTop", ""), follow(t, s, "oMid", "poster"), follow(t, s, "oLow", "")
		for _, l := range [][2]*models.Member{{mid, top}, {low, mid}} {
			if ok, err := s.LinkReferral(ctx, l[0].ID, l[1].ID, 100, time.Hour); err != nil || !ok {
				t.Fatalf("link: %v %v", ok, err)
			}
		}
		if _, err := s.SaveProfile(ctx, mid.ID, models.ProfileInput{Name: "小美", Region: "深圳", Consent: true}); err != nil {
			t.Fatal(err)
		}
		gift, _ := s.SaveGift(ctx, models.Gift{Name: "咖啡券", Kind: models.GiftCoupon, Cost: 30, Stock: 5, ValidDays: 10, Active: true})
		s.Earn(ctx, mid.ID, 40, models.SourceSignIn, "签到", "seed-mid", nil)
		red, err := s.Redeem(ctx, mid.ID, gift.ID, "r1")
		if err != nil {
			t.Fatal(err)
		}

		b := a.browser().login("mia")
		page := "/console/members/oMid"
		r := b.get(page)
		expect(t, r, 200, "小美", "深圳", "同意时间", "潜在客户", "关注者", `href="/console/members/oTop"`,
			`href="/console/members/oLow"`, "直接 1 位，共 1 位", "咖啡券", red.Code, "签到", `id="points-form"`)
		if strings.Contains(r.body(), `href="/console/members/oMid"`) {
			t.Fatal("the member links to itself")
		}
		expect(t, b.get("/console/members/oTop"), 200, "直接 1 位，共 2 位", `class="mono depth-2"`)

		// Refused forms come back as typed, with the reason.
		expect(t, b.submit(page, page+"/stage", url.Values{"stage": {"loyal"}, "stage_reason": {" "}}), 400,
			"say why", `<option value="loyal" selected>`)
		expect(t, b.submit(page, page+"/stage", url.Values{"stage": {"vip"}, "stage_reason": {"x"}}), 400, "unknown stage")
		expect(t, b.submit(page, page+"/stage", url.Values{"stage": {"loyal"}, "stage_reason": {"老顾客"}}), 303)
		expect(t, b.submit(page, page+"/level", url.Values{"level": {"key_person"}, "level_reason": {"门店店长"}}), 303)
		expect(t, b.submit(page, page+"/level", url.Values{"level": {"key_person"}, "level_reason": {"again"}}), 303)
		r = b.get(page + "?ok=crm.flash.level")
		expect(t, r, 200, "等级已更新", "忠实客户", "关键人物", "老顾客", "门店店长", "mia")

		expect(t, b.submit(page, page+"/tag", url.Values{"tag": {"  vip  "}}), 303)
		long := strings.Repeat("标签", 6)
		expect(t, b.submit(page, page+"/tag", url.Values{"tag": {long}}), 400, "1-30 bytes", `value="`+long+`"`)
		expect(t, b.get(page), 200, `<li class="chip">vip`)
		expect(t, b.submit(page, page+"/untag", url.Values{"tag": {"vip"}}), 303)
		if tags, _ := s.MemberTags(ctx, mid.ID); len(tags) != 0 {
			t.Fatalf("tags %v", tags)
		}

		// Points: the hidden token makes a double submit credit once.
		tok := pointsTokenField.FindStringSubmatch(b.get(page).body())[1]
		expect(t, b.submit(page, page+"/points", url.Values{"amount": {"abc"}, "reason": {"补发"}, "token": {tok}}), 400,
			"whole number", `value="abc"`, `value="补发"`, `value="`+tok+`"`)
		expect(t, b.submit(page, page+"/points", url.Values{"amount": {"+50"}, "reason": {""}, "token": {tok}}), 400, "needs a reason")
		expect(t, b.submit(page, page+"/points", url.Values{"amount": {"-500"}, "reason": {"扣"}, "token": {tok}}), 400, "not enough points")
		expect(t, b.submit(page, page+"/points", url.Values{"amount": {"5"}, "reason": {"x"}, "token": {"short"}}), 400, "reload the page")
		for i, flash := range []string{"crm.flash.points", "crm.flash.points_dup"} {
			r := b.submit(page, page+"/points", url.Values{"amount": {"+50"}, "reason": {"活动补发"}, "token": {tok}})
			expect(t, r, 303)
			if loc := r.Header().Get("Location"); !strings.Contains(loc, "ok="+flash) {
				t.Fatalf("submit %d: Location %q", i+1, loc)
			}
		}
		if bal, _ := s.Balance(ctx, mid.ID); bal != 60 {
			t.Fatalf("balance %d, want 40-30+50", bal)
		}
		expect(t, b.get(page), 200, "+50", "活动补发", "人工调整")

		entries, _, _ := s.ListAudit(ctx, 100, 0)
		var got []string
		for i := len(entries) - 1; i >= 0; i-- {
			if e := entries[i]; strings.HasPrefix(e.Action, "member.") {
				if e.Target != "oMid" || e.Username != "mia" {
					t.Fatalf("audit %+v", e)
				}
				got = append(got, e.Action+" "+e.Detail)
			}
		}
		want := "member.stage prospect → loyal: 老顾客|member.level follower → key_person: 门店店长|member.tag vip|member.untag vip|member.points 50 → 60: 活动补发"
		if strings.Join(got, "|") != want {
			t.Fatalf("audited\n%s\nwant\n%s", strings.Join(got, "|"), want)
		}

		// Agents look but do not touch.
		ag := a.browser().login("alex")
		r = ag.get(page)
		expect(t, r, 200, "只能查看", "小美")
		if strings.Contains(r.body(), `id="points-form"`) || strings.Contains(r.body(), `id="tag-form"`) {
			t.Fatal("agent sees edit forms")
		}
		expect(t, ag.submit(page, page+"/tag", url.Values{"tag": {"x"}}), 403)
		expect(t, b.submit(page, page+"/explode", nil), 404)
		expect(t, b.submit(page, "/console/members/oNobody/tag", url.Values{"tag": {"x"}}), 404)
		expect(t, b.post(page+"/tag", url.Values{"tag": {"x"}}), 403) // no CSRF token
	})
}

func TestMembersListFiltersAndCompleteness(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		a.staff("alex", models.RoleAgent)
		for i := 0; i < 6; i++ {
			m := follow(t, s, fmt.Sprintf("oList%d", i), []string{"poster", "shop"}[i%2])
			if i < 2 {
				s.SetStage(ctx, m.ID, models.StageLoyal, "seed", 1)
				s.Earn(ctx, m.ID, 77, models.SourceRule, "seed", fmt.Sprintf("k%d", i), nil)
			}
			if i == 3 {
				s.RaiseLevel(ctx, m.ID, models.LevelSpreader, "seed")
				s.SaveProfile(ctx, m.ID, models.ProfileInput{Name: "x", Phone: "13800138000", Consent: true})
			}
		}
		b := a.browser().login("alex")
		rows := regexp.MustCompile(`href="/console/members/(oList\d)"`)
		for _, tt := range []struct {
			query string
			n     int
			has   []string
		}{
			{"", 6, []string{"忠实客户", "77", "资料完整度", "17%", "1 / 6 位会员填写了资料", "粉丝同步", "还没有同步过"}},
			{"?stage=loyal", 2, []string{`<option value="loyal" selected>`}},
			{"?level=spreader", 1, []string{"传播者"}},
			{"?channel=shop", 3, []string{`value="shop"`}},
			{"?channel=shop&stage=loyal", 1, nil},
			{"?stage=bogus", 6, nil}, // unknown values filter nothing
		} {
			r := b.get("/console/members" + tt.query)
			expect(t, r, 200, tt.has...)
			if n := len(rows.FindAllString(r.body(), -1)); n != tt.n {
				t.Fatalf("%s: %d rows, want %d", tt.query, n, tt.n)
			}
		}
		if strings.Contains(b.get("/console/members").body(), `id="sync-start"`) {
			t.Fatal("agents get the sync button")
		}
	})
}

func TestFollowerSyncButtonAndProgress(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		a.staff("ann", models.RoleAdmin)
		a.staff("alex", models.RoleAgent)
		wx := wxClient()
		for i := 0; i < 3; i++ {
			if err := platform.SeedFan(wx.Account.AppID, fake.Fan{OpenID: fmt.Sprintf("oSync%d", i), Subscribed: true}); err != nil {
				t.Fatal(err)
			}
		}
		ag := a.browser().login("alex")
		expect(t, ag.submit("/console/members", "/console/sync", nil), 403)

		b := a.browser().login("ann")
		expect(t, b.get("/console/members"), 200, `id="sync-start"`)
		expect(t, b.submit("/console/members", "/console/sync", nil), 303)
		r := b.get("/console/members?ok=crm.flash.sync")
		expect(t, r, 200, "已开始同步粉丝", `hx-trigger="every 2s"`, "正在开始")
		if strings.Contains(r.body(), `id="sync-start"`) {
			t.Fatal("start button shown while running")
		}
		tok := b.csrf("/console/members")
		hx := map[string]string{"HX-Request": "true", "X-CSRF-Token": tok}
		expect(t, b.do("POST", "/console/sync", url.Values{}, hx), 409, "already running", `id="sync"`)
		expect(t, b.submit("/console/members", "/console/sync", nil), 409)

		runner := &jobs.Runner{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		// WeChat ends the list with an empty page, so two steps finish it.
		for i := 0; i < 2; i++ {
			if err := runner.SyncFollowersStep(ctx, wx); err != nil {
				t.Fatal(err)
			}
		}
		r = b.do("GET", "/console/sync", nil, map[string]string{"HX-Request": "true"})
		expect(t, r, 200, "共 3 位粉丝", `id="sync-start"`)
		if strings.Contains(r.body(), "every 2s") || strings.Contains(r.body(), "<html") {
			t.Fatalf("finished panel still polls or is a whole page:\n%s", r.body())
		}
		if _, err := s.FindMemberByOpenID(ctx, "oSync2"); err != nil {
			t.Fatalf("synced follower: %v", err)
		}
		// The htmx start swaps the panel in place.
		expect(t, b.do("POST", "/console/sync", url.Values{}, hx), 200, `hx-trigger="every 2s"`)
		entries, _, _ := s.ListAudit(ctx, 10, 0)
		if entries[0].Action != "sync.start" || entries[0].Username != "ann" {
			t.Fatalf("audit %+v", entries[0])
		}
	})
}
