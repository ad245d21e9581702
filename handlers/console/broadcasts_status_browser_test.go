package console_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestBrowserBroadcastQuietHoursThenFailed: in Chromium, in Chinese, at
// 1280 px and 390 px: a broadcast sent at 00:59 shows in its title, its
// runs and the list that it waits for quiet hours to end and resumes at
// 08:00 (never 已发送); the schedule form warns as a night time is chosen;
// at 08:01 WeChat refuses every send and the page, the list and the report
// say 失败 with the reason in Chinese.
func TestBrowserBroadcastQuietHoursThenFailed(t *testing.T) {
	br := browsertest.New(t, 120*time.Second)
	s := modelstest.MustOpen(t, "sqlite")
	q := newQuietRun(t, s)
	mia := q.staff("mia", models.RoleMarketer)
	ctx0 := context.Background()
	for _, id := range []string{"qbA", "qbB", "qbC"} {
		follow(t, s, id, "")
		if _, _, _, err := s.RecordInbound(ctx0, models.Inbound{DedupeKey: "w" + id, OpenID: id, MsgType: "text", Content: "在吗"}); err != nil {
			t.Fatal(err)
		}
	}
	in := models.BroadcastInput{Name: "晚安问候", Kind: models.BroadcastText, Text: "晚安，明天见", Audience: models.AudienceOpenIDs,
		OpenIDs: []string{"qbA", "qbB", "qbC"}, Channel: models.BroadcastDirect}
	night, err := s.SaveBroadcast(ctx0, 0, in, mia.ID, q.pol)
	if err != nil {
		t.Fatal(err)
	}
	follow(t, s, "qbSilent", "") // followed only: outside the 48 h window
	in.Name, in.OpenIDs = "周末预告", []string{"qbA", "qbB", "qbC", "qbSilent"}
	draft, err := s.SaveBroadcast(ctx0, 0, in, mia.ID, q.pol)
	if err != nil {
		t.Fatal(err)
	}
	at := q.clock()
	if _, err := s.ScheduleBroadcast(ctx0, night.ID, models.BroadcastSchedule{At: &at}, mia, q.pol); err != nil {
		t.Fatal(err)
	}
	q.tick(t)
	// Two minutes on: the follow alone no longer opens qbSilent's window
	// (a follow allows replies for one minute).
	q.advance(2 * time.Minute)
	web := httptest.NewServer(q.router)
	t.Cleanup(web.Close)

	ctx := br.Tab()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) { t.Helper(); br.Do(ctx, step, actions...) }
	do("log in", chromedp.Navigate(web.URL+"/console/login"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "mia"), chromedp.SendKeys(css("#password"), password), chromedp.Click(css("#login")),
		chromedp.WaitVisible(css("nav")))
	page := web.URL + "/console/broadcasts/" + itoa(night.ID)
	for _, w := range []int64{1280, 390} {
		do("width", chromedp.EmulateViewport(w, 900))
		do("the broadcast at 00:59", chromedp.Navigate(page), chromedp.WaitVisible(css("#runs")))
		br.Until(ctx, "title waits", `document.querySelector('#bc-state').innerText.includes('等待免打扰时段结束') && document.querySelector('#bc-state').innerText.includes('12-08 08:00 恢复发送')`)
		br.Until(ctx, "run waits", `document.querySelector('#runs').innerText.includes('3 人等待，12-08 08:00 恢复发送')`)
		if title, _ := chromedp.Run(ctx, chromedp.Text(css("h1"))); strings.Contains(title, "已发送") {
			t.Fatalf("title at 00:59: %q", title)
		}
		br.Shot(ctx, fmt.Sprintf("broadcast-waiting-%d", w))
		do("the list", chromedp.Navigate(web.URL+"/console/broadcasts"), chromedp.WaitVisible(css("#broadcasts")))
		br.Until(ctx, "list waits", `document.querySelector('#status-`+itoa(night.ID)+`').innerText.includes('等待免打扰时段结束')`)
		br.Shot(ctx, fmt.Sprintf("broadcast-list-waiting-%d", w))
		do("a draft", chromedp.Navigate(web.URL+"/console/broadcasts/"+itoa(draft.ID)), chromedp.WaitVisible(css("#schedule-form")),
			chromedp.SetValue(css("#schedule-at"), "2026-12-08T23:30"))
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#schedule-at').dispatchEvent(new Event('change', {bubbles: true}))`)); err != nil {
			t.Fatal(err)
		}
		br.Until(ctx, "the estimate says who cannot be reached and what would", `document.querySelector('#plan-why-window_closed').innerText.includes('48 小时内没有互动') && document.querySelector('#plan-why-window_closed').innerText.includes('填写模板 ID 以模板消息触达')`)
		br.Until(ctx, "warned while scheduling", `(document.querySelector('#starts-held') || {innerText: ''}).innerText.includes('消息会在 12-09 08:00 免打扰结束后才开始发送')`)
		br.Shot(ctx, fmt.Sprintf("broadcast-schedule-warning-%d", w))
	}

	// The page stays open while the run waits: when sending starts and
	// fails, the title's badge follows the runs without a reload.
	do("the waiting broadcast stays open", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(page), chromedp.WaitVisible(css("#runs")))
	br.Until(ctx, "title waits before", `document.querySelector('#bc-state').innerText.includes('等待免打扰时段结束')`)
	q.advance(7*time.Hour + 2*time.Minute) // 08:01: WeChat refuses every send (the fans are unknown to it)
	q.tick(t)
	br.Until(ctx, "title follows the run without a reload", `document.querySelector('#bc-state').innerText.includes('失败') && !document.querySelector('#bc-state').innerText.includes('等待')`)
	for _, w := range []int64{1280, 390} {
		do("width", chromedp.EmulateViewport(w, 900))
		do("the broadcast at 08:01", chromedp.Navigate(page), chromedp.WaitVisible(css("#runs")))
		br.Until(ctx, "failed", `document.querySelector('#bc-state').innerText.includes('失败') && document.querySelector('#runs').innerText.includes('失败 3')`)
		br.Until(ctx, "no sends drawn", `!document.querySelector('#runs .seg-sent') && !!document.querySelector('#runs .seg-failed')`)
		br.Shot(ctx, fmt.Sprintf("broadcast-failed-%d", w))
		do("the report", chromedp.Click(css("#runs a")), chromedp.WaitVisible(css("#report")))
		br.Until(ctx, "reason in words", `document.querySelector('#report').innerText.includes('超出 48 小时回复时限，或粉丝已取消关注') && document.querySelector('#rep-status').innerText === '失败'`)
		if text, _ := chromedp.Run(ctx, chromedp.Text(css("#report"))); strings.Contains(text, "errcode") || strings.Contains(text, "完成") {
			t.Fatalf("report: %q", text)
		}
		br.Shot(ctx, fmt.Sprintf("broadcast-failed-report-%d", w))
		do("the list", chromedp.Navigate(web.URL+"/console/broadcasts"), chromedp.WaitVisible(css("#broadcasts")))
		br.Until(ctx, "list failed", `document.querySelector('#status-`+itoa(night.ID)+`').innerText.includes('失败 3')`)
		br.Shot(ctx, fmt.Sprintf("broadcast-list-failed-%d", w))
	}
}
