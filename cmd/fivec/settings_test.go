package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/settings"
)

// fanHears is the texts the sandbox fan openID received.
func fanHears(a *app, openID string) []string {
	var out []string
	for _, m := range (simulator{a.sandbox}).Inbox(openID) {
		if !m.FromFan {
			out = append(out, m.Text)
		}
	}
	return out
}

// TestSettingsConsoleThroughTheRouter: only an admin opens the settings
// page (marketers and agents get the Chinese 403 page); a save with bad
// values names every bad field in Chinese and keeps nothing; the preview
// fills the sample fan; a good save is audited and answers the next
// follower at once; "恢复默认" returns to the environment's value. On
// SQLite and MariaDB.
func TestSettingsConsoleThroughTheRouter(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c := newCrawler(t, driver)
			ctx := context.Background()
			for _, role := range []string{models.RoleMarketer, models.RoleAgent} {
				cookie, csrf := c.session(role)
				rec := c.do(http.MethodGet, "/console/settings", who{role: role, cookie: cookie, csrf: csrf})
				if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "无权访问") {
					t.Fatalf("%s opens the settings: %d %.300s", role, rec.Code, rec.Body.String())
				}
				rec = c.doForm(http.MethodPost, "/console/settings", who{role: role, cookie: cookie, csrf: csrf},
					url.Values{settings.WelcomeText: {"被篡改"}, "action": {"save"}})
				if rec.Code != http.StatusForbidden {
					t.Fatalf("%s saves the settings: %d", role, rec.Code)
				}
			}
			cookie, csrf := c.session(models.RoleAdmin)
			admin := who{role: models.RoleAdmin, cookie: cookie, csrf: csrf}
			rec := c.do(http.MethodGet, "/console/settings", admin)
			body := rec.Body.String()
			if rec.Code != http.StatusOK || !strings.Contains(body, "关注欢迎语") || !strings.Contains(body, "FIVEC_WELCOME_TEXT") ||
				!strings.Contains(body, "已为您转接人工客服，前面还有 2 位，请稍候。") {
				t.Fatalf("settings page: %d %.500s", rec.Code, body)
			}

			bad := url.Values{"action": {"save"}, settings.WelcomeText: {"你好 {{.Nickname}}"}, settings.QuietHours: {"25:00-08:00"},
				settings.SignInPoints: {"-3"}, settings.ServiceThanks: {""}, settings.PushCap: {"2"}}
			rec = c.doForm(http.MethodPost, "/console/settings", admin, bad)
			body = rec.Body.String()
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("bad save: %d", rec.Code)
			}
			for _, want := range []string{"所有修改都没有保存", "「关注欢迎语」有误", "{{.Nickname}}", "「免打扰时段」格式不对",
				"「每日签到积分」不能是负数", "「评价感谢」不能为空", `value="25:00-08:00"`} {
				if !strings.Contains(body, want) {
					t.Errorf("the refused save does not say %q", want)
				}
			}
			if saved, _, _ := c.a.store.ConsoleSettings(ctx); len(saved) != 0 {
				t.Fatalf("a refused save kept %v", saved)
			}

			rec = c.doForm(http.MethodPost, "/console/settings", admin, url.Values{"action": {"preview"},
				settings.WelcomeText: {"{{.Name}}，欢迎来到小店！"}})
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "张小明，欢迎来到小店！") ||
				!strings.Contains(rec.Body.String(), "修改还没有保存") {
				t.Fatalf("preview: %d %.300s", rec.Code, rec.Body.String())
			}
			if saved, _, _ := c.a.store.ConsoleSettings(ctx); len(saved) != 0 {
				t.Fatalf("a preview saved %v", saved)
			}

			rec = c.doForm(http.MethodPost, "/console/settings", admin, url.Values{"action": {"save"},
				settings.WelcomeText: {"欢迎来到小店！"}, settings.PushCap: {"2"}, settings.QuietHours: {"23:00-07:00"}})
			if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "ok=settings.saved") {
				t.Fatalf("save: %d %s", rec.Code, rec.Header().Get("Location"))
			}
			if err := (simulator{c.a.sandbox}).Follow(ctx, "o_settings_fan", ""); err != nil {
				t.Fatal(err)
			}
			if got := fanHears(c.a, "o_settings_fan"); len(got) == 0 || got[0] != "欢迎来到小店！" {
				t.Fatalf("the new follower heard %q", got)
			}
			if from, to := c.a.live.Current().Quiet(); from != "23:00" || to != "07:00" || c.a.delivery.Live != c.a.live {
				t.Fatalf("delivery quiet hours %s-%s", from, to)
			}
			entries, _, _ := c.a.store.ListAudit(ctx, 10, 0)
			var audited []string
			for _, e := range entries {
				if e.Action == "settings.update" {
					audited = append(audited, e.Target+" "+e.Detail)
				}
			}
			if len(audited) != 3 || !strings.Contains(strings.Join(audited, "\n"), `welcome_text {"after":"欢迎来到小店！","before":"`+c.a.live.Defaults[settings.WelcomeText]+`"}`) {
				t.Fatalf("audit: %q", audited)
			}

			if rec := c.do(http.MethodGet, "/console/audit", admin); !strings.Contains(rec.Body.String(), "修改设置") ||
				!strings.Contains(rec.Body.String(), "欢迎来到小店！") {
				t.Fatalf("the audit page does not show the change in words: %.300s", rec.Body.String())
			}
			// The same page in English.
			if rec := c.doForm(http.MethodPost, "/console/lang", admin, url.Values{"lang": {"en"}}); rec.Code >= 400 {
				t.Fatalf("lang: %d", rec.Code)
			}
			rec = c.do(http.MethodGet, "/console/settings", admin)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Welcome text") || !strings.Contains(rec.Body.String(), "Reset to default") {
				t.Fatalf("English settings page: %d %.300s", rec.Code, rec.Body.String())
			}
			rec = c.doForm(http.MethodPost, "/console/settings/"+settings.WelcomeText+"/reset", admin, nil)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("reset: %d", rec.Code)
			}
			if got := c.a.live.Current().Text(settings.WelcomeText); got != c.a.cfg.WelcomeText || c.a.live.Current().Saved(settings.WelcomeText) {
				t.Fatalf("after the reset the welcome is %q", got)
			}
		})
	}
}

// TestSettingsAPIThroughTheRouter: the JSON API lists, saves (all or
// nothing, fields named) and previews, for admins only.
func TestSettingsAPIThroughTheRouter(t *testing.T) {
	c := newCrawler(t, "sqlite")
	api := func(role, method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := c.serve(req, who{role: role, bearer: c.tokens[role]})
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	for _, role := range []string{models.RoleMarketer, models.RoleAgent} {
		if code, _ := api(role, "PUT", "/api/v1/settings", `{"values":{"push_cap":"1"}}`); code != http.StatusForbidden {
			t.Fatalf("%s PUT: %d", role, code)
		}
		if code, _ := api(role, "GET", "/api/v1/settings", ""); code != http.StatusForbidden {
			t.Fatalf("%s GET: %d", role, code)
		}
	}
	code, out := api(models.RoleAdmin, "PUT", "/api/v1/settings", `{"values":{"push_cap":"-1","service_queued":"排队 {{.Agent}}","delivery_rate":"40"}}`)
	fields, _ := out["fields"].([]any)
	if code != http.StatusBadRequest || len(fields) != 2 || !strings.Contains(out["error"].(map[string]any)["message"].(string), "「每位粉丝每周推送上限」") {
		t.Fatalf("bad PUT: %d %v", code, out)
	}
	if c.a.live.Current().Int(settings.DeliveryRate) != 20 {
		t.Fatal("a refused PUT changed the rate")
	}
	code, out = api(models.RoleAdmin, "PUT", "/api/v1/settings", `{"values":{"service_queued":"稍等，前面 {{.Ahead}} 位","delivery_rate":"40"}}`)
	if code != http.StatusOK || c.a.live.Current().Int(settings.DeliveryRate) != 40 {
		t.Fatalf("PUT: %d %v", code, out)
	}
	code, out = api(models.RoleAdmin, "POST", "/api/v1/settings/preview", `{"key":"service_queued","text":"稍等，前面 {{.Ahead}} 位"}`)
	if code != http.StatusOK || out["preview"] != "稍等，前面 2 位" {
		t.Fatalf("preview: %d %v", code, out)
	}
	code, out = api(models.RoleAdmin, "GET", "/api/v1/settings", "")
	items, _ := out["items"].([]any)
	if code != http.StatusOK || len(items) != len(settings.Catalog) {
		t.Fatalf("GET: %d %v", code, out)
	}
	for _, it := range items {
		m := it.(map[string]any)
		if m["key"] == settings.DeliveryRate && (m["value"] != "40" || m["default"] != "20" || m["saved"] != true || m["env"] != "FIVEC_DELIVERY_RATE") {
			t.Fatalf("delivery_rate: %v", m)
		}
	}
}

// TestChannelWelcomeFromTheConsole: a welcome text saved for a channel
// greets fans who follow through its QR code, ahead of a general welcome
// rule; other follows get the general welcome; a bad text or an unknown
// channel is refused by name and nothing is saved; clearing it returns to
// the general welcome.
func TestChannelWelcomeFromTheConsole(t *testing.T) {
	c := newCrawler(t, "sqlite")
	ctx := context.Background()
	ch, err := c.a.store.CreateChannel(ctx, models.NewChannel{Name: "门店海报", Scene: "shopposter", Permanent: true}, "ticket", "http://qr/1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.a.store.CreateRule(ctx, models.RuleSpec{Name: "通用欢迎", Kind: models.RuleWelcome,
		Replies: []models.Reply{models.TextReply("规则里的通用欢迎")}}); err != nil {
		t.Fatal(err)
	}
	if err := c.a.consulting.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	cookie, csrf := c.session(models.RoleAdmin)
	admin := who{role: models.RoleAdmin, cookie: cookie, csrf: csrf}
	key := settings.ChannelWelcome(ch.ID)

	rec := c.do(http.MethodGet, "/console/settings", admin)
	if !strings.Contains(rec.Body.String(), "门店海报") || !strings.Contains(rec.Body.String(), `name="`+key+`"`) {
		t.Fatalf("the settings page does not offer the channel: %.300s", rec.Body.String())
	}
	rec = c.doForm(http.MethodPost, "/console/settings", admin, url.Values{"action": {"save"}, key: {"{{.Points}} 分"}, settings.PushCap: {"1"}})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "渠道欢迎语（渠道编号") {
		t.Fatalf("bad channel text: %d", rec.Code)
	}
	rec = c.doForm(http.MethodPost, "/console/settings", admin, url.Values{"action": {"save"}, settings.ChannelWelcome(ch.ID + 100): {"你好"}})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "不存在") {
		t.Fatalf("unknown channel: %d", rec.Code)
	}
	if saved, _, _ := c.a.store.ConsoleSettings(ctx); len(saved) != 0 {
		t.Fatalf("refused saves kept %v", saved)
	}
	rec = c.doForm(http.MethodPost, "/console/settings", admin, url.Values{"action": {"save"}, key: {"{{.Name}}，欢迎从门店海报来！"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %.300s", rec.Code, rec.Body.String())
	}
	sim := simulator{c.a.sandbox}
	if err := sim.Follow(ctx, "o_from_poster", "shopposter"); err != nil {
		t.Fatal(err)
	}
	if got := fanHears(c.a, "o_from_poster"); len(got) == 0 || got[0] != "朋友，欢迎从门店海报来！" {
		t.Fatalf("the fan from the poster heard %q", got)
	}
	if err := sim.Follow(ctx, "o_from_search", ""); err != nil {
		t.Fatal(err)
	}
	if got := fanHears(c.a, "o_from_search"); len(got) == 0 || got[0] != "规则里的通用欢迎" {
		t.Fatalf("the fan from search heard %q", got)
	}
	// An empty text clears it: the general welcome applies to the channel again.
	rec = c.doForm(http.MethodPost, "/console/settings", admin, url.Values{"action": {"save"}, key: {""}})
	if rec.Code != http.StatusSeeOther || c.a.live.Current().Saved(key) {
		t.Fatalf("clear: %d, still saved %v", rec.Code, c.a.live.Current().Saved(key))
	}
	if err := sim.Follow(ctx, "o_from_poster_2", "shopposter"); err != nil {
		t.Fatal(err)
	}
	if got := fanHears(c.a, "o_from_poster_2"); len(got) == 0 || got[0] != "规则里的通用欢迎" {
		t.Fatalf("after clearing, the poster fan heard %q", got)
	}
}

// TestRolesFollowTheConsole: service keywords, the queued text, the default
// reply and the sign-in points saved through the API are what the next
// fan messages get, without a restart.
func TestRolesFollowTheConsole(t *testing.T) {
	c := newCrawler(t, "sqlite")
	ctx := context.Background()
	body := `{"values":{"service_keywords":"找真人，人工","service_queued":"{{.Name}}请稍等，前面 {{.Ahead}} 位",` +
		`"signin_points":"25","default_reply":"没听懂，回复“找真人”联系客服"}}`
	req, _ := http.NewRequest("PUT", "/api/v1/settings", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if rec := c.serve(req, who{role: models.RoleAdmin, bearer: c.tokens[models.RoleAdmin]}); rec.Code != http.StatusOK {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body.String())
	}
	sim := simulator{c.a.sandbox}
	const fan = "o_console_roles"
	if err := sim.Follow(ctx, fan, ""); err != nil {
		t.Fatal(err)
	}
	last := func() string {
		got := fanHears(c.a, fan)
		if len(got) == 0 {
			return ""
		}
		return got[len(got)-1]
	}
	for _, step := range []struct{ say, want string }{
		{"随便说说", "没听懂，回复“找真人”联系客服"},
		{"签到", "签到成功！+25 积分"},
		{"找真人", "朋友请稍等，前面 0 位"},
	} {
		if err := sim.SendText(ctx, fan, step.say); err != nil {
			t.Fatal(err)
		}
		if got := last(); !strings.HasPrefix(got, step.want) {
			t.Fatalf("%q answered %q, want %q", step.say, got, step.want)
		}
	}
}
