package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := newApp(t, s, false)
		a.staff("ann", models.RoleAdmin)
		off := a.staff("olaf", models.RoleAgent)
		yes := true
		if _, err := s.UpdateStaff(context.Background(), off.ID, models.StaffUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, user, pw, next string
			noCSRF               bool
			status               int
			location, contains   string
		}{
			{name: "good", user: "ann", pw: password, status: 303, location: "/console/members"},
			{name: "good with next", user: "ann", pw: password, next: "/console/tokens?x=1", status: 303, location: "/console/tokens?x=1"},
			{name: "next off-site", user: "ann", pw: password, next: "https://evil.example/console/", status: 303, location: "/console/members"},
			{name: "next protocol-relative", user: "ann", pw: password, next: "//evil.example/console/", status: 303, location: "/console/members"},
			{name: "wrong password", user: "ann", pw: "nope-nope", status: 401, contains: "用户名或密码错误"},
			{name: "unknown user", user: "zed", pw: password, status: 401, contains: "用户名或密码错误"},
			{name: "disabled", user: "olaf", pw: password, status: 403, contains: "已停用"},
			{name: "no CSRF token", user: "ann", pw: password, noCSRF: true, status: 403, contains: "登录表单已过期"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := a.browser()
				form := url.Values{"username": {tt.user}, "password": {tt.pw}, "next": {tt.next}}
				if !tt.noCSRF {
					form.Set("csrf_token", b.csrf("/console/login"))
				}
				r := b.post("/console/login", form)
				expect(t, r, tt.status, tt.contains)
				if tt.location != "" && r.Header().Get("Location") != tt.location {
					t.Fatalf("Location %q, want %q", r.Header().Get("Location"), tt.location)
				}
				_, hasSession := b.cookies["fivec_session"]
				if hasSession != (tt.status == 303) {
					t.Fatalf("session cookie set: %v", hasSession)
				}
				if hasSession {
					expect(t, b.get("/console/members"), 200, "ann")
				}
			})
		}
		t.Run("session cookie flags", func(t *testing.T) {
			b := a.browser()
			r := b.tryLogin("ann", password)
			var found bool
			for _, c := range r.Result().Cookies() {
				if c.Name == "fivec_session" {
					found = true
					if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
						t.Fatalf("cookie %+v", c)
					}
				}
			}
			if !found {
				t.Fatal("no session cookie")
			}
		})
		t.Run("logout", func(t *testing.T) {
			b := a.browser().login("ann")
			expect(t, b.submit("/console/members", "/console/logout", nil), 303)
			expect(t, b.get("/console/members"), 303)
		})
	})
}

func TestAccessControl(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := newApp(t, s, true)
		a.staff("ann", models.RoleAdmin)
		a.staff("alex", models.RoleAgent)
		a.staff("mia", models.RoleMarketer)
		admin, agent, marketer, anon := a.browser().login("ann"), a.browser().login("alex"), a.browser().login("mia"), a.browser()
		tests := []struct {
			name   string
			b      *browser
			path   string
			status int
		}{
			{"admin staff", admin, "/console/staff", 200},
			{"admin audit", admin, "/console/audit", 200},
			{"agent staff", agent, "/console/staff", 403},
			{"agent audit", agent, "/console/audit", 403},
			{"marketer staff", marketer, "/console/staff", 403},
			{"agent members", agent, "/console/members", 200},
			{"marketer members", marketer, "/console/members", 200},
			{"marketer simulator", marketer, "/console/simulator", 200},
			{"agent tokens", agent, "/console/tokens", 200},
			{"anonymous members", anon, "/console/members", 303},
			{"anonymous staff", anon, "/console/staff", 303},
			{"console root", admin, "/console/", 302},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := tt.b.get(tt.path)
				expect(t, r, tt.status)
				if tt.status == 403 && !strings.Contains(r.body(), "无权访问") {
					t.Fatalf("403 is not the error page: %s", r.body())
				}
			})
		}
		t.Run("no session redirects with next", func(t *testing.T) {
			r := anon.get("/console/members?q=x")
			if loc := r.Header().Get("Location"); loc != "/console/login?next=%2Fconsole%2Fmembers%3Fq%3Dx" {
				t.Fatalf("Location %q", loc)
			}
		})
		t.Run("htmx without session", func(t *testing.T) {
			r := anon.do("GET", "/console/simulator/inbox?openid=o1", nil, map[string]string{"HX-Request": "true"})
			if r.Code != 401 || r.Header().Get("HX-Redirect") == "" {
				t.Fatalf("%d %v", r.Code, r.Header())
			}
		})
		t.Run("forged session cookie", func(t *testing.T) {
			b := a.browser()
			b.cookies["fivec_session"] = "forged"
			expect(t, b.get("/console/members"), 303)
			if _, ok := b.cookies["fivec_session"]; ok {
				t.Fatal("bad cookie not cleared")
			}
		})
		t.Run("agent cannot post staff", func(t *testing.T) {
			r := agent.submit("/console/members", "/console/staff", url.Values{"username": {"x1"}, "password": {password}, "role": {"admin"}})
			expect(t, r, 403)
		})
		t.Run("security headers", func(t *testing.T) {
			r := admin.get("/console/members")
			if r.Header().Get("X-Frame-Options") != "DENY" || r.Header().Get("Content-Security-Policy") == "" || r.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("headers %v", r.Header())
			}
		})
		t.Run("static", func(t *testing.T) {
			expect(t, anon.get("/console/static/style.css"), 200, ".phone")
			expect(t, anon.get("/console/static/htmx.min.js"), 200, "htmx")
			expect(t, anon.get("/console/static/"), 404)
			expect(t, anon.get("/console/static/../templates.go"), 404)
		})
	})
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := newApp(t, s, true)
		a.staff("ann", models.RoleAdmin)
		b := a.browser().login("ann")
		tok := b.csrf("/console/tokens")
		tests := []struct {
			name   string
			form   url.Values
			header map[string]string
			status int
		}{
			{"missing", url.Values{"name": {"t1"}}, nil, 403},
			{"wrong", url.Values{"name": {"t2"}, "csrf_token": {"x" + tok}}, nil, 403},
			{"other session's", url.Values{"name": {"t3"}, "csrf_token": {a.browser().login("ann").csrf("/console/tokens")}}, nil, 403},
			{"form field", url.Values{"name": {"t4"}, "csrf_token": {tok}}, nil, 201},
			{"htmx header", url.Values{"name": {"t5"}}, map[string]string{"X-CSRF-Token": tok}, 201},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				expect(t, b.do("POST", "/console/tokens", tt.form, tt.header), tt.status)
			})
		}
		for _, path := range []string{"/console/logout", "/console/lang", "/console/staff", "/console/staff/1/disable", "/console/simulator/text"} {
			if r := b.post(path, url.Values{"lang": {"en"}, "openid": {"o1"}, "text": {"hi"}}); r.Code != 403 {
				t.Errorf("POST %s without token: %d", path, r.Code)
			}
		}
		tokens, _ := s.ListAPITokens(context.Background(), 1)
		if len(tokens) != 2 {
			t.Fatalf("tokens created: %d, want 2", len(tokens))
		}
	})
}

// TestCommonPasswordRefusedInConsole: an admin who gives a new account
// 12345678, or resets one to password, gets the reason in Chinese and
// nothing changes.
func TestCommonPasswordRefusedInConsole(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := newApp(t, s, false)
		a.staff("ann", models.RoleAdmin)
		alex := a.staff("alex", models.RoleAgent)
		b := a.browser().login("ann")
		r := b.submit("/console/staff", "/console/staff", url.Values{"username": {"bob"}, "password": {"12345678"}, "role": {"agent"}})
		expect(t, r, 400, "密码太常见或太容易猜到")
		r = b.submit("/console/staff", "/console/staff", url.Values{"username": {"bob"}, "password": {"bob-violet-harbour"}, "role": {"agent"}})
		expect(t, r, 400, "密码不能包含用户名")
		r = b.submit("/console/staff", fmt.Sprintf("/console/staff/%d/password", alex.ID), url.Values{"password": {"password"}})
		expect(t, r, 400, "密码太常见或太容易猜到")
		if n, _ := s.CountStaff(context.Background()); n != 2 {
			t.Fatalf("staff %d, want 2", n)
		}
		expect(t, a.browser().tryLogin("alex", "password"), 401)
	})
}
