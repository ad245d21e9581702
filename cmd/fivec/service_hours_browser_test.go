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

// TestServiceHoursInBrowser: in Chromium (zh-CN) at 1280 px and 390 px an
// admin edits the business hours: overlapping hours and a date that does
// not exist are refused in Chinese next to their fields with nothing saved;
// corrected (today a holiday) they are saved. A fan who then asks for a
// person in the simulator gets the off-hours text with the next opening,
// and the inbox shows the conversation as 留言.
func TestServiceHoursInBrowser(t *testing.T) {
	br := browsertest.New(t, 3*time.Minute, chromedp.Flag("lang", "zh-CN"))
	c := newCrawler(t, "sqlite")
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
	today := time.Now().In(c.a.cfg.Location).Format(time.DateOnly)
	for _, width := range []int64{1280, 390} {
		w := strconv.FormatInt(width, 10)
		br.Do(ctx, w+": open", chromedp.EmulateViewport(width, 900), chromedp.Navigate(base+"/console/settings"),
			chromedp.WaitVisible(css("#f-hours_mon")))
		if got := text("#hours-intro"); !strings.Contains(got, "七天都留空表示全天营业") {
			t.Fatalf("%s px: the hours intro says %q", w, got)
		}
		br.Do(ctx, w+": bad hours", chromedp.SetValue(css("#f-hours_mon"), "09:00-18:00"),
			chromedp.SetValue(css("#f-hours_tue"), "09:00-12:00,11:00-13:00"), chromedp.SetValue(css("#f-service_holidays"), "2026-02-30"),
			chromedp.Click(css("#settings-save")), chromedp.WaitVisible(css(".notice.err")))
		if got := text("#setting-hours_tue .field-error"); !strings.Contains(got, "「周二营业时间」“09:00-12:00”和“11:00-13:00”重叠了") {
			t.Fatalf("%s px: Tuesday says %q", w, got)
		}
		if got := text("#setting-service_holidays .field-error"); !strings.Contains(got, "没有“2026-02-30”这一天") {
			t.Fatalf("%s px: the holidays say %q", w, got)
		}
		if c.a.live.Current().Hours().Set() {
			t.Fatalf("%s px: a refused save set business hours", w)
		}
		br.Do(ctx, w+": scroll to the hours", chromedp.ScrollIntoView(css("#group-hours")))
		br.Shot(ctx, "hours-error-"+w)

		br.Do(ctx, w+": correct and save", chromedp.SetValue(css("#f-hours_tue"), "09:00-12:00,13:00-18:00"),
			chromedp.SetValue(css("#f-service_holidays"), today+",2026-10-01~2026-10-07"),
			chromedp.Click(css("#settings-save")), chromedp.WaitVisible(css(".notice.ok")))
		h := c.a.live.Current().Hours()
		if !h.Set() || len(h.Week[time.Tuesday]) != 2 || !h.Holidays[today] || !h.Holidays["2026-10-04"] {
			t.Fatalf("%s px: hours in force %+v", w, h)
		}
		br.Do(ctx, w+": saved hours", chromedp.Navigate(base+"/console/settings"), chromedp.WaitVisible(css("#f-hours_mon")),
			chromedp.ScrollIntoView(css("#group-hours")))
		br.Shot(ctx, "hours-saved-"+w)

		fan := "o_hours_browser_" + w
		br.Do(ctx, w+": the fan asks for a person", chromedp.Navigate(base+"/console/simulator?openid="+fan),
			chromedp.WaitVisible(css("#follow")), chromedp.Click(css("#follow")), chromedp.WaitVisible(css("#unfollow")),
			chromedp.SetValue(css("#sim-text"), "人工"), chromedp.Click(css("#send")))
		br.Until(ctx, w+": the fan is told when someone will answer",
			`[...document.querySelectorAll('#inbox .msg.bot .bubble')].some(b => b.textContent.includes("非工作时间") && !b.textContent.includes("前面还有"))`)
		br.Shot(ctx, "hours-fan-"+w)

		br.Do(ctx, w+": the queue", chromedp.Navigate(base+"/console/inbox?filter=waiting"), chromedp.WaitVisible(css(".badge.after-hours")))
		if got := text("#conversations"); !strings.Contains(got, fan) || !strings.Contains(got, "留言") {
			t.Fatalf("%s px: the queue shows %q", w, got)
		}
		br.Shot(ctx, "hours-inbox-"+w)

		// The 留言 is closed; the fan asks again: the new conversation's
		// page lists the first under 历史会话.
		st := c.a.store
		m, err := st.FindMemberByOpenID(context.Background(), fan)
		if err != nil {
			t.Fatal(err)
		}
		first, err := st.OpenConversation(context.Background(), m.ID)
		if err != nil || first == nil {
			t.Fatal(first, err)
		}
		if _, err := st.Resolve(context.Background(), first.ID, "agent"); err != nil {
			t.Fatal(err)
		}
		br.Do(ctx, w+": the fan asks again", chromedp.Navigate(base+"/console/simulator?openid="+fan), chromedp.WaitVisible(css("#sim-text")),
			chromedp.SetValue(css("#sim-text"), "人工"), chromedp.Click(css("#send")))
		br.Until(ctx, w+": the second off-hours reply",
			`[...document.querySelectorAll('#inbox .msg.bot .bubble')].filter(b => b.textContent.includes("非工作时间")).length >= 2`)
		second, err := st.OpenConversation(context.Background(), m.ID)
		if err != nil || second == nil {
			t.Fatal(second, err)
		}
		br.Do(ctx, w+": the conversation", chromedp.Navigate(base+"/console/inbox/"+strconv.FormatUint(second.ID, 10)),
			chromedp.WaitVisible(css("#conv-history")))
		if got := text("#conv-history"); !strings.Contains(got, "历史会话") || !strings.Contains(got, "已结束") || !strings.Contains(got, "留言") {
			t.Fatalf("%s px: the history shows %q", w, got)
		}
		if got := text("#conv-after-hours"); got != "留言" {
			t.Fatalf("%s px: the header shows %q", w, got)
		}
		br.Shot(ctx, "hours-conv-"+w)
		// The next width starts from no hours, as an admin would find it.
		if err := c.a.live.Save(context.Background(), nil, []string{settings.HoursMon, settings.HoursTue, settings.ServiceHolidays},
			models.AuditEntry{Username: "test"}); err != nil {
			t.Fatal(err)
		}
	}
}
