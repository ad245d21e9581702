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

// TestBrowserRules creates a rule in a real browser, tries it in the rule
// tester and sees the reply. With FIVEC_SCREENSHOTS=<dir> it also keeps
// screenshots of every rules and menu page, desktop and phone-sized.
func TestBrowserRules(t *testing.T) {
	br := browsertest.New(t, 90*time.Second)
	s := modelstest.MustOpen(t, "sqlite")
	a, engine := rulesApp(t, s)
	a.staff("mia", models.RoleMarketer)
	seedRules(t, s, engine)
	srv := httptest.NewServer(a.router)
	defer srv.Close()

	ctx := br.Tab()
	shot := func(name string) { br.Shot(ctx, name) }
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		br.Do(ctx, step, actions...)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	visible := func(sel string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('`+sel+`')).display !== 'none'`))
		if err != nil {
			t.Fatalf("display of %s: %v", sel, err)
		}
		return v
	}

	do("log in", chromedp.Navigate(srv.URL+"/console/rules"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "mia"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("table#rules")))
	shot("rules-list")
	do("new rule", chromedp.Click(css("#new-rule")), chromedp.WaitVisible(css("#rule-name")))
	// Fields follow the rule's and the reply's kind, without a script.
	if !visible("#keywords") || visible(".hint.k-click") || visible(`label:has(> input[name="reply.0.media_id"])`) {
		t.Fatalf("a new keyword rule shows the wrong fields: keywords %v, click hint %v, media_id %v",
			visible("#keywords"), visible(".hint.k-click"), visible(`label:has(> input[name="reply.0.media_id"])`))
	}
	do("click kind", chromedp.SetValue(css("#rule-kind"), "click"))
	if visible("#keywords") || !visible(".hint.k-click") {
		t.Fatal("a click rule shows keywords or hides its trigger hint")
	}
	do("keyword kind", chromedp.SetValue(css("#rule-kind"), "keyword"),
		chromedp.SetValue(css(`select[name="reply.0.kind"]`), "image"))
	if visible(`label:has(> textarea[name="reply.0.text"])`) || !visible(`label:has(> input[name="reply.0.media_id"])`) {
		t.Fatal("an image reply shows the text box or hides media_id")
	}
	do("text reply", chromedp.SetValue(css(`select[name="reply.0.kind"]`), "text"))
	shot("rule-new")

	do("fill in", chromedp.SendKeys(css("#rule-name"), "发票"),
		chromedp.SendKeys(css(`input[name="kw.0.text"]`), "发票"),
		chromedp.SendKeys(css(`textarea[name="reply.0.text"]`), "可以开电子发票，请留下抬头和税号。"))
	do("add a keyword row", chromedp.Click(css("#add-keyword")), chromedp.WaitVisible(css(`input[name="kw.1.text"]`)))
	do("second keyword", chromedp.SendKeys(css(`input[name="kw.1.text"]`), "开票"),
		chromedp.Click(css("#save-rule")), chromedp.WaitVisible(css(".notice.ok")))
	shot("rule-saved")
	if got := rules(t, s); len(got) != 4 || !strings.Contains(got[len(got)-1].Spec, "开票") {
		t.Fatalf("the rule was not saved: %+v", got)
	}

	do("tester", chromedp.Navigate(srv.URL+"/console/rules/test"), chromedp.WaitVisible(css("#test-text")),
		chromedp.SendKeys(css("#test-text"), "请问能开票吗？"), chromedp.Click(css("#run-test")),
		chromedp.WaitVisible(css("#test-replies")))
	text, err := chromedp.Run(ctx, chromedp.Text(css("#test-result")))
	if err != nil || !strings.Contains(text, "可以开电子发票") || !strings.Contains(text, "发票") {
		t.Fatalf("tester result: %q %v", text, err)
	}
	shot("rule-tester")

	if !br.Shots() {
		return
	}
	pages := []struct{ name, path, wait string }{
		{"rule-edit", "/console/rules/1", "#rule-form"},
		{"rules-unanswered", "/console/rules/unanswered", "#unanswered"},
		{"rules-yaml", "/console/rules/yaml", "#import-form"},
		{"menu", "/console/menu", "#menu-form"},
		{"rule-tester-trace", "/console/rules/test?run=1&text=营业时间&at=2026-03-02T23:00", "#trace"},
	}
	for _, p := range pages {
		do("open "+p.name, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(css(p.wait)))
		shot(p.name)
	}
	do("bad rule", chromedp.Navigate(srv.URL+"/console/rules/new"), chromedp.WaitVisible(css("#rule-name")),
		chromedp.SendKeys(css("#rule-name"), "没有关键词"), chromedp.SendKeys(css(`textarea[name="reply.0.text"]`), "hi"),
		chromedp.Click(css("#save-rule")), chromedp.WaitVisible(css("#form-error")))
	shot("rule-error")
	do("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, p := range append(pages, struct{ name, path, wait string }{"rules-list", "/console/rules", "#rules"}) {
		do("phone "+p.name, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(css(p.wait)))
		shot("mobile-" + p.name)
	}
}

// seedRules gives the rules pages something to show.
func seedRules(t *testing.T, s *models.Store, engine interface {
	SaveRule(context.Context, uint64, models.RuleSpec) (*models.Rule, []string, error)
}) {
	t.Helper()
	ctx := context.Background()
	for _, spec := range []models.RuleSpec{
		{Name: "营业时间", Kind: "keyword", Priority: 10, Keywords: []models.Keyword{{Text: "营业时间", Match: "contains"}, {Text: "几点开门", Match: "contains"}},
			Schedule: &models.Schedule{Hours: []string{"09:00-21:00"}, Weekdays: []int{1, 2, 3, 4, 5}},
			Replies:  []models.Reply{models.TextReply("门店每天 9:00-21:00 营业，{{.Name}}欢迎光临"), {Kind: "news", Articles: []models.Article{{Title: "门店地址", URL: "https://example.com"}}}},
			Actions:  []models.Action{{Type: "tag", Value: "问营业时间"}}},
		{Name: "海报渠道欢迎", Kind: "welcome", Trigger: "poster2026", Replies: []models.Reply{models.TextReply("感谢扫码关注！回复 签到 领积分")}},
		{Name: "兜底回复", Kind: "default", CooldownMinutes: 30, Disabled: true, Replies: []models.Reply{models.TextReply("没太明白您的问题，回复 人工 联系客服")}},
	} {
		r, _, err := engine.SaveRule(ctx, 0, spec)
		if err != nil {
			t.Fatal(err)
		}
		for i := range len(spec.Name) / 4 { // a few hits each
			msg, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: fmt.Sprint("hit", r.ID, i), OpenID: "oHit", MsgType: "text", Content: spec.Name})
			if err == nil {
				err = s.FinishInbound(ctx, msg.ID, models.Answer{State: models.StateReplied, RuleID: r.ID})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	unanswered(t, s, "b1", "oA", "能开发票吗？")
	unanswered(t, s, "b2", "oB", "能开发票吗")
	unanswered(t, s, "b3", "oC", "停车方便吗")
	err := s.SaveMenuDraft(ctx, models.Menu{Buttons: []models.MenuButton{
		{Type: "click", Name: "签到", Key: "SIGN_IN"},
		{Name: "服务", SubButtons: []models.MenuButton{
			{Type: "view", Name: "官网", URL: "https://example.com"},
			{Type: "scancode_push", Name: "扫一扫", Key: "SCAN"},
			{Type: "click", Name: "联系客服", Key: "KF"},
		}},
		{Type: "miniprogram", Name: "商城", AppID: "wx123", PagePath: "pages/index", URL: "https://example.com/shop"},
	}})
	if err != nil {
		t.Fatal(err)
	}
}
