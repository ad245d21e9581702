package console_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestBrowserInboxAutoAssignAlert: an agent logs in and lands on the inbox
// (not the members list), goes online and waits on the 排队中 tab. A fan asks
// for a person and is assigned to her automatically, so nothing is queued:
// the server-sent stream must still raise the navigation badge and the 我的
// count, chime, and switch the page to the 我的 tab where the chat is. The
// page says that sound needs a first click until she has clicked.
func TestBrowserInboxAutoAssignAlert(t *testing.T) {
	br := browsertest.New(t, 120*time.Second, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	s := modelstest.MustOpen(t, "sqlite")
	d := newDesk(t, s)
	d.staff("amy", models.RoleAgent)
	ctx := br.Tab()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	br.Do(ctx, "log in", chromedp.Navigate(d.srv.URL+"/console/login"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "amy"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#inbox-list")))
	br.Until(ctx, "an agent lands on the inbox", `location.pathname === '/console/inbox'`)
	br.Do(ctx, "go online", chromedp.Click(css("#go-online")), chromedp.WaitVisible(css("#go-offline")))
	br.Do(ctx, "the queue tab", chromedp.Navigate(d.srv.URL+"/console/inbox?filter=waiting"), chromedp.WaitVisible(css("#tab-waiting.active")))
	br.Until(ctx, "the stream's first event", `sessionStorage.getItem('fivec.mine') === '0'`)
	br.Until(ctx, "no sound before a click: the page says so", `!document.getElementById('sound-hint').hidden`)
	for _, w := range []int64{390, 1280} {
		br.Do(ctx, "width", chromedp.EmulateViewport(w, 900))
		br.Shot(ctx, fmt.Sprintf("inbox-sound-hint-%d", w))
	}
	br.Do(ctx, "first click", chromedp.Click(css("h1")))
	br.Until(ctx, "the hint goes after a click", `document.getElementById('sound-hint').hidden`)

	d.fan("oAutoAssigned", "人工")
	conv := d.escalated("oAutoAssigned")
	if conv.State != models.ConvAssigned {
		t.Fatalf("the chat was not assigned automatically: %+v", conv)
	}
	// The page navigates by itself: poll through the navigation.
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.search === '?filter=mine' && document.readyState === 'complete'`))
		if err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never switched to 我的: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	br.Until(ctx, "switched to 我的", `location.search === '?filter=mine' && document.querySelector('#tab-mine').classList.contains('active')`)
	br.Until(ctx, "the chat is listed", fmt.Sprintf(`document.querySelector('#conversations a[href="/console/inbox/%d"]') !== null`, conv.ID))
	br.Until(ctx, "the nav badge counts it", `(function () {
		var b = document.getElementById('inbox-badge');
		return !b.hidden && b.textContent === '1' && b.getAttribute('data-mine') === '1' && document.title.startsWith('(1)');
	})()`)
	br.Until(ctx, "我的 counts it", `document.querySelector('[data-count="mine"]').textContent === '1' && document.querySelector('[data-count="mine"]').classList.contains('hot')`)
	// The chime rang once, on the queue tab before the switch; the 我的 page
	// already knows the count and stays quiet.
	if _, err := chromedp.Run(ctx, chromedp.Sleep(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	br.Until(ctx, "one chime", `sessionStorage.getItem('fivec.chimes') === '1'`)
	br.Shot(ctx, "inbox-auto-assigned-1280")
	br.Do(ctx, "narrow", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	br.Shot(ctx, "inbox-auto-assigned-390")
}
