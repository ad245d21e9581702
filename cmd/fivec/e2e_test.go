package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
)

// TestSandboxInBrowser is the README's promise, in a real browser against
// the real binary's wiring: log in with the seeded admin, open the fan
// simulator, follow and chat, and see fivec's answers arrive through the
// signed safe-mode callback. FIVEC_SCREENSHOTS=<dir> keeps screenshots.
func TestSandboxInBrowser(t *testing.T) {
	br := browsertest.New(t, 90*time.Second)
	_, base := startApp(t, nil)
	ctx := br.Tab()
	shot := func(name string) { br.Shot(ctx, "e2e-"+name) }
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		br.Do(ctx, step, actions...)
	}
	waitPhone := func(step, text string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
			`document.querySelector('#inbox').innerText.includes(`+jsString(text)+`)`,
			chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			out, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#inbox")))
			t.Fatalf("%s: the phone never showed %q; it shows:\n%s", step, text, out)
		}
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	do("open console", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css("#username")))
	do("log in", chromedp.SendKeys(css("#username"), "admin"), chromedp.SendKeys(css("#password"), "violet-harbour-42"),
		chromedp.Click(css("#login")), chromedp.WaitNotPresent(css("#login")))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/console/members") {
		body, _ := chromedp.Run(ctx, chromedp.Text(css("body")))
		t.Fatalf("after login at %s the page shows:\n%s", loc, body)
	}
	// Consulting: a marketer writes a rule, tries it in the tester...
	do("new rule", chromedp.Navigate(base+"/console/rules/new"), chromedp.WaitVisible(css("#rule-name")),
		chromedp.SendKeys(css("#rule-name"), "营业时间"),
		chromedp.SendKeys(css(`input[name="kw.0.text"]`), "几点开门"),
		chromedp.SetValue(css(`select[name="kw.0.match"]`), "contains"),
		chromedp.SendKeys(css(`textarea[name="reply.0.text"]`), "门店每天 9:00-21:00 营业"),
		chromedp.Click(css("#save-rule")), chromedp.WaitVisible(css(".notice.ok")))
	do("tester", chromedp.Navigate(base+"/console/rules/test"), chromedp.WaitVisible(css("#test-text")),
		chromedp.SendKeys(css("#test-text"), "请问几点开门？"), chromedp.Click(css("#run-test")),
		chromedp.WaitVisible(css("#test-replies")))
	if got, err := chromedp.Run(ctx, chromedp.Text(css("#test-result"))); err != nil || !strings.Contains(got, "门店每天 9:00-21:00 营业") {
		t.Fatalf("tester: %q %v", got, err)
	}
	shot("tester")
	do("open simulator", chromedp.Navigate(base+"/console/simulator"), chromedp.WaitVisible(css("#new-fan")))
	do("new fan", chromedp.Click(css("#new-fan button")), chromedp.WaitVisible(css("#follow")))
	do("follow", chromedp.Click(css("#follow")), chromedp.WaitVisible(css("#unfollow")))
	waitPhone("follow", "欢迎来到 fivec")
	// ...and a fan asking gets the answer from the rule.
	do("ask the bot", chromedp.SendKeys(css("#sim-text"), "请问几点开门？"), chromedp.Click(css("#send")))
	waitPhone("rule reply", "门店每天 9:00-21:00 营业")
	// Client: a daily sign-in earns points.
	do("sign in", chromedp.SendKeys(css("#sim-text"), "签到"), chromedp.Click(css("#send")))
	waitPhone("sign-in", "签到成功！+10 积分")
	do("ask for a person", chromedp.SendKeys(css("#sim-text"), "人工"), chromedp.Click(css("#send")))
	waitPhone("escalate", "已为您转接人工客服")
	shot("simulator")
	do("members", chromedp.Navigate(base+"/console/members"), chromedp.WaitVisible(css("table#members")))
	shot("members")
	do("member page", chromedp.Click(css("table#members a")), chromedp.WaitVisible(css("#conversation")))
	conv, err := chromedp.Run(ctx, chromedp.Text(css("#conversation")))
	if err != nil || !strings.Contains(conv, "人工") || !strings.Contains(conv, "欢迎来到 fivec") {
		t.Fatalf("member conversation lacks the chat: %q %v", conv, err)
	}
	shot("member")
}

func jsString(s string) string {
	out := []rune{'"'}
	for _, r := range s {
		if r == '"' || r == '\\' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(append(out, '"'))
}
