package console_test

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

func TestMenuEditor(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a, _ := rulesApp(t, s)
		a.staff("mia", models.RoleMarketer)
		b := a.browser().login("mia")
		expect(t, b.get("/console/menu"), 200, `name="b.0.name"`, `name="b.2.s.4.pagepath"`, "尚未发布", "还没有菜单")

		menu := url.Values{
			"b.0.name": {"签到"}, "b.0.type": {"click"}, "b.0.key": {"SIGN_IN"},
			"b.1.name": {"服务"}, "b.1.s.0.name": {"官网"}, "b.1.s.0.type": {"view"}, "b.1.s.0.url": {"https://example.com"},
			"b.1.s.2.name": {"扫一扫"}, "b.1.s.2.type": {"scancode_push"}, "b.1.s.2.key": {"SCAN"},
		}
		// Too long a name: the error names the button and the limit, the
		// form keeps what was typed, the draft stays as it was.
		long := url.Values{}
		for k, v := range menu {
			long[k] = v
		}
		long.Set("b.0.name", "每日签到领积分") // 21 bytes
		expect(t, b.submit("/console/menu", "/console/menu", long), 400, `id="menu-error"`,
			html.EscapeString(`button 1 ("每日签到领积分"): the name is 21 bytes; WeChat allows 16`), `value="每日签到领积分"`, `value="https://example.com"`)
		long.Set("b.0.name", "签到")
		long.Set("b.1.s.0.url", "javascript:alert(1)")
		expect(t, b.submit("/console/menu", "/console/menu", long), 400, html.EscapeString(`button 2 ("服务") › sub-button 1 ("官网"): the url must start with http:// or https://`))
		if d, _ := s.MenuDraft(ctx); len(d.Buttons) != 0 {
			t.Fatalf("an invalid menu was saved: %+v", d)
		}

		// Save: empty slots are ignored.
		r := b.submit("/console/menu", "/console/menu", menu)
		expect(t, r, 303)
		if loc := r.Header().Get("Location"); loc != "/console/menu?ok=menu.flash.saved" {
			t.Fatalf("Location %q", loc)
		}
		d, _ := s.MenuDraft(ctx)
		if len(d.Buttons) != 2 || len(d.Buttons[1].SubButtons) != 2 || d.Buttons[1].SubButtons[1].Key != "SCAN" {
			t.Fatalf("draft: %+v", d)
		}
		expect(t, b.get("/console/menu?ok=menu.flash.saved"), 200, "菜单草稿已保存", `class="mb-pop"`, "草稿有未发布的修改")

		// Publish: WeChat refuses once (system busy), then accepts.
		platform.InjectFault("/cgi-bin/menu/create", fake.Fault{ErrCode: -1})
		expect(t, b.submit("/console/menu", "/console/menu/publish", menu), 502, "WeChat refused: errcode -1")
		if _, at, _ := s.PublishedMenu(ctx); !at.IsZero() {
			t.Fatal("marked published although WeChat refused")
		}
		expect(t, b.submit("/console/menu", "/console/menu/publish", menu), 303)
		if pub, at, _ := s.PublishedMenu(ctx); at.IsZero() || len(pub.Buttons) != 2 {
			t.Fatalf("published: %+v %v", pub, at)
		}
		live := b.get("/console/menu/live")
		expect(t, live, 200, `id="live-menu"`, "扫一扫", "上次发布")
		if strings.Contains(live.body(), `id="unpublished"`) {
			t.Fatal("draft and published menu differ")
		}
		for _, want := range []string{"menu.save", "menu.publish"} {
			if !strings.Contains(auditActions(t, s), want) {
				t.Errorf("audit lacks %s", want)
			}
		}
	})
}

// TestMenuViewButtonPicksFanPage: a view button can be pointed at the
// member centre by picking it; its address is built from the account's
// public URL, whatever the URL field held, and the editor shows the pick.
func TestMenuViewButtonPicksFanPage(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false, func(a *app, h *console.Handler) {
			h.WX, h.Loc = wxClient(), time.UTC
			h.PublicURL, h.FanPages = "https://wx.fivec.example/", []console.FanPage{{Path: "/fan/me", Name: "member"}}
		})
		a.staff("mia", models.RoleMarketer)
		b := a.browser().login("mia")
		expect(t, b.get("/console/menu"), 200, `name="b.0.page"`, "会员中心", `id="fan-page-help"`)
		menu := url.Values{"b.0.name": {"会员中心"}, "b.0.type": {"view"}, "b.0.page": {"member"}, "b.0.url": {"https://stale.example/x"}}
		expect(t, b.submit("/console/menu", "/console/menu", menu), 303)
		d, _ := s.MenuDraft(ctx)
		if len(d.Buttons) != 1 || d.Buttons[0].URL != "https://wx.fivec.example/fan/me" {
			t.Fatalf("draft: %+v", d)
		}
		expect(t, b.get("/console/menu"), 200, `<option value="member" selected>会员中心</option>`, `value="https://wx.fivec.example/fan/me"`)
	})
}
