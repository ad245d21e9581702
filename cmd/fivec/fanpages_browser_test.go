package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
)

// inPhone evaluates a condition on the document of the simulator phone's
// frame (the fan page, same site).
func inPhone(cond string) string {
	return `(() => { const f = document.querySelector('#phone-web-frame'); const d = f && f.contentDocument;
  if (!d || !d.body) return false; return (` + cond + `); })()`
}

// TestFanMemberCentreInSimulator: staff point a menu button at the member
// centre in the menu editor and publish (1280 px); in the simulator at
// phone size (390×844) the fan taps it, the page opens inside the phone
// (authorised through the fake WeChat as that fan), the fan signs in and
// sees the points and the streak. The points are in the ledger once.
func TestFanMemberCentreInSimulator(t *testing.T) {
	br := browsertest.New(t, 3*time.Minute, chromedp.Flag("lang", "zh-CN"))
	c := newCrawler(t, "sqlite")
	ctx0 := context.Background()
	if _, err := c.a.sandbox.fake.Follow(ctx0, sandboxAppID, "o_sim_member", ""); err != nil {
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
	br.Shot(ctx, "fan-menu-editor-pick-1280")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](stubConfirm(true))); err != nil {
		t.Fatal(err)
	}
	br.Do(ctx, "publish", chromedp.Click(chromedp.CSS("#publish-menu")), chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
	br.Until(ctx, "published", `document.querySelector('.notice.ok').innerText.includes('菜单已发布到微信')`)
	br.Shot(ctx, "fan-menu-editor-1280")

	br.Do(ctx, "viewport 390", chromedp.EmulateViewport(390, 844))
	br.Do(ctx, "simulator", chromedp.Navigate(base+"/console/simulator?openid=o_sim_member"),
		chromedp.WaitVisible(chromedp.CSS("#wx-menu button.wx-btn.view")))
	br.Do(ctx, "tap 会员中心", chromedp.Click(chromedp.CSS("#wx-menu button.wx-btn.view")), chromedp.WaitVisible(chromedp.CSS("#phone-web-frame")))
	br.Until(ctx, "the member centre in the phone", inPhone(`!!d.querySelector('#signin') && d.querySelector('#balance').textContent.trim() === '0'`))
	br.Shot(ctx, "fan-member-centre-390")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](inPhone(`(d.querySelector('#signin').click(), true)`))); err != nil {
		t.Fatal(err)
	}
	br.Until(ctx, "signed in", inPhone(`!!d.querySelector('#flash') && d.querySelector('#balance').textContent.trim() === '10' &&
  d.querySelector('#streak').textContent.trim() === '1' && !!d.querySelector('.day.signed.today') && !!d.querySelector('#signed')`))
	br.Shot(ctx, "fan-member-centre-signed-390")

	m, err := c.a.store.FindMemberByOpenID(ctx0, "o_sim_member")
	if err != nil {
		t.Fatal(err)
	}
	hist, err := c.a.store.PointsHistory(ctx0, m.ID, 10)
	if err != nil || len(hist) != 1 || hist[0].Delta != 10 || hist[0].Source != models.SourceSignIn {
		t.Fatalf("ledger: %+v %v", hist, err)
	}
	// The nickname: WeChat's consent page shows in the phone first.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](inPhone(`(d.querySelector('#show-me').click(), true)`))); err != nil {
		t.Fatal(err)
	}
	br.Until(ctx, "consent page", inPhone(`!!d.querySelector('#wx-allow')`))
	br.Shot(ctx, "fan-consent-390")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](inPhone(`(d.querySelector('#wx-allow').click(), true)`))); err != nil {
		t.Fatal(err)
	}
	br.Until(ctx, "nickname shown", inPhone(`!!d.querySelector('h1') && d.querySelector('h1').textContent.includes('微信用户')`))
	br.Shot(ctx, "fan-member-centre-nickname-390")
	// The phone's chat shows the tap on the menu (the VIEW event).
	br.Do(ctx, "back to the chat", chromedp.Click(chromedp.CSS("#phone-web-back")), chromedp.WaitVisible(chromedp.CSS("#inbox")))
	br.Until(ctx, "the view event", `document.querySelector('#inbox').innerText.includes('/fan/me')`)

	// The page itself, full length, in this browser (now the fan's phone).
	for _, w := range []int64{390, 1280} {
		br.Do(ctx, "member centre", chromedp.EmulateViewport(w, 844), chromedp.Navigate(base+"/fan/me"), chromedp.WaitVisible(chromedp.CSS("#signed")))
		br.Shot(ctx, "fan-member-centre-page-"+itoa(uint64(w)))
	}
	// An ordinary browser: the page says to open it in WeChat.
	other := br.Session(root)
	br.Do(other, "outside WeChat", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/fan/me"), chromedp.WaitVisible(chromedp.CSS("#notice-title")))
	br.Until(other, "the notice", `document.querySelector('#notice-title').innerText === '请在微信中打开'`)
	br.Shot(other, "fan-outside-wechat-390")
}
