package console_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
)

// rulesApp is the router with the Consulting engine and a WeChat client on
// the fake platform.
func rulesApp(t *testing.T, s *models.Store) (*app, *roles.Consulting) {
	var engine *roles.Consulting
	a := newApp(t, s, false, func(a *app, h *console.Handler) {
		engine = &roles.Consulting{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Loc: time.UTC, Now: a.clock, WelcomeText: "默认欢迎", Actions: roles.TagActions(s)}
		h.Consulting, h.WX, h.Loc = engine, wxClient(), time.UTC
	})
	return a, engine
}

// ruleForm is a valid keyword rule as the editor posts it.
func ruleForm(name, keyword, reply string) url.Values {
	return url.Values{"op": {"save"}, "name": {name}, "kind": {"keyword"}, "priority": {"0"}, "enabled": {"1"},
		"kw.0.text": {keyword}, "kw.0.match": {"contains"}, "reply.0.kind": {"text"}, "reply.0.text": {reply}}
}

func rules(t *testing.T, s *models.Store) []models.Rule {
	t.Helper()
	list, err := s.ListRules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func auditActions(t *testing.T, s *models.Store) string {
	t.Helper()
	entries, _, err := s.ListAudit(context.Background(), 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return strings.Join(out, " ")
}

var ruleLocation = regexp.MustCompile(`^/console/rules/(\d+)\?ok=rules.flash.saved$`)

func TestRuleEditorCRUD(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a, _ := rulesApp(t, s)
		a.staff("mia", models.RoleMarketer)
		b := a.browser().login("mia")
		expect(t, b.get("/console/rules"), 200, "还没有规则", `id="new-rule"`)
		expect(t, b.get("/console/rules/new"), 200, `name="kw.0.text"`, `name="reply.0.kind"`, `id="add-action"`)

		// A good rule is saved and the editor shows it with a notice.
		form := ruleForm("营业时间", "营业时间", "每天 9:00-21:00")
		form.Set("hours", "09:00-18:00, 22:00-06:00")
		form.Add("weekday", "1")
		form.Add("weekday", "5")
		form.Set("from", "2026-01-01")
		form.Set("tags", "vip，海报")
		form.Add("stage", "new")
		form.Set("subscribed", "yes")
		form.Set("cooldown", "30")
		form.Set("action.0.type", "tag")
		form.Set("action.0.value", "问营业时间")
		r := b.submit("/console/rules/new", "/console/rules/new", form)
		expect(t, r, 303)
		m := ruleLocation.FindStringSubmatch(r.Header().Get("Location"))
		if m == nil {
			t.Fatalf("Location %q", r.Header().Get("Location"))
		}
		id := m[1]
		expect(t, b.get(r.Header().Get("Location")), 200, "规则已保存", `value="营业时间"`, `href="/console/rules/test?run=1&amp;text=%E8%90%A5%E4%B8%9A%E6%97%B6%E9%97%B4"`, `value="09:00-18:00, 22:00-06:00"`, `value="vip, 海报"`)
		stored := rules(t, s)
		if len(stored) != 1 {
			t.Fatalf("rules: %+v", stored)
		}
		spec, _ := stored[0].Decode()
		if spec.Schedule == nil || len(spec.Schedule.Hours) != 2 || fmt.Sprint(spec.Schedule.Weekdays) != "[1 5]" ||
			spec.Audience == nil || fmt.Sprint(spec.Audience.Tags) != "[vip 海报]" || *spec.Audience.Subscribed != true ||
			spec.CooldownMinutes != 30 || len(spec.Actions) != 1 || spec.Keywords[0].Match != "contains" {
			t.Fatalf("stored spec: %+v", spec)
		}
		expect(t, b.get("/console/rules"), 200, "营业时间", `id="rule-`+id+`"`, "每天 9:00-21:00")

		// Bad input: nothing is saved and the form keeps what was typed.
		bad := []struct {
			name string
			edit func(url.Values)
			want string
		}{
			{"no keyword", func(f url.Values) { f.Set("kw.0.text", "") }, "needs at least one keyword"},
			{"bad regex", func(f url.Values) { f.Set("kw.0.text", "订单("); f.Set("kw.0.match", "regex") }, "not a valid RE2"},
			{"priority", func(f url.Values) { f.Set("priority", "high") }, "priority must be a whole number"},
			{"hours", func(f url.Values) { f.Set("hours", "9-18") }, "must look like 09:00-18:00"},
			{"no reply", func(f url.Values) { f.Set("reply.0.text", "") }, "needs a reply or an action"},
			{"blank text", func(f url.Values) { f.Set("reply.0.text", " ") }, "text reply is empty"},
			{"template", func(f url.Values) { f.Set("reply.0.text", "{{.Nope}}") }, "不允许使用 {{.Nope}}"},
			{"action", func(f url.Values) { f.Set("action.0.type", "launch") }, "unknown action"},
			{"kind", func(f url.Values) { f.Set("kind", "telepathy") }, "kind must be one of"},
		}
		for _, tc := range bad {
			t.Run(tc.name, func(t *testing.T) {
				f := ruleForm("坏规则", "价格", "一百元")
				tc.edit(f)
				r := b.submit("/console/rules/new", "/console/rules/new", f)
				expect(t, r, 400, `id="form-error"`, html.EscapeString(tc.want), `value="坏规则"`)
				if n := len(rules(t, s)); n != 1 {
					t.Fatalf("%d rules after a failed save", n)
				}
			})
		}
		// An invalid edit leaves the stored rule as it was.
		f := ruleForm("营业时间", "", "改了")
		expect(t, b.submit("/console/rules/"+id, "/console/rules/"+id, f), 400, "needs at least one keyword")
		if r, _ := s.FindRule(ctx, stored[0].ID); !strings.Contains(r.Spec, "每天 9:00-21:00") {
			t.Fatalf("rule changed: %s", r.Spec)
		}

		// Row buttons show the form again with the change, saving nothing.
		f = ruleForm("草稿", "一", "回复")
		f.Set("op", "add-kw")
		expect(t, b.submit("/console/rules/new", "/console/rules/new", f), 200, `name="kw.1.text"`, `value="草稿"`, "autofocus")
		f.Set("op", "add-article-0")
		f.Set("reply.0.kind", "news")
		expect(t, b.submit("/console/rules/new", "/console/rules/new", f), 200, `name="reply.0.article.0.title"`)
		f.Set("op", "del-reply-0")
		if r := b.submit("/console/rules/new", "/console/rules/new", f); strings.Contains(r.body(), `name="reply.0.kind"`) {
			t.Fatal("reply row not removed")
		}
		f.Set("op", "explode")
		expect(t, b.submit("/console/rules/new", "/console/rules/new", f), 400)
		if n := len(rules(t, s)); n != 1 {
			t.Fatalf("%d rules after row buttons", n)
		}

		// Edit: a news reply and a video reply replace the text.
		f = ruleForm("营业时间", "营业时间", "")
		f.Set("reply.0.kind", "news")
		f.Set("reply.0.article.0.title", "门店地址")
		f.Set("reply.0.article.0.url", "https://example.com/shop")
		f.Set("reply.1.kind", "video")
		f.Set("reply.1.media_id", "MEDIA_V")
		f.Set("reply.1.title", "视频")
		f.Set("reply.1.text", "stale text from another kind")
		f.Set("random", "1")
		expect(t, b.submit("/console/rules/"+id, "/console/rules/"+id, f), 303)
		got, _ := s.FindRule(ctx, stored[0].ID)
		spec, _ = got.Decode()
		if len(spec.Replies) != 2 || spec.Replies[0].Articles[0].Title != "门店地址" || spec.Replies[1].MediaID != "MEDIA_V" ||
			spec.Replies[1].Text != "" || !spec.Random || spec.Schedule != nil {
			t.Fatalf("updated spec: %+v", spec)
		}

		// Shadowing: a wider rule with a higher priority is reported.
		f = ruleForm("退款", "退款", "请联系客服")
		f.Set("priority", "5")
		expect(t, b.submit("/console/rules/new", "/console/rules/new", f), 303)
		f = ruleForm("我要退款", "我要退款", "退款流程")
		f.Set("kw.0.match", "exact")
		r = b.submit("/console/rules/new", "/console/rules/new", f)
		expect(t, r, 303)
		expect(t, b.get(r.Header().Get("Location")), 200, `id="warnings"`, "is shadowed by rule")

		// Disable, enable, delete.
		expect(t, b.submit("/console/rules", "/console/rules/"+id+"/disable", url.Values{"back": {"/console/rules?q=营业"}}), 303)
		if got, _ := s.FindRule(ctx, stored[0].ID); !got.Disabled {
			t.Fatal("not disabled")
		}
		expect(t, b.get("/console/rules?kind=keyword&q=营业"), 200, "已停用")
		expect(t, b.submit("/console/rules", "/console/rules/"+id+"/enable", nil), 303)
		if got, _ := s.FindRule(ctx, stored[0].ID); got.Disabled {
			t.Fatal("not enabled")
		}
		expect(t, b.submit("/console/rules", "/console/rules/"+id+"/delete", nil), 303)
		if _, err := s.FindRule(ctx, stored[0].ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("rule still there: %v", err)
		}
		expect(t, b.get("/console/rules/"+id), 404)
		expect(t, b.get("/console/rules/nope"), 404)
		expect(t, b.submit("/console/rules", "/console/rules/"+id+"/delete", nil), 404)
		for _, want := range []string{"rule.create", "rule.update", "rule.disable", "rule.enable", "rule.delete"} {
			if !strings.Contains(auditActions(t, s), want) {
				t.Errorf("audit lacks %s: %s", want, auditActions(t, s))
			}
		}
	})
}

func TestRulesAgentMayOnlyLook(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a, engine := rulesApp(t, s)
		a.staff("alex", models.RoleAgent)
		r, _, err := engine.SaveRule(context.Background(), 0, models.RuleSpec{Name: "价格", Kind: "keyword",
			Keywords: []models.Keyword{{Text: "价格", Match: "exact"}}, Replies: []models.Reply{models.TextReply("一百元")}})
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprint(r.ID)
		b := a.browser().login("alex")
		list := b.get("/console/rules")
		expect(t, list, 200, "价格")
		if strings.Contains(list.body(), `id="new-rule"`) || strings.Contains(list.body(), "/disable") {
			t.Fatal("agent sees edit controls")
		}
		expect(t, b.get("/console/rules/"+id), 200, "<fieldset disabled>")
		expect(t, b.get("/console/rules/test?run=1&text=价格"), 200, "一百元")
		expect(t, b.get("/console/rules/unanswered"), 200)
		expect(t, b.get("/console/rules/yaml"), 200)
		expect(t, b.get("/console/menu"), 200, "<fieldset class=\"menu-fieldset\" disabled>")
		for _, path := range []string{"/console/rules/new", "/console/rules/" + id, "/console/rules/" + id + "/delete",
			"/console/rules/" + id + "/disable", "/console/rules/import", "/console/menu", "/console/menu/publish"} {
			expect(t, b.submit("/console/rules", path, ruleForm("x", "y", "z")), 403)
		}
		if got := rules(t, s); len(got) != 1 || got[0].Disabled || got[0].Name != "价格" {
			t.Fatalf("rules changed: %+v", got)
		}
		if d, _ := s.MenuDraft(context.Background()); len(d.Buttons) != 0 {
			t.Fatalf("menu changed: %+v", d)
		}
	})
}

func TestRuleTesterPage(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a, engine := rulesApp(t, s)
		a.staff("mia", models.RoleMarketer)
		for _, spec := range []models.RuleSpec{
			{Name: "夜间", Kind: "keyword", Priority: 9, Keywords: []models.Keyword{{Text: "营业", Match: "contains"}},
				Schedule: &models.Schedule{Hours: []string{"22:00-06:00"}}, Replies: []models.Reply{models.TextReply("已打烊")}},
			{Name: "会员", Kind: "keyword", Priority: 5, Keywords: []models.Keyword{{Text: "营业", Match: "contains"}},
				Audience: &models.Audience{Stages: []string{"loyal"}}, Replies: []models.Reply{models.TextReply("会员专线")}},
			{Name: "营业时间", Kind: "keyword", Keywords: []models.Keyword{{Text: "营业时间", Match: "contains"}},
				Replies: []models.Reply{models.TextReply("每天 9:00-21:00"), {Kind: "image", MediaID: "MEDIA_MAP"}},
				Actions: []models.Action{{Type: "tag", Value: "问营业"}}},
			{Name: "菜单价格", Kind: "click", Trigger: "MENU_PRICE", Replies: []models.Reply{models.TextReply("价目表")}},
		} {
			if _, _, err := engine.SaveRule(ctx, 0, spec); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "m1", OpenID: "oFan", MsgType: "text", Content: "hi"}); err != nil {
			t.Fatal(err)
		}
		b := a.browser().login("mia")
		expect(t, b.get("/console/rules/test"), 200, `id="tester"`, "在左侧输入")
		q := url.Values{"run": {"1"}, "text": {"请问营业时间？"}, "openid": {"oFan"}, "at": {"2026-03-02T12:00"}}
		expect(t, b.get("/console/rules/test?"+q.Encode()), 200, `id="verdict"`, "命中规则", "营业时间", "每天 9:00-21:00",
			"MEDIA_MAP", "不在生效时段", "客户阶段不符（粉丝处于 prospect）", "打标签", "问营业")
		q.Set("at", "2026-03-02T23:00")
		expect(t, b.get("/console/rules/test?"+q.Encode()), 200, "已打烊")
		expect(t, b.get("/console/rules/test?run=1&text=随便聊聊"), 200, "没有规则会回复", "未回答问题")
		expect(t, b.get("/console/rules/test?run=1&event=click&key=MENU_PRICE"), 200, "价目表", "菜单价格")
		expect(t, b.get("/console/rules/test?run=1&event=subscribe&scene=poster"), 200, "默认欢迎")
		expect(t, b.get("/console/rules/test?run=1&text=价格&openid=oNobody"), 404, `id="test-error"`)
		expect(t, b.get("/console/rules/test?run=1&text=价格&at=tomorrow"), 400, "2026-01-31T18:30")
		expect(t, b.get("/console/rules/test?run=1&event=click"), 400, "needs the button")
	})
}

// unanswered records a text no rule answered, at the store's clock.
func unanswered(t *testing.T, s *models.Store, key, openID, text string) {
	t.Helper()
	ctx := context.Background()
	msg, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: key, OpenID: openID, MsgType: "text", Content: text})
	if err == nil {
		err = s.FinishInbound(ctx, msg.ID, models.Answer{State: models.StateNone, Unanswered: true})
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestUnansweredOpensPrefilledEditor(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a, _ := rulesApp(t, s)
		a.staff("mia", models.RoleMarketer)
		now := time.Now()
		s.Now = func() time.Time { return now.Add(-3 * 24 * time.Hour) }
		unanswered(t, s, "u0", "oA", "能开发票吗")
		s.Now = func() time.Time { return now }
		unanswered(t, s, "u1", "oA", "能开发票吗？")
		unanswered(t, s, "u2", "oB", "能 开发票吗")
		unanswered(t, s, "u3", "oC", "停车方便吗")
		b := a.browser().login("mia")
		r := b.get("/console/rules/unanswered")
		expect(t, r, 200, `id="unanswered"`, "开发票吗", "停车方便吗", `<b>3</b>`)
		if strings.Index(r.body(), "发票") > strings.Index(r.body(), "停车") {
			t.Fatal("not ranked by count")
		}
		expect(t, b.get("/console/rules/unanswered?range=24h"), 200, `<b>2</b>`)
		link := regexp.MustCompile(`href="(/console/rules/new\?keyword=[^"]+)"`).FindStringSubmatch(r.body())
		if link == nil {
			t.Fatalf("no create-rule link:\n%s", r.body())
		}
		expect(t, b.get(html.UnescapeString(link[1])), 200, `name="name" id="rule-name" value="能开发票吗"`,
			`name="kw.0.text" value="能开发票吗"`, `<option value="contains" selected>`)
	})
}

// upload posts a rules file as the import form does (multipart).
func (b *browser) upload(yaml, pasted string) resp {
	b.a.t.Helper()
	var body strings.Builder
	const boundary = "fivecboundary"
	part := func(name, filename, value string) {
		fmt.Fprintf(&body, "--%s\r\nContent-Disposition: form-data; name=%q", boundary, name)
		if filename != "" {
			fmt.Fprintf(&body, "; filename=%q\r\nContent-Type: text/yaml", filename)
		}
		fmt.Fprintf(&body, "\r\n\r\n%s\r\n", value)
	}
	part("csrf_token", "", b.csrf("/console/rules/yaml"))
	part("file", "rules.yaml", yaml)
	part("yaml", "", pasted)
	body.WriteString("--" + boundary + "--\r\n")
	req := httptest.NewRequest("POST", "/console/rules/import", strings.NewReader(body.String()))
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	return b.send(req)
}

// send is do for a request built by the caller.
func (b *browser) send(req *http.Request) resp {
	req.RemoteAddr = b.ip + ":40000"
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	b.a.router.ServeHTTP(w, req)
	return resp{w}
}

func TestRulesImportExport(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a, engine := rulesApp(t, s)
		a.staff("mia", models.RoleMarketer)
		ctx := context.Background()
		for _, spec := range []models.RuleSpec{
			{Name: "营业时间", Kind: "keyword", Priority: 10, Keywords: []models.Keyword{{Text: "营业时间", Match: "contains"}},
				Replies: []models.Reply{models.TextReply("每天 9:00-21:00，{{.Name}}欢迎光临")}},
			{Name: "海报欢迎", Kind: "welcome", Trigger: "poster", Replies: []models.Reply{models.TextReply("感谢扫码")},
				Actions: []models.Action{{Type: "tag", Value: "海报渠道"}}},
		} {
			if _, _, err := engine.SaveRule(ctx, 0, spec); err != nil {
				t.Fatal(err)
			}
		}
		b := a.browser().login("mia")
		expect(t, b.get("/console/rules/yaml"), 200, "全部 2 条规则", `id="import-form"`)
		exp := b.get("/console/rules/export.yaml")
		expect(t, exp, 200, "name: 营业时间", "trigger: poster")
		if ct := exp.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/yaml") ||
			!strings.Contains(exp.Header().Get("Content-Disposition"), "attachment") {
			t.Fatalf("headers: %v", exp.Header())
		}
		before := rules(t, s)

		for name, bad := range map[string]string{
			"unknown key":    "rules:\n  - name: x\n    kind: keyword\n    keywordz: [{text: a}]\n",
			"invalid rule":   "rules:\n  - name: ok\n    kind: default\n    replies: [{kind: text, text: hi}]\n  - name: bad\n    kind: keyword\n    replies: [{kind: text, text: hi}]\n",
			"not yaml":       "rules: [",
			"unknown action": "rules:\n  - name: x\n    kind: default\n    actions: [{type: launch}]\n",
		} {
			t.Run(name, func(t *testing.T) {
				expect(t, b.upload(bad, ""), 400, `id="import-error"`, "规则没有任何变化")
				after := rules(t, s)
				if len(after) != len(before) || after[0].ID != before[0].ID || after[1].Spec != before[1].Spec {
					t.Fatalf("rules changed by a bad import:\n%+v\n%+v", before, after)
				}
			})
		}
		expect(t, b.upload("", ""), 400, "choose a YAML file")
		// A pasted file keeps its text when it fails.
		expect(t, b.upload("", "rules: ["), 400, "rules: [")

		// Round trip: importing the export gives the same rules.
		expect(t, b.upload(exp.body(), ""), 200, `id="import-ok"`, "已导入 2 条规则")
		again := b.get("/console/rules/export.yaml")
		if again.body() != exp.body() {
			t.Fatalf("round trip changed the rules:\n%s\n---\n%s", exp.body(), again.body())
		}
		// Pasting works too, and warnings are shown.
		paste := "rules:\n  - name: 退款\n    kind: keyword\n    priority: 5\n    keywords: [{text: 退款, match: contains}]\n    replies: [{kind: text, text: a}]\n" +
			"  - name: 我要退款\n    kind: keyword\n    keywords: [{text: 我要退款}]\n    replies: [{kind: text, text: b}]\n"
		expect(t, b.upload("", paste), 200, "已导入 2 条规则", `id="warnings"`, "is shadowed by rule")
		if !strings.Contains(auditActions(t, s), "rules.import") {
			t.Fatal("import not audited")
		}
	})
}

func TestRulePagesInEnglish(t *testing.T) {
	t.Parallel()
	s := modelstest.MustOpen(t, "sqlite")
	a, _ := rulesApp(t, s)
	a.staff("ann", models.RoleAdmin)
	a.staff("mia", models.RoleMarketer)
	b := a.browser().login("mia")
	expect(t, b.submit("/console/members", "/console/lang", url.Values{"lang": {"en"}}), 303)
	for path, want := range map[string]string{
		"/console/rules": "Auto-reply rules", "/console/rules/new": "Add keyword", "/console/rules/test": "Rule tester",
		"/console/rules/unanswered": "Unanswered questions", "/console/rules/yaml": "Download YAML", "/console/menu": "Save draft",
	} {
		r := b.get(path)
		expect(t, r, http.StatusOK, want)
		if key := catalogueKey.FindString(stripAttrs(r.body())); key != "" {
			t.Errorf("%s shows the catalogue key %s", path, key)
		}
	}
}

var catalogueKey = regexp.MustCompile(`\b(rules|menu)\.[a-z_]+`)

// stripAttrs drops tags (whose attributes hold dotted field names) and
// keeps the text people read.
func stripAttrs(s string) string { return regexp.MustCompile(`<[^>]*>`).ReplaceAllString(s, " ") }
