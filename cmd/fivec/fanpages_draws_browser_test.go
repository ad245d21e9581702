package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
)

// TestFanEntersDrawInSimulator: at phone size (390×844) in the simulator
// the fan taps the menu's 会员中心, opens 抽奖, enters a draw that costs
// points (the confirmation first); the marketer draws it in the console
// (1280 px, asked first); back in the simulator the fan sees the result.
// The ledger has the entry's cost once.
func TestFanEntersDrawInSimulator(t *testing.T) {
	br := browsertest.New(t, 3*time.Minute, chromedp.Flag("lang", "zh-CN"))
	c := newCrawler(t, "sqlite")
	ctx0 := context.Background()
	s := c.a.store
	if _, err := c.a.sandbox.fake.Follow(ctx0, sandboxAppID, "o_sim_draw", ""); err != nil {
		t.Fatal(err)
	}
	m, err := s.FindMemberByOpenID(ctx0, "o_sim_draw")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Earn(ctx0, m.ID, 30, models.SourceWelcome, models.SystemReason(models.ReasonWelcome, "开业"), "welcome:simdraw", nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	d, err := s.CreateLuckyDraw(ctx0, models.LuckyDraw{Title: "周年庆幸运抽奖", Prize: "定制保温杯", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(48 * time.Hour), Cost: 10, Winners: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateLuckyDraw(ctx0, models.LuckyDraw{Title: "下周免费抽奖", Prize: "帆布袋", StartsAt: now.Add(72 * time.Hour), EndsAt: now.Add(96 * time.Hour), Winners: 3}); err != nil {
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

	simulator := func() {
		t.Helper()
		br.Do(ctx, "viewport 390", chromedp.EmulateViewport(390, 844))
		br.Do(ctx, "simulator", chromedp.Navigate(base+"/console/simulator?openid=o_sim_draw"),
			chromedp.WaitVisible(chromedp.CSS("#wx-menu button.wx-btn.view")))
		br.Do(ctx, "tap 会员中心", chromedp.Click(chromedp.CSS("#wx-menu button.wx-btn.view")), chromedp.WaitVisible(chromedp.CSS("#phone-web-frame")))
		br.Until(ctx, "the member centre", inPhone(`!!d.querySelector('#to-draws')`))
	}
	click := func(what, sel string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](inPhone(`(d.querySelector('`+sel+`').click(), true)`))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	simulator()
	click("抽奖", "#to-draws")
	br.Until(ctx, "the draws", inPhone(`!!d.querySelector('#enter-`+itoa(d.ID)+`')`))
	br.Shot(ctx, "fan-draws-sim-390")
	click("报名", "#enter-"+itoa(d.ID))
	br.Until(ctx, "asked first", inPhone(`!!d.querySelector('#confirm-enter') && d.body.innerText.includes('报名后剩 20')`))
	br.Shot(ctx, "fan-draw-confirm-sim-390")
	click("确认报名", "#confirm-enter")
	br.Until(ctx, "entered", inPhone(`!!d.querySelector('#flash') && d.querySelector('#flash').textContent.includes('报名成功') && !!d.querySelector('#entered-`+itoa(d.ID)+`')`))
	br.Shot(ctx, "fan-draw-entered-sim-390")
	if bal, _ := s.Balance(ctx0, m.ID); bal != 20 {
		t.Fatalf("balance after entering: %d, want 20", bal)
	}

	// The marketer draws in the console, asked first.
	br.Do(ctx, "viewport 1280", chromedp.EmulateViewport(1280, 900))
	br.Do(ctx, "console draws", chromedp.Navigate(base+"/console/draws"), chromedp.WaitVisible(chromedp.CSS("#lucky-draw-"+itoa(d.ID))))
	br.Shot(ctx, "console-lucky-draws-1280")
	// "Cancel" leaves it open; the question names the draw.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](stubConfirm(false))); err != nil {
		t.Fatal(err)
	}
	br.Do(ctx, "draw, cancelled", chromedp.Click(chromedp.CSS("#lucky-draw-"+itoa(d.ID))))
	asked, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__asked || []`))
	if err != nil || len(asked) != 1 || !strings.Contains(asked[0], "确定现在为“周年庆幸运抽奖”开奖吗") {
		t.Fatalf("the question: %q %v", asked, err)
	}
	if got, _ := s.FindLuckyDraw(ctx0, d.ID); got.State != models.LuckyDrawOpen {
		t.Fatal("drawn although the marketer cancelled")
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](stubConfirm(true))); err != nil {
		t.Fatal(err)
	}
	br.Do(ctx, "draw", chromedp.Click(chromedp.CSS("#lucky-draw-"+itoa(d.ID))), chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
	br.Shot(ctx, "console-lucky-drawn-1280")
	got, err := s.FindLuckyDraw(ctx0, d.ID)
	if err != nil || got.State != models.LuckyDrawDrawn {
		t.Fatalf("after the draw: %+v %v", got, err)
	}
	br.Do(ctx, "viewport 390", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/console/draws"), chromedp.WaitVisible(chromedp.CSS("#lucky-record-"+itoa(d.ID))))
	br.Shot(ctx, "console-lucky-draws-390")

	// Back in the phone, the fan sees the result (the only entrant wins).
	simulator()
	click("抽奖", "#to-draws")
	br.Until(ctx, "the result", inPhone(`!!d.querySelector('#result-`+itoa(d.ID)+`') && d.querySelector('#result-`+itoa(d.ID)+`').textContent.includes('恭喜您中奖了')`))
	br.Shot(ctx, "fan-draw-result-sim-390")
	if bal, _ := s.Balance(ctx0, m.ID); bal != 20 {
		t.Fatalf("balance at the end: %d, want 20", bal)
	}
	for _, w := range []int64{390, 1280} {
		br.Do(ctx, "draws page", chromedp.EmulateViewport(w, 844), chromedp.Navigate(base+"/fan/me/draws"), chromedp.WaitVisible(chromedp.CSS(".tabs")))
		br.Shot(ctx, "fan-draws-"+itoa(uint64(w)))
	}
}
