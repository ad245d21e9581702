package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// rulesEnv is newEnv with the Consulting engine and a WeChat client on the
// fake platform.
func rulesEnv(t *testing.T, s *models.Store) (*env, *api.Handler) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &api.Handler{Store: s, Log: log, WX: wxClient(),
		Consulting: &roles.Consulting{Store: s, Log: log, Loc: time.UTC, Now: time.Now, WelcomeText: "默认欢迎",
			Actions: roles.TagActions(s)}}
	srv := &handlers.Server{Store: s, API: h, Metrics: metrics.New(), Log: log, Callback: &callback.Handler{}}
	return &env{t: t, store: s, router: srv.Router()}, h
}

const goodRule = `{"name":"营业时间","kind":"keyword","priority":10,
 "keywords":[{"text":"营业时间","match":"contains"}],
 "schedule":{"hours":["09:00-21:00"],"weekdays":[1,2,3,4,5]},
 "audience":{"tags":["vip"],"subscribed":true},
 "replies":[{"kind":"text","text":"每天 9:00-21:00"},{"kind":"news","articles":[{"title":"门店","url":"https://example.com"}]}],
 "actions":[{"type":"tag","value":"问营业"}],"cooldown_minutes":5}`

func countRules(t *testing.T, s *models.Store) int {
	t.Helper()
	list, err := s.ListRules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestRulesAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e, _ := rulesEnv(t, s)
		mia, alex := e.token("mia", "marketer"), e.token("alex", "agent")

		r := e.call(mia, "POST", "/api/v1/rules", goodRule)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var created api.RuleWithWarnings
		r.decode(t, &created)
		if created.ID == 0 || created.Name != "营业时间" || created.Warnings == nil || len(created.Replies) != 2 ||
			created.Audience == nil || *created.Audience.Subscribed != true || created.CooldownMinutes != 5 ||
			r.header.Get("Location") != fmt.Sprintf("/api/v1/rules/%d", created.ID) {
			t.Fatalf("created: %+v %v", created, r.header)
		}
		id := fmt.Sprint(created.ID)

		bad := []check{
			{name: "unknown field", body: `{"name":"x","kind":"default","replies":[{"kind":"text","text":"a"}],"enabled":true}`, contains: "unknown field"},
			{name: "no keyword", body: `{"name":"x","kind":"keyword","replies":[{"kind":"text","text":"a"}]}`, contains: "at least one keyword"},
			{name: "bad regex", body: `{"name":"x","kind":"keyword","keywords":[{"text":"(","match":"regex"}],"replies":[{"kind":"text","text":"a"}]}`, contains: "RE2"},
			{name: "bad template", body: `{"name":"x","kind":"default","replies":[{"kind":"text","text":"{{.Nope}}"}]}`, contains: "不允许使用"},
			{name: "unknown action", body: `{"name":"x","kind":"default","actions":[{"type":"launch"}]}`, contains: "unknown action"},
			{name: "bad hours", body: `{"name":"x","kind":"default","schedule":{"hours":["9-5"]},"replies":[{"kind":"text","text":"a"}]}`, contains: "09:00-18:00"},
			{name: "image without media", body: `{"name":"x","kind":"default","replies":[{"kind":"image"}]}`, contains: "media_id"},
			{name: "not JSON", body: `name: x`},
		}
		for i := range bad {
			bad[i].token, bad[i].method, bad[i].path, bad[i].status, bad[i].code = mia, "POST", "/api/v1/rules", 400, "invalid"
		}
		e.run(t, bad)
		if n := countRules(t, s); n != 1 {
			t.Fatalf("%d rules after bad creates", n)
		}

		e.run(t, []check{
			{name: "list", token: alex, method: "GET", path: "/api/v1/rules", status: 200, contains: `"hits":{"24h":0,"7d":0,"30d":0}`},
			{name: "list by kind", token: alex, method: "GET", path: "/api/v1/rules?kind=welcome", status: 200, contains: `"items":[]`},
			{name: "get", token: alex, method: "GET", path: "/api/v1/rules/" + id, status: 200, contains: `"warnings":[]`},
			{name: "get missing", token: alex, method: "GET", path: "/api/v1/rules/999", status: 404, code: "not_found"},
			{name: "get malformed", token: alex, method: "GET", path: "/api/v1/rules/x", status: 404, code: "not_found"},
			{name: "agent create", token: alex, method: "POST", path: "/api/v1/rules", body: goodRule, status: 403, code: "forbidden"},
			{name: "agent update", token: alex, method: "PUT", path: "/api/v1/rules/" + id, body: goodRule, status: 403, code: "forbidden"},
			{name: "agent delete", token: alex, method: "DELETE", path: "/api/v1/rules/" + id, status: 403, code: "forbidden"},
			{name: "agent import", token: alex, method: "POST", path: "/api/v1/rules/import", body: "rules: []", status: 403, code: "forbidden"},
			{name: "update invalid", token: mia, method: "PUT", path: "/api/v1/rules/" + id, status: 400, code: "invalid",
				body: `{"name":"营业时间","kind":"keyword","replies":[{"kind":"text","text":"x"}]}`},
			{name: "update missing", token: mia, method: "PUT", path: "/api/v1/rules/999", status: 404, code: "not_found",
				body: `{"name":"x","kind":"default","replies":[{"kind":"text","text":"x"}]}`},
			{name: "wide rule", token: mia, method: "POST", path: "/api/v1/rules", status: 201,
				body: `{"name":"营业","kind":"keyword","priority":20,"keywords":[{"text":"营业","match":"contains"}],"replies":[{"kind":"text","text":"营业中"}]}`},
			{name: "update shadowed", token: mia, method: "PUT", path: "/api/v1/rules/" + id, status: 200, body: goodRule, contains: "is shadowed by rule"},
		})
		if got, _ := s.FindRule(context.Background(), created.ID); !strings.Contains(got.Spec, "每天 9:00-21:00") {
			t.Fatalf("invalid update changed the rule: %s", got.Spec)
		}
		// Hits count answered messages.
		msg, _, _, _ := s.RecordInbound(context.Background(), models.Inbound{DedupeKey: "h1", OpenID: "oFan", MsgType: "text", Content: "营业时间"})
		s.FinishInbound(context.Background(), msg.ID, models.Answer{State: models.StateReplied, RuleID: created.ID})
		e.run(t, []check{
			{name: "hits", token: alex, method: "GET", path: "/api/v1/rules/" + id, status: 200, contains: `"hits":{"24h":1,"7d":1,"30d":1}`},
			{name: "delete", token: mia, method: "DELETE", path: "/api/v1/rules/" + id, status: 204},
			{name: "deleted", token: mia, method: "GET", path: "/api/v1/rules/" + id, status: 404, code: "not_found"},
			{name: "delete again", token: mia, method: "DELETE", path: "/api/v1/rules/" + id, status: 404, code: "not_found"},
		})
		entries, _, _ := s.ListAudit(context.Background(), 50, 0)
		var actions []string
		for _, a := range entries {
			actions = append(actions, a.Action+" "+a.Detail)
		}
		if got := strings.Join(actions, "|"); !strings.Contains(got, "rule.create id="+id+" via API") ||
			!strings.Contains(got, "rule.update id="+id+" via API") || !strings.Contains(got, "rule.delete id="+id+" via API") {
			t.Fatalf("audit: %s", got)
		}
	})
}

func TestRuleTesterAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e, _ := rulesEnv(t, s)
		mia, alex := e.token("mia", "marketer"), e.token("alex", "agent")
		for _, body := range []string{goodRule,
			`{"name":"夜间","kind":"keyword","priority":30,"keywords":[{"text":"营业","match":"contains"}],"schedule":{"hours":["22:00-06:00"]},"replies":[{"kind":"text","text":"已打烊"}]}`,
			`{"name":"价目表","kind":"click","trigger":"MENU_PRICE","replies":[{"kind":"text","text":"价目表"}]}`} {
			if r := e.call(mia, "POST", "/api/v1/rules", body); r.status != 201 {
				t.Fatalf("%d %s", r.status, r.body)
			}
		}
		r := e.call(alex, "POST", "/api/v1/rules/test", `{"text":"请问营业时间？","at":"2026-03-02T12:00:00Z"}`)
		var res api.RuleTestResult
		r.decode(t, &res)
		if r.status != 200 || !res.Matched || res.RuleName != "营业时间" || res.Keyword != "营业时间" || res.Mode != "contains" ||
			len(res.Replies) != 2 || res.Replies[0].Text != "每天 9:00-21:00" || len(res.Actions) != 1 || len(res.Trace) != 2 ||
			res.Trace[0].RuleName != "夜间" || res.Trace[0].Outcome != "outside its schedule" {
			t.Fatalf("test: %d %+v", r.status, res)
		}
		e.run(t, []check{
			{name: "night", token: alex, method: "POST", path: "/api/v1/rules/test", body: `{"text":"营业吗","at":"2026-03-02T23:00:00Z"}`, status: 200, contains: "已打烊"},
			{name: "unmatched", token: alex, method: "POST", path: "/api/v1/rules/test", body: `{"text":"随便聊聊"}`, status: 200, contains: `"unanswered":true`},
			{name: "click", token: alex, method: "POST", path: "/api/v1/rules/test", body: `{"event":"click","key":"MENU_PRICE"}`, status: 200, contains: `"rule_name":"价目表"`},
			{name: "subscribe", token: alex, method: "POST", path: "/api/v1/rules/test", body: `{"event":"subscribe","scene":"poster"}`, status: 200, contains: "默认欢迎"},
			{name: "unknown member", token: alex, method: "POST", path: "/api/v1/rules/test", body: `{"text":"hi","openid":"oNobody"}`, status: 404, code: "not_found"},
			{name: "empty", token: alex, method: "POST", path: "/api/v1/rules/test", body: `{"text":" "}`, status: 400, code: "invalid"},
			{name: "bad event", token: alex, method: "POST", path: "/api/v1/rules/test", body: `{"event":"scan"}`, status: 400, code: "invalid"},
			{name: "bad time", token: alex, method: "POST", path: "/api/v1/rules/test", body: `{"text":"a","at":"noon"}`, status: 400, code: "invalid"},
		})
	})
}

func TestUnansweredAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		e, _ := rulesEnv(t, s)
		alex := e.token("alex", "agent")
		for i, text := range []string{"能开发票吗？", "能开发票吗", "停车方便吗"} {
			msg, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: fmt.Sprint("u", i), OpenID: fmt.Sprint("o", i), MsgType: "text", Content: text})
			if err == nil {
				err = s.FinishInbound(ctx, msg.ID, models.Answer{State: models.StateNone, Unanswered: true})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		r := e.call(alex, "GET", "/api/v1/rules/unanswered?range=24h&limit=1", "")
		var list api.List[api.UnansweredQuestion]
		r.decode(t, &list)
		if r.status != 200 || len(list.Items) != 1 || list.Items[0].Text != "能开发票吗" || list.Items[0].Count != 2 || list.Items[0].Fans != 2 {
			t.Fatalf("unanswered: %d %s", r.status, r.body)
		}
		e.run(t, []check{
			{name: "default range", token: alex, method: "GET", path: "/api/v1/rules/unanswered", status: 200, contains: "停车方便吗"},
			{name: "bad range", token: alex, method: "GET", path: "/api/v1/rules/unanswered?range=1y", status: 400, code: "invalid"},
			{name: "bad limit", token: alex, method: "GET", path: "/api/v1/rules/unanswered?limit=0", status: 400, code: "invalid"},
		})
	})
}

func TestRulesYAMLAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e, _ := rulesEnv(t, s)
		mia := e.token("mia", "marketer")
		for _, body := range []string{goodRule, `{"name":"欢迎","kind":"welcome","trigger":"poster","replies":[{"kind":"text","text":"感谢关注 {{.Name}}"}]}`} {
			if r := e.call(mia, "POST", "/api/v1/rules", body); r.status != 201 {
				t.Fatalf("%d %s", r.status, r.body)
			}
		}
		exp := e.call(mia, "GET", "/api/v1/rules/export", "")
		if exp.status != 200 || !strings.HasPrefix(exp.header.Get("Content-Type"), "text/yaml") || !strings.Contains(exp.body, "name: 营业时间") {
			t.Fatalf("export: %d %v %s", exp.status, exp.header, exp.body)
		}
		before, _ := s.ListRules(context.Background())
		e.run(t, []check{
			{name: "unknown key", token: mia, method: "POST", path: "/api/v1/rules/import", status: 400, code: "invalid",
				body: "rules:\n  - name: x\n    kind: default\n    reply: [{kind: text, text: a}]\n", contains: "field reply not found"},
			{name: "invalid rule", token: mia, method: "POST", path: "/api/v1/rules/import", status: 400, code: "invalid",
				body: "rules:\n  - name: ok\n    kind: default\n    replies: [{kind: text, text: a}]\n  - name: bad\n    kind: click\n    replies: [{kind: text, text: a}]\n", contains: "rule 2"},
		})
		after, _ := s.ListRules(context.Background())
		if len(after) != len(before) || after[0].ID != before[0].ID || after[1].Spec != before[1].Spec {
			t.Fatal("a bad import changed the rules")
		}
		r := e.call(mia, "POST", "/api/v1/rules/import", exp.body)
		var res api.RulesImportResult
		r.decode(t, &res)
		if r.status != 200 || res.Imported != 2 || res.Warnings == nil {
			t.Fatalf("import: %d %s", r.status, r.body)
		}
		if again := e.call(mia, "GET", "/api/v1/rules/export", ""); again.body != exp.body {
			t.Fatalf("round trip:\n%s\n---\n%s", exp.body, again.body)
		}
		big := "rules: []\n#" + strings.Repeat("x", 9<<20)
		e.run(t, []check{{name: "too big", token: mia, method: "POST", path: "/api/v1/rules/import", body: big, status: 400, code: "invalid", contains: "larger than"}})
	})
}

func TestMenuAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e, h := rulesEnv(t, s)
		mia, alex := e.token("mia", "marketer"), e.token("alex", "agent")
		menu := `{"button":[{"type":"click","name":"签到","key":"SIGN_IN"},
		  {"name":"服务","sub_button":[{"type":"view","name":"官网","url":"https://example.com"},{"type":"scancode_push","name":"扫一扫","key":"SCAN"}]}]}`
		e.run(t, []check{
			{name: "empty draft", token: alex, method: "GET", path: "/api/v1/menu", status: 200, contains: `{"button":[],"unpublished_changes":false}`},
			{name: "agent put", token: alex, method: "PUT", path: "/api/v1/menu", body: menu, status: 403, code: "forbidden"},
			{name: "agent publish", token: alex, method: "POST", path: "/api/v1/menu/publish", status: 403, code: "forbidden"},
			{name: "too long", token: mia, method: "PUT", path: "/api/v1/menu", status: 400, code: "invalid",
				body: `{"button":[{"type":"click","name":"每日签到领积分","key":"K"}]}`, contains: `button 1 (\"每日签到领积分\"): the name is 21 bytes; WeChat allows 16`},
			{name: "too many", token: mia, method: "PUT", path: "/api/v1/menu", status: 400, code: "invalid",
				body:     `{"button":[{"name":"a","sub_button":[{"type":"click","name":"1","key":"1"},{"type":"click","name":"2","key":"2"},{"type":"click","name":"3","key":"3"},{"type":"click","name":"4","key":"4"},{"type":"click","name":"5","key":"5"},{"type":"click","name":"6","key":"6"}]}]}`,
				contains: "6 sub-buttons; WeChat allows 5"},
			{name: "unknown field", token: mia, method: "PUT", path: "/api/v1/menu", status: 400, code: "invalid", body: `{"buttons":[]}`},
			{name: "publish nothing", token: mia, method: "POST", path: "/api/v1/menu/publish", status: 400, code: "invalid", contains: "at least one button"},
			{name: "save", token: mia, method: "PUT", path: "/api/v1/menu", body: menu, status: 200, contains: `"unpublished_changes":true`},
			{name: "draft", token: alex, method: "GET", path: "/api/v1/menu", status: 200, contains: `"key":"SCAN"`},
			{name: "live before", token: alex, method: "GET", path: "/api/v1/menu/live", status: 200, contains: `{"button":[]}`},
		})
		platform.InjectFault("/cgi-bin/menu/create", fake.Fault{ErrCode: 45009})
		e.run(t, []check{
			{name: "refused", token: mia, method: "POST", path: "/api/v1/menu/publish", status: 502, code: "wechat", contains: "errcode 45009"},
			{name: "publish", token: mia, method: "POST", path: "/api/v1/menu/publish", status: 200, contains: `"published_at"`},
			{name: "live", token: alex, method: "GET", path: "/api/v1/menu/live", status: 200, contains: `"name":"扫一扫"`},
			{name: "published", token: alex, method: "GET", path: "/api/v1/menu", status: 200, contains: `"unpublished_changes":false`},
		})
		if live, err := h.WX.LiveMenu(context.Background()); err != nil || len(live.Buttons) != 2 {
			t.Fatalf("live: %+v %v", live, err)
		}
	})
}
