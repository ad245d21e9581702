package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/settings"
)

// TestSettingsPageInBrowser: in Chromium (zh-CN) at 1280 px and 390 px an
// admin changes the welcome text, sees it previewed for the sample fan,
// tries to save with bad quiet hours (a Chinese error naming the field,
// nothing saved), corrects it and saves; a fan then follows in the
// simulator and receives the new text. "恢复默认" asks first.
func TestSettingsPageInBrowser(t *testing.T) {
	br := browsertest.New(t, 3*time.Minute, chromedp.Flag("lang", "zh-CN"))
	c := newCrawler(t, "sqlite")
	if _, err := c.a.store.CreateChannel(context.Background(), models.NewChannel{Name: "门店海报", Scene: "shopposter", Permanent: true}, "ticket", "http://qr/1", 0); err != nil {
		t.Fatal(err)
	}
	base := c.a.baseURL
	root := br.Tab()
	br.Do(root, "start", chromedp.Navigate("about:blank"))
	ctx := zhBrowser(t, br, root, base, models.RoleAdmin)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	for _, width := range []int64{1280, 390} {
		w := strconv.FormatInt(width, 10)
		welcome := "欢迎来到小店（" + w + "）！"
		br.Do(ctx, w+": open", chromedp.EmulateViewport(width, 900), chromedp.Navigate(base+"/console/settings"),
			chromedp.WaitVisible(css("#f-welcome_text")))
		br.Do(ctx, w+": write and preview", chromedp.SetValue(css("#f-welcome_text"), "{{.Name}}，"+welcome),
			chromedp.Click(css("#settings-preview")), chromedp.WaitVisible(css("#settings-previewed")))
		if got := text("#preview-welcome_text"); got != "张小明，"+welcome {
			t.Fatalf("%s px: preview %q", w, got)
		}
		br.Shot(ctx, "settings-preview-"+w)

		br.Do(ctx, w+": bad quiet hours", chromedp.SetValue(css("#f-quiet_hours"), "25:00-08:00"),
			chromedp.Click(css("#settings-save")), chromedp.WaitVisible(css(".notice.err")))
		if got := text("#setting-quiet_hours .field-error"); !strings.Contains(got, "「免打扰时段」格式不对") {
			t.Fatalf("%s px: the field says %q", w, got)
		}
		if got := text(".notice.err"); !strings.Contains(got, "所有修改都没有保存") {
			t.Fatalf("%s px: the notice says %q", w, got)
		}
		if cur := c.a.live.Current(); strings.Contains(cur.Text(settings.WelcomeText), welcome) {
			t.Fatalf("%s px: a refused save changed the welcome", w)
		}
		br.Shot(ctx, "settings-error-"+w)

		br.Do(ctx, w+": correct and save", chromedp.SetValue(css("#f-quiet_hours"), "22:30-07:30"),
			chromedp.SetValue(css("#f-welcome_text"), welcome), chromedp.Click(css("#settings-save")),
			chromedp.WaitVisible(css(".notice.ok")))
		if cur := c.a.live.Current(); cur.Text(settings.WelcomeText) != welcome || cur.Text(settings.QuietHours) != "22:30-07:30" {
			t.Fatalf("%s px: in force %q %q", w, cur.Text(settings.WelcomeText), cur.Text(settings.QuietHours))
		}
		br.Shot(ctx, "settings-saved-"+w)

		fan := "o_settings_browser_" + w
		br.Do(ctx, w+": the fan follows", chromedp.Navigate(base+"/console/simulator?openid="+fan),
			chromedp.WaitVisible(css("#follow")), chromedp.Click(css("#follow")), chromedp.WaitVisible(css("#unfollow")))
		br.Until(ctx, w+": the fan receives the new welcome",
			`[...document.querySelectorAll('#inbox .msg.bot .bubble')].some(b => b.textContent.includes(`+strconv.Quote(welcome)+`))`)
		br.Shot(ctx, "settings-fan-"+w)
	}

	// 恢复默认 asks first: "cancel" keeps the console's value, "OK" resets.
	br.Do(ctx, "open again", chromedp.Navigate(base+"/console/settings"), chromedp.WaitVisible(css("#reset-btn-welcome_text")))
	br.Do(ctx, "reset: answer no", evalVoid(stubConfirm(false)), chromedp.Click(css("#reset-btn-welcome_text")), chromedp.Sleep(500*time.Millisecond))
	if !c.a.live.Current().Saved(settings.WelcomeText) {
		t.Fatal("cancelling the question reset the welcome")
	}
	asked, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(window.__asked || []).join("|")`))
	if err != nil || !strings.Contains(asked, "确定把「关注欢迎语」恢复为默认值吗？") {
		t.Fatalf("asked %q, %v", asked, err)
	}
	br.Do(ctx, "reset: answer yes", evalVoid(stubConfirm(true)), chromedp.Click(css("#reset-btn-welcome_text")),
		chromedp.WaitVisible(css(".notice.ok")))
	if cur := c.a.live.Current(); cur.Saved(settings.WelcomeText) || cur.Text(settings.WelcomeText) != c.a.cfg.WelcomeText {
		t.Fatalf("after 恢复默认 the welcome is %q", cur.Text(settings.WelcomeText))
	}
}
