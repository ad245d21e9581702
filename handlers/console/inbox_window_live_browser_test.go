package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestBrowserInboxWindowClosesLive: with the conversation page open, the
// live update (SSE) changed the window card when the window closed, but the
// reply box stayed enabled until a reload. In Chromium (zh-CN) the box and
// the send button are disabled, the reason shown under them and the way
// out offered, within moments of the card saying the window closed; when
// the fan writes again, the live update opens the box again. Screenshots at
// 1280 and 390 px with FIVEC_SCREENSHOTS.
func TestBrowserInboxWindowClosesLive(t *testing.T) {
	br := browsertest.New(t, 120*time.Second)
	s := modelstest.MustOpen(t, "sqlite")
	d := newDesk(t, s)
	d.staff("amy", models.RoleAgent)
	ctx := context.Background()
	const fan = "oBrowserLive"
	if _, err := platform.Follow(ctx, d.acct.AppID, fan, ""); err != nil {
		t.Fatal(err)
	}
	d.advance(10 * time.Minute)
	if _, err := platform.Click(ctx, d.acct.AppID, fan, "MENU_HELP"); err != nil {
		t.Fatal(err)
	}
	m, err := s.FindMemberByOpenID(ctx, fan)
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := s.Escalate(ctx, m.ID, fan, "test")
	if err != nil {
		t.Fatal(err)
	}
	page := d.srv.URL + "/console/inbox/" + id(conv)
	a := br.Tab()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	br.Do(a, "log in", chromedp.Navigate(d.srv.URL+"/console/inbox"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "amy"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#inbox-list")))
	br.Do(a, "claim", chromedp.Navigate(page), chromedp.WaitVisible(css("#claim")), chromedp.Click(css("#claim")),
		chromedp.WaitVisible(css("#reply-form")))
	const boxOpen = `!document.querySelector('#send').disabled && !document.querySelector('#reply-text').disabled &&
		!document.querySelector('#reply-closed') && document.querySelector('#closed-ways').hidden`
	br.Until(a, "the box is enabled", boxOpen)
	br.Do(a, "type a draft", chromedp.SendKeys(css("#reply-text"), "马上为您处理"))

	// Watch, in the page, when the card says closed and when the box is
	// disabled: they must change together, without a reload.
	if _, err := chromedp.Run(a, chromedp.Evaluate[bool](`(() => {
		window.__loads = (window.__loads || 0) + 1;
		window.__watch = setInterval(() => {
			const now = performance.now();
			const card = document.querySelector('#conv-window');
			if (!window.__cardClosed && card && card.innerText.includes('不可发送')) window.__cardClosed = now;
			if (!window.__boxClosed && document.querySelector('#reply-text').disabled && document.querySelector('#send').disabled) window.__boxClosed = now;
		}, 10);
		return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	// Three minutes later the click's one-minute window has closed; another
	// fan asking for a person changes the inbox, and the stream tells the page.
	d.advance(3 * time.Minute)
	d.fan("oBrowserOther", "人工")
	br.Until(a, "the box is disabled live", `document.querySelector('#send').disabled && document.querySelector('#reply-text').disabled &&
		!!document.querySelector('#reply-closed') && !document.querySelector('#closed-ways').hidden`)
	gap, err := chromedp.Run(a, chromedp.Evaluate[float64](`(() => { clearInterval(window.__watch); return window.__boxClosed - window.__cardClosed; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if gap < -1000 || gap > 1000 {
		t.Errorf("the box was disabled %.0f ms after the card said the window closed", gap)
	}
	loads, _ := chromedp.Run(a, chromedp.Evaluate[float64](`window.__loads || 0`))
	if loads != 1 {
		t.Fatalf("the page reloaded (%v): the live update was not what changed it", loads)
	}
	why, _ := chromedp.Run(a, chromedp.Text(css("#reply-closed")))
	if !strings.Contains(why, "1 分钟内回复，这个窗口已关闭") || !strings.Contains(why, "请等粉丝再发消息后回复") {
		t.Fatalf("reason under the box: %q", why)
	}
	draft, _ := chromedp.Run(a, chromedp.Evaluate[string](`document.querySelector('#reply-text').value`))
	if draft != "马上为您处理" {
		t.Errorf("the draft was lost: %q", draft)
	}
	for _, w := range []int64{1280, 390} {
		br.Do(a, "width", chromedp.EmulateViewport(w, 900))
		br.Shot(a, fmt.Sprintf("inbox-window-closed-%d", w))
	}
	br.Do(a, "desktop", chromedp.EmulateViewport(1280, 900))

	// The fan writes again: 48 hours, and the box opens at once.
	if _, err := platform.SendText(ctx, d.acct.AppID, fan, "还在吗？"); err != nil {
		t.Fatal(err)
	}
	br.Until(a, "the box is enabled again live", boxOpen+` && document.querySelector('#conv-window').innerText.includes('48 小时内可回复')`)
	for _, w := range []int64{1280, 390} {
		br.Do(a, "width", chromedp.EmulateViewport(w, 900))
		br.Shot(a, fmt.Sprintf("inbox-window-reopened-%d", w))
	}
}
