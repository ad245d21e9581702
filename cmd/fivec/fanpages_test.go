package main

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/fan"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

// fanBrowser is a browser on the fully wired router (sandbox mode): it
// keeps cookies by path as a browser does and follows redirects, the
// fake WeChat's authorisation page included.
type fanBrowser struct {
	t      *testing.T
	router http.Handler
	jar    *cookiejar.Jar
	ua     string
	// visited are the addresses the last open went through.
	visited []string
}

const fanSite = "http://fivec.test"

func newFanBrowser(t *testing.T, router http.Handler) *fanBrowser {
	jar, _ := cookiejar.New(nil)
	return &fanBrowser{t: t, router: router, jar: jar, ua: "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50"}
}

// phone makes the browser the phone of openID, as the simulator does.
func (b *fanBrowser) phone(openID string) {
	b.t.Helper()
	rec := b.do(http.MethodGet, handlers.SandboxAPIPrefix+"/connect/oauth2/phone?openid="+openID+"&next=/healthz", nil)
	if rec.Code != http.StatusFound {
		b.t.Fatalf("phone: %d %s", rec.Code, rec.Body)
	}
}

// do sends one request with the jar's cookies and keeps the answer's.
func (b *fanBrowser) do(method, target string, form url.Values) *httptest.ResponseRecorder {
	u, err := url.Parse(fanSite)
	if err != nil {
		b.t.Fatal(err)
	}
	u, _ = u.Parse(target)
	u.Fragment = "" // browsers never send it
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, u.String(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, u.String(), nil)
	}
	req.Header.Set("User-Agent", b.ua)
	for _, c := range b.jar.Cookies(u) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.router.ServeHTTP(rec, req)
	b.jar.SetCookies(u, rec.Result().Cookies())
	return rec
}

// open requests target and follows redirects (a POST turns into a GET
// after one, as browsers do).
func (b *fanBrowser) open(method, target string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	b.visited = nil
	for range 10 {
		b.visited = append(b.visited, target)
		rec := b.do(method, target, form)
		if rec.Code != http.StatusFound && rec.Code != http.StatusSeeOther {
			return rec
		}
		base, _ := url.Parse(fanSite + target)
		if strings.HasPrefix(target, "http") {
			base, _ = url.Parse(target)
		}
		next, err := base.Parse(rec.Header().Get("Location"))
		if err != nil {
			b.t.Fatalf("redirect from %s: %v", target, err)
		}
		target, method, form = next.String(), http.MethodGet, nil
	}
	b.t.Fatalf("too many redirects: %v", b.visited)
	return nil
}

// fanEnv is a sandbox app with one fan who follows.
func fanEnv(t *testing.T, driver, openID string) (*crawler, *models.Member) {
	t.Helper()
	c := newCrawler(t, driver)
	if _, err := c.a.sandbox.fake.Follow(context.Background(), sandboxAppID, openID, ""); err != nil {
		t.Fatal(err)
	}
	m, err := c.a.store.FindMemberByOpenID(context.Background(), openID)
	if err != nil {
		t.Fatal(err)
	}
	return c, m
}

// signInStep walks one authorisation step by step: the page sends the
// fan to WeChat, WeChat sends the fan back, the return signs the fan in.
// It returns the return address and the session's Set-Cookie header.
func (b *fanBrowser) signInStep(scope string) (ret, setCookie string) {
	b.t.Helper()
	path := fan.MemberPath
	if scope != "" {
		path += "?scope=" + scope
	}
	start := b.do(http.MethodGet, path, nil)
	if start.Code != http.StatusFound || !strings.Contains(start.Header().Get("Location"), "/connect/oauth2/authorize?") {
		b.t.Fatalf("start: %d %s", start.Code, start.Header())
	}
	auth := b.do(http.MethodGet, start.Header().Get("Location"), nil)
	ret = auth.Header().Get("Location")
	if auth.Code != http.StatusFound || !strings.Contains(ret, "/fan/oauth?") || !strings.Contains(ret, "code=") {
		b.t.Fatalf("authorize: %d %s\n%s", auth.Code, auth.Header(), auth.Body)
	}
	back := b.do(http.MethodGet, ret, nil)
	if back.Code != http.StatusSeeOther || back.Header().Get("Location") != fan.MemberPath {
		b.t.Fatalf("return: %d %s\n%s", back.Code, back.Header(), back.Body)
	}
	for _, h := range back.Result().Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, fan.SessionCookie+"=") {
			setCookie = h
		}
	}
	return ret, setCookie
}

// TestFanOAuthRoundTrip: a fan opens the member centre inside WeChat; WeChat
// (the fake) authorises silently with snsapi_base and the page shows the
// fan's points with their reasons in Chinese. Asking for the nickname goes
// through WeChat's consent page. The session cookie is scoped to /fan/,
// HttpOnly and SameSite=Lax.
func TestFanOAuthRoundTrip(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c, m := fanEnv(t, driver, "o_fan_round")
			ctx := context.Background()
			if _, _, err := c.a.store.Earn(ctx, m.ID, 30, models.SourceWelcome, models.SystemReason(models.ReasonWelcome, "海报"), "welcome:test", nil); err != nil {
				t.Fatal(err)
			}
			b := newFanBrowser(t, c.router)
			b.phone("o_fan_round")
			ret, set := b.signInStep("")
			if !strings.Contains(ret, "state=") {
				t.Errorf("no state came back: %s", ret)
			}
			for _, want := range []string{"Path=/fan/", "HttpOnly", "SameSite=Lax"} {
				if !strings.Contains(set, want) {
					t.Errorf("session cookie %q lacks %s", set, want)
				}
			}
			rec := b.do(http.MethodGet, fan.MemberPath, nil)
			body := rec.Body.String()
			if rec.Code != 200 || !strings.Contains(body, `id="balance">30<`) || !strings.Contains(body, "海报") ||
				strings.Contains(body, "sys:") || !strings.Contains(body, "关注者") {
				t.Fatalf("member centre: %d\n%s", rec.Code, body)
			}

			// The nickname: WeChat asks first.
			rec = b.open(http.MethodGet, fan.MemberPath+"?scope=userinfo", nil)
			consent := b.visited[len(b.visited)-1]
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "允许") || !strings.Contains(consent, "scope=snsapi_userinfo") {
				t.Fatalf("consent page: %d %v\n%s", rec.Code, b.visited, rec.Body)
			}
			rec = b.open(http.MethodPost, consent, url.Values{"decision": {"allow"}})
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), fake.NicknameOf("o_fan_round")) {
				t.Fatalf("after consent: %d %v\n%s", rec.Code, b.visited, rec.Body)
			}
			// Saying no leaves the member centre usable.
			b2 := newFanBrowser(t, c.router)
			b2.phone("o_fan_round")
			b2.open(http.MethodGet, fan.MemberPath+"?scope=userinfo", nil)
			rec = b2.open(http.MethodPost, b2.visited[len(b2.visited)-1], url.Values{"decision": {"deny"}})
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "您没有授权") {
				t.Fatalf("after refusing: %d %v\n%s", rec.Code, b2.visited, rec.Body)
			}
		})
	}
}

// TestFanForgedOrReplayedAuthorisation: a state fivec never made, a state
// started in another browser, a return replayed, and a used code with a
// fresh state are each refused with a Chinese page that says what to do;
// none signs anyone in.
func TestFanForgedOrReplayedAuthorisation(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c, _ := fanEnv(t, driver, "o_fan_forge")
			b := newFanBrowser(t, c.router)
			b.phone("o_fan_forge")
			refused := func(what string, rec *httptest.ResponseRecorder, status int, text string) {
				t.Helper()
				if rec.Code != status || !strings.Contains(rec.Body.String(), text) || !strings.Contains(rec.Body.String(), "重新") {
					t.Errorf("%s: %d, want %d with %q\n%s", what, rec.Code, status, text, rec.Body)
				}
				for _, h := range rec.Result().Header.Values("Set-Cookie") {
					if strings.HasPrefix(h, fan.SessionCookie+"=") {
						t.Errorf("%s signed the fan in: %s", what, h)
					}
				}
			}
			refused("forged state", b.do(http.MethodGet, "/fan/oauth?code=abc&state=forged-state", nil), http.StatusForbidden, "登录链接无效")
			refused("no state", b.do(http.MethodGet, "/fan/oauth?code=abc", nil), http.StatusBadRequest, "登录链接无效")

			// A return made for this browser, opened in another (a forged
			// login link sent to a victim).
			start := b.do(http.MethodGet, fan.MemberPath, nil)
			auth := b.do(http.MethodGet, start.Header().Get("Location"), nil)
			other := newFanBrowser(t, c.router)
			refused("another browser", other.do(http.MethodGet, auth.Header().Get("Location"), nil), http.StatusForbidden, "登录链接无效")

			// The real return works once; replayed, it is refused.
			ret, _ := b.signInStep("")
			refused("replayed return", b.do(http.MethodGet, ret, nil), http.StatusConflict, "已使用")

			// A used code with a fresh state: WeChat refuses the code.
			u, _ := url.Parse(ret)
			start = b.do(http.MethodGet, fan.MemberPath+"?scope=userinfo", nil)
			st, _ := url.Parse(start.Header().Get("Location"))
			replay := "/fan/oauth?code=" + u.Query().Get("code") + "&state=" + st.Query().Get("state")
			refused("replayed code", b.do(http.MethodGet, replay, nil), http.StatusBadRequest, "授权已失效")
		})
	}
}

// TestFanPageOutsideWeChat: opened in an ordinary browser with no session,
// the member centre says to open it in WeChat; it is not an error.
func TestFanPageOutsideWeChat(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c, _ := fanEnv(t, driver, "o_fan_out")
			b := newFanBrowser(t, c.router)
			b.ua = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"
			rec := b.do(http.MethodGet, fan.MemberPath, nil)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "请在微信中打开") {
				t.Fatalf("outside WeChat: %d %s\n%s", rec.Code, rec.Header(), rec.Body)
			}
			rec = b.do(http.MethodPost, fan.MemberPath+"/signin", url.Values{"csrf": {"x"}})
			if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "重新打开会员中心") {
				t.Fatalf("sign-in without a session: %d\n%s", rec.Code, rec.Body)
			}
		})
	}
}

// TestFanSessionRefusedByConsoleAndAPI: the fan's session cookie, sent to
// the console or the API (under its own name or a staff cookie's), opens
// nothing there.
func TestFanSessionRefusedByConsoleAndAPI(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c, _ := fanEnv(t, driver, "o_fan_cross")
			b := newFanBrowser(t, c.router)
			b.phone("o_fan_cross")
			_, set := b.signInStep("")
			value := strings.TrimPrefix(strings.SplitN(set, ";", 2)[0], fan.SessionCookie+"=")
			for _, name := range []string{fan.SessionCookie, "fivec_session"} {
				for _, path := range []string{"/console/", "/console/members", "/api/v1/members"} {
					req := httptest.NewRequest(http.MethodGet, path, nil)
					req.AddCookie(&http.Cookie{Name: name, Value: value})
					req.Header.Set("Authorization", "Bearer "+value)
					rec := httptest.NewRecorder()
					c.router.ServeHTTP(rec, req)
					api := strings.HasPrefix(path, "/api/")
					if api && rec.Code != http.StatusUnauthorized || !api && (rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/console/login")) {
						t.Errorf("%s with the fan session as %s: %d %s", path, name, rec.Code, rec.Header().Get("Location"))
					}
				}
			}
			if got := b.jar.Cookies(mustURL(fanSite + "/console/")); hasCookie(got, fan.SessionCookie) {
				t.Error("a browser would send the fan session cookie to the console")
			}
		})
	}
}

// TestFanSignInSharesChatKey: signing in on the page and replying "签到"
// the same day credit the points once, in either order, through the same
// ledger key; the member's log shows the entry and the level change.
func TestFanSignInSharesChatKey(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c, m := fanEnv(t, driver, "o_fan_sign")
			ctx := context.Background()
			b := newFanBrowser(t, c.router)
			b.phone("o_fan_sign")
			b.signInStep("")
			page := b.do(http.MethodGet, fan.MemberPath, nil).Body.String()
			csrf := between(page, `name="csrf" value="`, `"`)
			if csrf == "" {
				t.Fatalf("no sign-in form:\n%s", page)
			}
			rec := b.do(http.MethodPost, fan.MemberPath+"/signin", url.Values{"csrf": {"forged"}})
			if rec.Code != http.StatusForbidden {
				t.Errorf("a forged form token: %d", rec.Code)
			}
			rec = b.do(http.MethodPost, fan.MemberPath+"/signin", url.Values{"csrf": {csrf}})
			if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, "签到成功") || !strings.Contains(body, `id="streak">1<`) ||
				!strings.Contains(body, "今日已签到") || !strings.Contains(body, `class="day signed today"`) {
				t.Fatalf("page sign-in: %d\n%s", rec.Code, body)
			}
			d, err := c.a.sandbox.fake.SendText(ctx, sandboxAppID, "o_fan_sign", "签到")
			if err != nil || d == nil || !strings.Contains(d.Text, "今天已经签到过啦") {
				t.Fatalf("chat sign-in after the page: %+v %v", d, err)
			}
			rec = b.do(http.MethodPost, fan.MemberPath+"/signin", url.Values{"csrf": {csrf}})
			if !strings.Contains(rec.Body.String(), "今天已经签到过啦") {
				t.Errorf("second page sign-in:\n%s", rec.Body)
			}
			hist, err := c.a.store.PointsHistory(ctx, m.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 1 || hist[0].Delta != 10 || hist[0].Source != models.SourceSignIn {
				t.Fatalf("ledger after three sign-ins on one day: %+v", hist)
			}

			// The other order: chat first, then the page.
			if _, err := c.a.sandbox.fake.Follow(ctx, sandboxAppID, "o_fan_sign2", ""); err != nil {
				t.Fatal(err)
			}
			m2, err := c.a.store.FindMemberByOpenID(ctx, "o_fan_sign2")
			if err != nil {
				t.Fatal(err)
			}
			if d, err := c.a.sandbox.fake.SendText(ctx, sandboxAppID, "o_fan_sign2", "签到"); err != nil || !strings.Contains(d.Text, "签到成功") {
				t.Fatalf("chat sign-in: %+v %v", d, err)
			}
			b2 := newFanBrowser(t, c.router)
			b2.phone("o_fan_sign2")
			b2.signInStep("")
			page = b2.do(http.MethodGet, fan.MemberPath, nil).Body.String()
			if !strings.Contains(page, "今日已签到") || !strings.Contains(page, "签到 ") {
				t.Errorf("the page after a chat sign-in:\n%s", page)
			}
			if hist, _ := c.a.store.PointsHistory(ctx, m2.ID, 10); len(hist) != 1 {
				t.Errorf("ledger: %+v", hist)
			}

			// The member's log in the console.
			cookie, _ := c.session("admin")
			req := httptest.NewRequest(http.MethodGet, "/console/members/o_fan_sign", nil)
			con := c.serve(req, who{cookie: cookie})
			if con.Code != 200 || !strings.Contains(con.Body.String(), "签到 ") {
				t.Errorf("console member page: %d\n%.2000s", con.Code, con.Body)
			}
		})
	}
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func hasCookie(cs []*http.Cookie, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}
