package console_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestStaffAdminAudited(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		ann := a.staff("ann", models.RoleAdmin)
		b := a.browser().login("ann")

		expect(t, b.submit("/console/staff", "/console/staff", url.Values{
			"username": {"bob"}, "display_name": {"Bob"}, "password": {password}, "role": {"agent"}}), 303)
		expect(t, b.get("/console/staff?ok=staff.created"), 200, "员工已创建", "bob")
		all, _ := s.ListStaff(ctx)
		var bob models.Staff
		for _, st := range all {
			if st.Username == "bob" {
				bob = st
			}
		}
		if bob.Role != models.RoleAgent {
			t.Fatalf("bob: %+v", bob)
		}
		id := fmt.Sprint(bob.ID)
		steps := []struct {
			action string
			form   url.Values
			status int
			check  func(st *models.Staff) bool
		}{
			{"role", url.Values{"role": {"marketer"}}, 303, func(st *models.Staff) bool { return st.Role == models.RoleMarketer }},
			{"role", url.Values{"role": {"king"}}, 400, func(st *models.Staff) bool { return st.Role == models.RoleMarketer }},
			{"disable", nil, 303, func(st *models.Staff) bool { return st.Disabled }},
			{"enable", nil, 303, func(st *models.Staff) bool { return !st.Disabled }},
			{"password", url.Values{"password": {"short"}}, 400, nil},
			{"password", url.Values{"password": {"a-new-password"}}, 303, nil},
			{"explode", nil, 404, nil},
		}
		for _, st := range steps {
			r := b.submit("/console/staff", "/console/staff/"+id+"/"+st.action, st.form)
			expect(t, r, st.status)
			if st.check != nil {
				got, _ := s.FindStaff(ctx, bob.ID)
				if !st.check(got) {
					t.Fatalf("%s: staff now %+v", st.action, got)
				}
			}
		}
		if r := a.browser().tryLogin("bob", "a-new-password"); r.Code != 303 {
			t.Fatalf("bob cannot log in with the reset password: %d", r.Code)
		}
		// Known failures are shown on the page with their status.
		expect(t, b.submit("/console/staff", "/console/staff", url.Values{
			"username": {"bob"}, "password": {password}, "role": {"agent"}}), 409, "已经存在", `value="bob"`)
		expect(t, b.submit("/console/staff", "/console/staff", url.Values{
			"username": {"carl"}, "password": {"short"}, "role": {"agent"}}), 400, "密码至少需要 8 个字符")
		expect(t, b.submit("/console/staff", "/console/staff/"+fmt.Sprint(ann.ID)+"/role", url.Values{"role": {"agent"}}), 409, "至少要保留一位启用中的管理员")
		expect(t, b.submit("/console/staff", "/console/staff/99999/disable", nil), 404)

		entries, _, _ := s.ListAudit(ctx, 100, 0)
		var got []string
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			if strings.HasPrefix(e.Action, "staff.") {
				if e.Username != "ann" || e.IP != "192.0.2.10" || e.Target != "bob" {
					t.Fatalf("audit entry %+v", e)
				}
				if strings.Contains(e.Detail, "a-new-password") {
					t.Fatal("password in the audit log")
				}
				got = append(got, e.Action)
			}
		}
		want := "staff.create staff.role staff.disable staff.enable staff.password"
		if strings.Join(got, " ") != want {
			t.Fatalf("audited %v, want %s", got, want)
		}
		expect(t, b.get("/console/audit"), 200, "staff.password", "192.0.2.10")
	})
}

func TestMembersSearch(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		a.staff("alex", models.RoleAgent)
		for i := 0; i < 53; i++ {
			in := models.Inbound{DedupeKey: fmt.Sprintf("k%d", i), OpenID: fmt.Sprintf("oFan%03d", i), MsgType: "text", Content: "hi"}
			if i%10 == 0 {
				in.OpenID = fmt.Sprintf("oAlpha%03d", i)
				in.UnionID = "uGroupA"
			}
			if i == 20 {
				in.MsgType, in.Event, in.Unsubscribe = "event", "unsubscribe", true
			}
			if _, _, _, err := s.RecordInbound(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		b := a.browser().login("alex")
		rows := regexp.MustCompile(`href="/console/members/(o[A-Za-z0-9]+)"`)
		tests := []struct {
			query string
			n     int
			has   []string
			lacks []string
		}{
			{"", 50, []string{"共 53 人", "下一页"}, nil},
			{"?page=2", 3, []string{"第 2 / 2 页", "上一页"}, nil},
			{"?q=Alpha", 6, []string{"oAlpha000", "oAlpha050"}, []string{"oFan001"}},
			{"?q=uGroupA", 6, nil, nil},
			{"?q=Alpha&subscribed=no", 1, []string{"oAlpha020", "已取关"}, []string{"oAlpha010"}},
			{"?q=Alpha&subscribed=yes", 5, nil, []string{"oAlpha020"}},
			{"?q=nobody", 0, []string{"没有符合条件的会员"}, nil},
			{"?q=%25", 0, nil, nil}, // LIKE wildcards are literal
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				r := b.get("/console/members" + tt.query)
				expect(t, r, 200, tt.has...)
				if n := len(rows.FindAllString(r.body(), -1)); n != tt.n {
					t.Fatalf("%d rows, want %d", n, tt.n)
				}
				for _, s := range tt.lacks {
					if strings.Contains(r.body(), s) {
						t.Fatalf("body has %q", s)
					}
				}
			})
		}
	})
}

func TestConversationShowsBothDirections(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		a.staff("alex", models.RoleAgent) // marketers see only the fan's side (TestMarketerCannotReadAgentReplies)
		msg, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "m1", OpenID: "oConv", MsgType: "text", Content: "价格多少？"})
		if err != nil {
			t.Fatal(err)
		}
		replies := []models.Reply{models.TextReply("一百元"), models.TextReply("稍后的客服消息")}
		if err := s.FinishInbound(ctx, msg.ID, models.Answer{State: models.StateReplied, Replies: replies}); err != nil {
			t.Fatal(err)
		}
		_, _, _, err = s.RecordInbound(ctx, models.Inbound{DedupeKey: "m2", OpenID: "oConv", MsgType: "event", Event: "CLICK", EventKey: "MENU_PRICE"})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []models.Outbound{
			{OpenID: "oConv", Channel: models.ChannelCustom, Reply: models.TextReply("稍后的客服消息")},
			{OpenID: "oConv", Channel: models.ChannelTemplate, Reply: models.Reply{Kind: "template", Title: "订单通知"},
				ErrCode: 43004, Err: errors.New("require subscribe")},
		} {
			if err := s.LogOutbound(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		b := a.browser().login("alex")
		r := b.get("/console/members/oConv")
		expect(t, r, 200, "价格多少？", "一百元", "被动回复", "点击菜单「MENU_PRICE」", "稍后的客服消息", "客服消息",
			"模板消息", "订单通知", "微信错误码 43004", "发送失败", "粉丝未关注公众号")
		if n := strings.Count(r.body(), "稍后的客服消息"); n != 1 {
			t.Fatalf("the follow-up is shown %d times, want once (as its outbound row)", n)
		}
		fan, bot := strings.Count(r.body(), `class="msg fan`), strings.Count(r.body(), `class="msg bot`)
		if fan != 2 || bot != 3 {
			t.Fatalf("%d fan and %d bot bubbles, want 2 and 3", fan, bot)
		}
		expect(t, b.get("/console/members/oNobody"), 404, "未找到")
	})
}

func TestLanguageSwitch(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := newApp(t, s, false)
		a.staff("ann", models.RoleAdmin)
		anon := a.browser()
		expect(t, anon.get("/console/login"), 200, "登录 fivec", `lang="zh-CN"`)
		expect(t, anon.get("/console/login?lang=en"), 303)
		expect(t, anon.get("/console/login"), 200, "Sign in to fivec", `lang="en"`)
		expect(t, anon.tryLogin("ann", "wrong-password"), 401, "Wrong username or password")

		b := a.browser().login("ann")
		expect(t, b.get("/console/members"), 200, "会员")
		tok := b.csrf("/console/members")
		r := b.do("POST", "/console/lang", url.Values{"lang": {"en"}, "csrf_token": {tok}},
			map[string]string{"Referer": "http://example.com/console/audit?page=1"})
		expect(t, r, 303)
		if loc := r.Header().Get("Location"); loc != "/console/audit?ok=lang.changed&page=1" {
			t.Fatalf("Location %q", loc)
		}
		expect(t, b.get("/console/members?ok=lang.changed"), 200, "Members", "Language changed.", "Log out")
		st, _ := s.FindStaff(context.Background(), 1)
		if st.Lang != "en" {
			t.Fatalf("lang not stored: %q", st.Lang)
		}
		// The choice follows the account to a new browser.
		expect(t, a.browser().login("ann").get("/console/members"), 200, "Members")
		expect(t, b.post("/console/lang", url.Values{"lang": {"fr"}, "csrf_token": {tok}}), 400)
		expect(t, b.get("/console/members?ok=<script>"), 200)
	})
}

func TestTokensWorkOnTheAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := newApp(t, s, false)
		a.staff("alex", models.RoleAgent)
		b := a.browser().login("alex")
		r := b.submit("/console/tokens", "/console/tokens", url.Values{"name": {"报表脚本"}})
		expect(t, r, 201, "报表脚本", "请立即复制保存")
		plain := regexp.MustCompile(`value="(fvc_[^"]+)"`).FindStringSubmatch(r.body())
		if plain == nil {
			t.Fatal("token not shown")
		}
		me := func() (int, string) {
			req := httptest.NewRequest("GET", "/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+plain[1])
			w := httptest.NewRecorder()
			a.router.ServeHTTP(w, req)
			var out struct{ Username string }
			json.Unmarshal(w.Body.Bytes(), &out)
			return w.Code, out.Username
		}
		if code, user := me(); code != 200 || user != "alex" {
			t.Fatalf("API with the new token: %d %q", code, user)
		}
		list := b.get("/console/tokens")
		if strings.Contains(list.body(), plain[1]) {
			t.Fatal("token shown again")
		}
		expect(t, b.submit("/console/tokens", "/console/tokens", url.Values{"name": {""}}), 400)
		id := regexp.MustCompile(`/console/tokens/(\d+)/delete`).FindStringSubmatch(list.body())[1]
		expect(t, b.submit("/console/tokens", "/console/tokens/"+id+"/delete", nil), 303)
		if code, _ := me(); code != 401 {
			t.Fatalf("revoked token: %d", code)
		}
		expect(t, b.submit("/console/tokens", "/console/tokens/"+id+"/delete", nil), 404)
	})
}

func TestSimulator(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := newApp(t, s, true)
		a.staff("alex", models.RoleAgent)
		b := a.browser().login("alex")
		expect(t, b.get("/console/simulator"), 200, "请在左侧选择或新建一位粉丝")

		r := b.submit("/console/simulator", "/console/simulator/fans", url.Values{"openid": {""}})
		expect(t, r, 303)
		page := r.Header().Get("Location")
		openID := strings.TrimPrefix(page, "/console/simulator?openid=")
		if !strings.HasPrefix(openID, "oSIM") {
			t.Fatalf("new fan %q", page)
		}
		expect(t, b.submit(page, "/console/simulator/follow", url.Values{"openid": {openID}, "scene": {"poster"}}), 303)
		expect(t, b.get(page), 200, "欢迎关注 poster", "取消关注")

		tok := b.csrf(page)
		hx := map[string]string{"HX-Request": "true", "X-CSRF-Token": tok}
		r = b.do("POST", "/console/simulator/text", url.Values{"openid": {openID}, "text": {"你好 <b>"}}, hx)
		expect(t, r, 200, `id="inbox"`, "你好 &lt;b&gt;", "收到：你好", "n=3")
		if strings.Contains(r.body(), "<html") {
			t.Fatal("htmx got a whole page")
		}
		expect(t, b.do("POST", "/console/simulator/click", url.Values{"openid": {openID}, "key": {"MENU_A"}}, hx), 200, "菜单 MENU_A", "客服消息")
		expect(t, b.do("POST", "/console/simulator/text", url.Values{"openid": {openID}, "text": {"  "}}, hx), 400)
		expect(t, b.do("POST", "/console/simulator/text", url.Values{"openid": {"bad id!"}, "text": {"x"}}, hx), 400)

		expect(t, b.get("/console/simulator/inbox?openid="+openID+"&n=4"), 204)
		expect(t, b.get("/console/simulator/inbox?openid="+openID+"&n=1"), 200, "菜单 MENU_A")
		expect(t, b.submit(page, "/console/simulator/unfollow", url.Values{"openid": {openID}}), 303)
		if a.sim.Fans()[0].Subscribed {
			t.Fatal("still following")
		}

		// Outside the sandbox there is no simulator.
		prod := newApp(t, s, false)
		pb := prod.browser().login("alex")
		expect(t, pb.get("/console/simulator"), 404)
		if strings.Contains(pb.get("/console/members").body(), "/console/simulator") {
			t.Fatal("simulator linked outside the sandbox")
		}
	})
}
