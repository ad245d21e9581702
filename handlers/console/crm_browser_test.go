package console_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestBrowserMemberAndSegments adjusts points and adds a tag on a member's
// page, then builds a segment whose member count follows the filter as it
// changes, and saves it. With FIVEC_SCREENSHOTS=<dir> it keeps
// screenshots of every CRM page, desktop and phone-sized.
func TestBrowserMemberAndSegments(t *testing.T) {
	br := browsertest.New(t, 120*time.Second)
	s := modelstest.MustOpen(t, "sqlite")
	a := newApp(t, s, false, func(_ *app, h *console.Handler) { h.WX = wxClient() })
	a.staff("mia", models.RoleMarketer)
	seedCRMPages(t, s)
	srv := httptest.NewServer(a.router)
	defer srv.Close()

	ctx := br.Tab()
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		br.Do(ctx, step, actions...)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	do("log in", chromedp.Navigate(srv.URL+"/console/members/oShopper"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "mia"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#points-form")))
	br.Shot(ctx, "crm-member")

	// Points: a refused amount keeps what was typed; a good one is booked.
	do("bad amount", chromedp.SendKeys(css("#points-amount"), "lots"), chromedp.SendKeys(css("#points-reason"), "活动补发"),
		chromedp.Click(css("#points-submit")), chromedp.WaitVisible(css("#points-form .field-error")))
	if v, _ := chromedp.Run(ctx, chromedp.Value(css("#points-reason"))); v != "活动补发" {
		t.Fatalf("the reason was not kept: %q", v)
	}
	do("good amount", chromedp.SetValue(css("#points-amount"), "+50"), chromedp.Click(css("#points-submit")),
		chromedp.WaitVisible(css(".notice.ok")))
	br.Until(ctx, "balance", `document.querySelector('#points-balance') && document.querySelector('#points-balance').innerText.trim() === '180'`)
	br.Until(ctx, "ledger", `document.querySelector('#ledger').innerText.includes('活动补发')`)

	do("add tag", chromedp.SendKeys(css("#tag-input"), "门店常客"), chromedp.Click(css("#tag-add")),
		chromedp.WaitVisible(css(`.notice.ok`)), chromedp.WaitVisible(css(`#tag-list .chip + .chip`)))
	br.Until(ctx, "tag chip", `document.querySelector('#tag-list').innerText.includes('门店常客')`)
	if bal, _ := s.Balance(context.Background(), memberID(t, s, "oShopper")); bal != 180 {
		t.Fatalf("balance %d", bal)
	}
	br.Shot(ctx, "crm-member-after")

	// Segments: the count follows the filter before anything is saved.
	do("new segment", chromedp.Navigate(srv.URL+"/console/segments/new"), chromedp.WaitVisible(css("#segment-form")))
	br.Until(ctx, "initial count", `document.querySelector('#segment-total').innerText === '8'`)
	do("pick a channel", chromedp.SendKeys(css("#f-channels"), "shop"))
	br.Until(ctx, "count for shop", `document.querySelector('#segment-total').innerText === '4'`)
	do("tick new customers", chromedp.Click(css(`input[name="stages"][value="new"]`)))
	br.Until(ctx, "count for new at shop", `document.querySelector('#segment-total').innerText === '2'`)
	do("bad number", chromedp.SendKeys(css("#f-min-points"), "x"))
	br.Until(ctx, "inline error", `!!document.querySelector('#segment-error')`)
	do("fix number", chromedp.SendKeys(css("#f-min-points"), "\b0")) // backspace, then 0
	br.Until(ctx, "count again", `document.querySelector('#segment-total') && document.querySelector('#segment-total').innerText === '2'`)
	br.Shot(ctx, "crm-segment-editor")
	do("save", chromedp.SendKeys(css("#segment-name"), "门店新客"), chromedp.Click(css("#segment-save")),
		chromedp.WaitVisible(css(".notice.ok")))
	br.Until(ctx, "saved", `document.body.innerText.includes('分群已保存')`)
	list, _ := s.ListSegments(context.Background())
	var saved *models.Segment
	for i := range list {
		if list[i].Name == "门店新客" {
			saved = &list[i]
		}
	}
	if saved == nil || saved.Filter != `{"stages":["new"],"channels":["shop"],"min_points":0}` {
		t.Fatalf("segments %+v", list)
	}

	if br.Shots() {
		pages := []struct{ name, path, sel string }{
			{"crm-members", "/console/members", "table#members"},
			{"crm-segments", "/console/segments", "table#segments"},
			{"crm-channels", "/console/channels", "table#channels"},
			{"crm-points", "/console/points", "#leaderboards"},
			{"crm-topics", "/console/topics", "table#topics"},
			{"crm-topic", fmt.Sprintf("/console/topics/%d", firstTopic(t, s)), "table#entries"},
			{"crm-draws", "/console/draws", "#draw-form"},
			{"crm-draw", "/console/draws/1?verify=1", "#verify-result"},
			{"crm-member-referrer", "/console/members/oReferrer", "#downline"},
		}
		for _, p := range pages {
			do("open "+p.name, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(css(p.sel)))
			br.Shot(ctx, p.name)
		}
		do("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		for _, p := range append(pages, struct{ name, path, sel string }{"crm-member", "/console/members/oShopper", "#points-form"},
			struct{ name, path, sel string }{"crm-segment-editor", fmt.Sprintf("/console/segments/%d", saved.ID), "#segment-form"}) {
			do("phone "+p.name, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(css(p.sel)))
			br.Shot(ctx, "mobile-"+p.name)
		}
	}
}

// seedCRMPages makes 8 members (4 through "shop", 2 of them new
// customers), a referral chain, a gift, a coupon, a topic with entries, a
// channel and some points, so every CRM page has something to show.
func seedCRMPages(t *testing.T, s *models.Store) {
	t.Helper()
	ctx := context.Background()
	var ids []uint64
	for i := 0; i < 8; i++ {
		id := fmt.Sprintf("oFan%d", i)
		if i == 0 {
			id = "oShopper"
		}
		if i == 1 {
			id = "oReferrer"
		}
		m := follow(t, s, id, []string{"shop", "poster"}[i%2])
		ids = append(ids, m.ID)
		s.Earn(ctx, m.ID, int64(20*(8-i)), models.SourceSignIn, "签到", "seed-"+id, nil)
		if i == 2 || i == 4 {
			s.SetStage(ctx, m.ID, models.StageNew, "首次兑换", 1)
		}
	}
	s.LinkReferral(ctx, ids[0], ids[1], 100, time.Hour)
	s.LinkReferral(ctx, ids[3], ids[0], 100, time.Hour)
	s.SaveProfile(ctx, ids[0], models.ProfileInput{Name: "王小美", Birthday: "1992-05-01", Region: "广东 深圳",
		Phone: "13800138000", Interests: "咖啡、烘焙", Consent: true})
	s.TagMember(ctx, ids[0], "vip")
	cup, _ := s.SaveGift(ctx, models.Gift{Name: "咖啡券", Kind: models.GiftCoupon, Cost: 30, Stock: 50, ValidDays: 30, Active: true})
	s.SaveGift(ctx, models.Gift{Name: "帆布袋", Kind: models.GiftItem, Cost: 200, Stock: 0, Active: true})
	s.Redeem(ctx, ids[0], cup.ID, "seed-redeem")
	topic, _ := s.SaveTopic(ctx, models.Topic{Keyword: "美食", Title: "说说你最爱的餐厅", Prompt: "回复“美食 餐厅名 理由”参与",
		StartsAt: time.Now().Add(-time.Hour), EndsAt: time.Now().Add(7 * 24 * time.Hour), Points: 20})
	for i, text := range []string{"美食 楼下的面馆，汤很鲜", "美食 海底捞，服务好", "美食 街角的咖啡店"} {
		m, _ := s.FindMemberByOpenID(ctx, fmt.Sprintf("oFan%d", i+2))
		s.AddTopicEntry(ctx, topic, m, text)
	}
	s.CreateChannel(ctx, models.NewChannel{Name: "门店收银台", Scene: "shop", ExpireSeconds: 7 * 86400, WelcomePoints: 10,
		WelcomeTags: []string{"门店"}}, "ticket-shop", "http://weixin.qq.com/q/shop", 7*86400)
	s.CreateChannel(ctx, models.NewChannel{Name: "海报", Scene: "poster", Permanent: true}, "ticket-poster", "http://weixin.qq.com/q/poster", 0)
	s.SaveSegment(ctx, 0, "全部会员", models.SegmentFilter{})
	if _, _, err := s.RunDraw(ctx, "周年庆抽奖", models.SegmentFilter{}, 3, 1); err != nil {
		t.Fatal(err)
	}
}

func memberID(t *testing.T, s *models.Store, openID string) uint64 {
	t.Helper()
	m, err := s.FindMemberByOpenID(context.Background(), openID)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func firstTopic(t *testing.T, s *models.Store) uint64 {
	t.Helper()
	list, err := s.ListTopics(context.Background())
	if err != nil || len(list) == 0 {
		t.Fatalf("topics: %v", err)
	}
	return list[0].ID
}
