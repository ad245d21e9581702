package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
)

// TestFanMemberCentrePagesInSimulator: at phone size (390×844) in the
// simulator, the fan taps the menu's 会员中心, opens 积分商城, redeems a
// coupon (the confirmation first), sees the code under 我的券, writes on a
// topic, and opens 我的邀请 with the QR code WeChat issued. The ledger has
// the redemption once.
func TestFanMemberCentrePagesInSimulator(t *testing.T) {
	br := browsertest.New(t, 3*time.Minute, chromedp.Flag("lang", "zh-CN"))
	c := newCrawler(t, "sqlite")
	ctx0 := context.Background()
	s := c.a.store
	if _, err := c.a.sandbox.fake.Follow(ctx0, sandboxAppID, "o_sim_centre", ""); err != nil {
		t.Fatal(err)
	}
	m, err := s.FindMemberByOpenID(ctx0, "o_sim_centre")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Earn(ctx0, m.ID, 120, models.SourceWelcome, models.SystemReason(models.ReasonWelcome, "开业"), "welcome:sim", nil); err != nil {
		t.Fatal(err)
	}
	cup := mustGift(t, s, models.Gift{Name: "拿铁咖啡券", Kind: models.GiftCoupon, Cost: 50, Stock: 3, ValidDays: 30})
	mustGift(t, s, models.Gift{Name: "定制保温杯", Kind: models.GiftItem, Cost: 800, Stock: 10})
	now := time.Now()
	tp, err := s.SaveTopic(ctx0, models.Topic{Keyword: "美食", Title: "您最爱的餐厅", Prompt: "说说您最爱的一家餐厅和理由。", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(72 * time.Hour), Points: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.a.sandbox.fake.Follow(ctx0, sandboxAppID, "o_sim_other", ""); err != nil {
		t.Fatal(err)
	}
	other, _ := s.FindMemberByOpenID(ctx0, "o_sim_other")
	e, _, err := s.AddTopicEntry(ctx0, tp, other, "巷子里的老面馆，汤头一绝。")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkTopicEntry(ctx0, e.ID, true, false); err != nil {
		t.Fatal(err)
	}

	base := c.a.baseURL
	root := br.Tab()
	br.Do(root, "start", chromedp.Navigate("about:blank"))
	ctx := zhBrowser(t, br, root, base, models.RoleMarketer)
	br.Do(ctx, "viewport 1280", chromedp.EmulateViewport(1280, 900))
	br.Do(ctx, "menu editor", chromedp.Navigate(base+"/console/menu"), chromedp.WaitVisible(chromedp.CSS(`input[name="b.0.name"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="b.0.name"]`), "会员中心"),
		chromedp.SetValue(chromedp.CSS(`select[name="b.0.type"]`), "view"),
		chromedp.WaitVisible(chromedp.CSS(`select[name="b.0.page"]`)),
		chromedp.SetValue(chromedp.CSS(`select[name="b.0.page"]`), "member"))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](stubConfirm(true))); err != nil {
		t.Fatal(err)
	}
	br.Do(ctx, "publish", chromedp.Click(chromedp.CSS("#publish-menu")), chromedp.WaitVisible(chromedp.CSS(".notice.ok")))

	br.Do(ctx, "viewport 390", chromedp.EmulateViewport(390, 844))
	br.Do(ctx, "simulator", chromedp.Navigate(base+"/console/simulator?openid=o_sim_centre"),
		chromedp.WaitVisible(chromedp.CSS("#wx-menu button.wx-btn.view")))
	br.Do(ctx, "tap 会员中心", chromedp.Click(chromedp.CSS("#wx-menu button.wx-btn.view")), chromedp.WaitVisible(chromedp.CSS("#phone-web-frame")))
	br.Until(ctx, "the member centre", inPhone(`!!d.querySelector('#to-gifts') && d.querySelector('#balance').textContent.trim() === '120'`))
	click := func(what, sel string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](inPhone(`(d.querySelector('`+sel+`').click(), true)`))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	click("积分商城", "#to-gifts")
	br.Until(ctx, "the catalogue", inPhone(`!!d.querySelector('#gifts') && d.querySelector('#gifts').innerText.includes('积分不足')`))
	br.Shot(ctx, "fan-gifts-sim-390")
	click("兑换", `#gift-`+itoa(cup.ID)+` a.button`)
	br.Until(ctx, "asked first", inPhone(`!!d.querySelector('#confirm-redeem') && d.querySelector('#confirm-gift').textContent === '拿铁咖啡券'`))
	br.Shot(ctx, "fan-redeem-confirm-sim-390")
	click("确认兑换", "#confirm-redeem")
	br.Until(ctx, "the coupon", inPhone(`!!d.querySelector('#coupon-code') && d.querySelector('#flash').textContent.includes('兑换成功')`))
	br.Shot(ctx, "fan-coupon-sim-390")
	reds, err := s.Redemptions(ctx0, m.ID)
	if err != nil || len(reds) != 1 {
		t.Fatalf("redemptions: %+v %v", reds, err)
	}
	if bal, _ := s.Balance(ctx0, m.ID); bal != 70 {
		t.Fatalf("balance: %d", bal)
	}

	click("话题", `.tabs a[href="/fan/me/topics"]`)
	br.Until(ctx, "the topics", inPhone(`!!d.querySelector('#text-`+itoa(tp.ID)+`')`))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](inPhone(`(d.querySelector('#text-`+itoa(tp.ID)+`').value = '江边的烧烤摊，夜里最热闹。', d.querySelector('#topic-`+itoa(tp.ID)+` form button').click(), true)`))); err != nil {
		t.Fatal(err)
	}
	br.Until(ctx, "entered", inPhone(`!!d.querySelector('#flash') && d.querySelector('#flash').textContent.includes('+5 积分') && d.body.innerText.includes('江边的烧烤摊')`))
	br.Shot(ctx, "fan-topics-sim-390")

	click("邀请", `.tabs a[href="/fan/me/invite"]`)
	br.Until(ctx, "the invitation QR", inPhone(`!!d.querySelector('#invite-qr') && d.querySelector('#invite-qr').complete && d.querySelector('#invite-qr').naturalWidth > 0`))
	br.Shot(ctx, "fan-invite-sim-390")

	// The pages themselves, full length, in this browser (the fan's phone).
	for _, w := range []int64{390, 1280} {
		for _, p := range []string{"gifts", "leaderboard", "topics", "invite"} {
			br.Do(ctx, p, chromedp.EmulateViewport(w, 844), chromedp.Navigate(base+"/fan/me/"+p), chromedp.WaitVisible(chromedp.CSS(".tabs")))
			br.Shot(ctx, "fan-"+p+"-"+itoa(uint64(w)))
		}
		br.Do(ctx, "member", chromedp.EmulateViewport(w, 844), chromedp.Navigate(base+"/fan/me"), chromedp.WaitVisible(chromedp.CSS("#to-gifts")))
		br.Shot(ctx, "fan-member-"+itoa(uint64(w)))
	}
}
