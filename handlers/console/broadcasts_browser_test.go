package console_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// TestBrowserBroadcastScheduledToProgress: a marketer builds a segment,
// composes a broadcast to it, previews it to a test fan (whose sandbox
// phone shows it), schedules it a couple of minutes ahead and watches the
// progress bar reach 100% once the scheduler job, whose clock the test
// moves forward, picks it up.
func TestBrowserBroadcastScheduledToProgress(t *testing.T) {
	br := browsertest.New(t, 120*time.Second)
	sb := newSandbox(t, "wxbcast")
	s, log, loc, wx, appID := sb.store, sb.log, sb.loc, sb.wx, sb.appID
	var mu sync.Mutex
	offset := time.Duration(0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(offset) }
	s.Now = clock
	sb.acct.Verified = true
	mass := wechat.NewMass(wx, 6000)
	pol := models.BroadcastPolicy{Loc: loc, AccountType: models.AccountService}
	web := sb.serve(&console.Handler{Now: clock, Mass: mass, Policy: pol}, &roles.Center{Store: s, Log: log})
	ctx0 := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := platform.Follow(ctx0, appID, fmt.Sprintf("oPoster%d", i), "poster"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := platform.Follow(ctx0, appID, "oTester", "staff"); err != nil {
		t.Fatal(err)
	}
	sb.staff("mia", models.RoleMarketer)
	// The scheduler job, as the server runs it (every 5 s there; faster here).
	bj := &delivery.Broadcasts{Store: s, Mass: mass, Log: log, Policy: pol, Now: clock}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
				if err := bj.RunOnce(ctx0); err != nil {
					t.Errorf("broadcast job: %v", err)
				}
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })

	ctx := br.Tab()
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		br.Do(ctx, step, actions...)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do("log in", chromedp.Navigate(web.URL+"/console/segments/new"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "mia"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#segment-form")))
	do("segment of poster fans", chromedp.SendKeys(css("#f-channels"), "poster"))
	br.Until(ctx, "segment count", `document.querySelector('#segment-total').innerText === '3'`)
	do("save segment", chromedp.SendKeys(css("#segment-name"), "海报粉丝"), chromedp.Click(css("#segment-save")),
		chromedp.WaitVisible(css("#segment-delete")))
	segs, _ := s.ListSegments(ctx0)
	if len(segs) != 1 {
		t.Fatalf("segments: %+v", segs)
	}

	do("compose", chromedp.Navigate(web.URL+"/console/broadcasts/new"), chromedp.WaitVisible(css("#bc-form")))
	// The form shows what a text to all fans needs, nothing else.
	visible := func(step string, want map[string]bool) {
		t.Helper()
		for sel, on := range want {
			br.Until(ctx, step+" "+sel, fmt.Sprintf(`document.querySelector('%s').offsetParent %s null`, sel, map[bool]string{true: "!==", false: "==="}[on]))
		}
	}
	pick := func(sel, v string) {
		t.Helper()
		do("pick "+sel+"="+v, chromedp.SetValue(css(sel), v))
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('`+sel+`').dispatchEvent(new Event('change', {bubbles: true}))`)); err != nil {
			t.Fatal(err)
		}
	}
	visible("text to all", map[string]bool{"#bc-text": true, "#bc-media": false, "#bc-template": false, "#bc-template-data": false,
		"#bc-tag": false, "#bc-segment": false, "#bc-stage": false, "#bc-openids": false})
	pick("#bc-kind", "template")
	visible("template", map[string]bool{"#bc-text": false, "#bc-media": false, "#bc-template": true, "#bc-template-data": true})
	pick("#bc-kind", "image")
	visible("image", map[string]bool{"#bc-text": false, "#bc-media": true, "#bc-template": false})
	pick("#bc-audience", "openids")
	visible("openid list", map[string]bool{"#bc-openids": true, "#bc-openid-file": true, "#bc-segment": false})
	pick("#bc-audience", "stage")
	visible("stage", map[string]bool{"#bc-stage": true, "#bc-openids": false})
	pick("#bc-kind", "text")
	pick("#bc-audience", "segment")
	visible("text to a segment", map[string]bool{"#bc-text": true, "#bc-media": false, "#bc-segment": true, "#bc-tag": false, "#bc-stage": false})
	do("fill", chromedp.SendKeys(css("#bc-name"), "海报专享"), chromedp.SendKeys(css("#bc-text"), "凭海报到店立减20元"),
		chromedp.SetValue(css("#bc-segment"), fmt.Sprint(segs[0].ID)), chromedp.SetValue(css("#bc-channel"), "mass"))
	for _, w := range []int64{390, 1280} {
		do("width", chromedp.EmulateViewport(w, 900))
		br.Shot(ctx, fmt.Sprintf("broadcast-compose-%d", w))
	}
	do("estimate", chromedp.Click(css("#bc-estimate")))
	br.Until(ctx, "estimate while composing", `(document.querySelector('#bc-plan-live #plan-total') || {}).innerText === '3'`)
	br.Shot(ctx, "broadcast-compose")
	do("save draft", chromedp.Click(css("#bc-save")), chromedp.WaitVisible(css("#bc-plan")))
	br.Until(ctx, "audience by channel", `document.querySelector('#plan-total').innerText === '3' && document.querySelector('#plan-mass').innerText === '3'`)
	do("preview", chromedp.SendKeys(css("#preview-to"), "oTester"), chromedp.Click(css("#preview-send")),
		chromedp.WaitVisible(css("#preview-results")))
	br.Until(ctx, "preview sent", `document.querySelector('#preview-results').innerText.includes('预览已发送')`)
	br.Shot(ctx, "broadcast-preview")
	do("the test fan's phone", chromedp.Navigate(web.URL+"/console/simulator?openid=oTester"), chromedp.WaitVisible(css("#inbox")))
	br.Until(ctx, "preview on the phone", `document.querySelector('#inbox').innerText.includes('凭海报到店立减20元')`)
	br.Shot(ctx, "broadcast-preview-phone")

	list, _ := s.ListBroadcasts(ctx0, 10)
	page := web.URL + fmt.Sprintf("/console/broadcasts/%d", list[0].ID)
	at := clock().Add(2 * time.Minute).In(loc).Format("2006-01-02T15:04")
	do("schedule", chromedp.Navigate(page), chromedp.WaitVisible(css("#schedule-form")),
		chromedp.SetValue(css("#schedule-at"), at), chromedp.Click(css("#schedule-send")), chromedp.WaitVisible(css("#bc-pause")))
	br.Until(ctx, "scheduled", `document.querySelector('#bc-state').innerText.includes('已定时') && document.querySelector('#runs').innerText.includes('尚未发送')`)
	// Time passes: the scheduler sees the broadcast due and sends it.
	mu.Lock()
	offset = 3 * time.Minute
	mu.Unlock()
	br.Until(ctx, "progress bar at 100%", `(() => { const p = document.querySelector('.bc-progress'); return !!p && p.dataset.percent === '100' })()`)
	br.Until(ctx, "counts", `document.querySelector('#runs').innerText.includes('已发送 3')`)
	br.Shot(ctx, "broadcast-progress")
	do("report", chromedp.Click(css("#runs a")), chromedp.WaitVisible(css("#report")))
	br.Until(ctx, "reached", `document.querySelector('#rep-sent').innerText === '3'`)
	br.Shot(ctx, "broadcast-report")
	for i := 0; i < 3; i++ {
		got := 0
		for _, d := range platform.Inbox(appID, fmt.Sprintf("oPoster%d", i)) {
			if d.Source == fake.SourceMass && d.Text == "凭海报到店立减20元" {
				got++
			}
		}
		if got != 1 {
			t.Fatalf("oPoster%d received %d mass messages", i, got)
		}
	}
	if got := platform.Inbox(appID, "oTester"); len(got) == 0 || got[len(got)-1].Source != fake.SourcePreview {
		t.Fatalf("the test fan got more than the preview: %+v", got)
	}
	// The list names the segment, not "分群 1".
	do("list", chromedp.Navigate(web.URL+"/console/broadcasts"), chromedp.WaitVisible(css("#broadcasts")))
	br.Until(ctx, "segment by name", `document.querySelector('#broadcasts tbody tr').innerText.includes('分群 海报粉丝')`)

	// 立即发送: a second broadcast goes out without picking a time.
	do("compose again", chromedp.Navigate(web.URL+"/console/broadcasts/new"), chromedp.WaitVisible(css("#bc-form")),
		chromedp.SendKeys(css("#bc-name"), "闪购"), chromedp.SendKeys(css("#bc-text"), "今晚闪购开始"))
	pick("#bc-audience", "segment")
	do("save", chromedp.SetValue(css("#bc-segment"), fmt.Sprint(segs[0].ID)), chromedp.SetValue(css("#bc-channel"), "mass"),
		chromedp.Click(css("#bc-save")), chromedp.WaitVisible(css("#send-now")))
	br.Shot(ctx, "broadcast-send-now")
	do("send now", chromedp.Click(css("#send-now")), chromedp.WaitNotPresent(css("#send-now")), chromedp.WaitVisible(css("#runs")))
	br.Until(ctx, "sent at once", `(() => { const p = document.querySelector('.bc-progress'); return !!p && p.dataset.percent === '100' })()`)
	for i := 0; i < 3; i++ {
		got := 0
		for _, d := range platform.Inbox(appID, fmt.Sprintf("oPoster%d", i)) {
			if d.Source == fake.SourceMass && d.Text == "今晚闪购开始" {
				got++
			}
		}
		if got != 1 {
			t.Fatalf("oPoster%d received the send-now broadcast %d times", i, got)
		}
	}
}
