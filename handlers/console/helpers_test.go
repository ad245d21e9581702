package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
)

const password = "correct-horse"

// app is the real router over a real store, with a fake simulator and a
// clock the test moves.
type app struct {
	t      *testing.T
	store  *models.Store
	sim    *fakeSim
	router http.Handler

	mu  sync.Mutex
	now time.Time
}

func (a *app) clock() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.now
}

func (a *app) advance(d time.Duration) {
	a.mu.Lock()
	a.now = a.now.Add(d)
	a.mu.Unlock()
}

// newApp builds the router; configure, when given, adjusts the console
// before its routes are registered.
func newApp(t *testing.T, s *models.Store, sandbox bool, configure ...func(*app, *console.Handler)) *app {
	t.Helper()
	a := &app{t: t, store: s, now: time.Now()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	con := &console.Handler{Store: s, Log: log, Now: a.clock}
	for _, f := range configure {
		f(a, con)
	}
	if sandbox {
		a.sim = newFakeSim()
		con.Sim = a.sim
	}
	srv := &handlers.Server{Store: s, Console: con, API: &api.Handler{Store: s, Log: log},
		Metrics: metrics.New(), Log: log, Callback: &callback.Handler{}}
	a.router = srv.Router()
	return a
}

// staff creates an account with the test password.
func (a *app) staff(username, role string) *models.Staff {
	a.t.Helper()
	st, err := a.store.CreateStaff(context.Background(), models.NewStaff{Username: username, Password: password, Role: role})
	if err != nil {
		a.t.Fatal(err)
	}
	return st
}

// browser keeps cookies between requests, like a browser would.
type browser struct {
	a       *app
	cookies map[string]string
	ip      string
}

func (a *app) browser() *browser {
	return &browser{a: a, cookies: map[string]string{}, ip: "192.0.2.10"}
}

type resp struct {
	*httptest.ResponseRecorder
}

func (r resp) body() string { return r.Body.String() }

func (b *browser) do(method, path string, form url.Values, header map[string]string) resp {
	b.a.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr = b.ip + ":40000"
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	b.a.router.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp{w}
}

func (b *browser) get(path string) resp { return b.do("GET", path, nil, nil) }

// post submits form as it is (tests add the CSRF token themselves).
func (b *browser) post(path string, form url.Values) resp {
	return b.do("POST", path, form, nil)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf reads the CSRF token from a page.
func (b *browser) csrf(path string) string {
	b.a.t.Helper()
	r := b.get(path)
	m := csrfField.FindStringSubmatch(r.body())
	if m == nil {
		b.a.t.Fatalf("no CSRF token on %s (%d): %s", path, r.Code, r.body())
	}
	return m[1]
}

// tryLogin submits the login form with a fresh login CSRF token.
func (b *browser) tryLogin(username, pw string) resp {
	tok := b.csrf("/console/login")
	return b.post("/console/login", url.Values{"csrf_token": {tok}, "username": {username}, "password": {pw}})
}

// login logs in and fails the test unless it worked.
func (b *browser) login(username string) *browser {
	b.a.t.Helper()
	if r := b.tryLogin(username, password); r.Code != http.StatusSeeOther {
		b.a.t.Fatalf("login %s: %d %s", username, r.Code, r.body())
	}
	return b
}

// submit posts form (plus the session's CSRF token, read from page).
func (b *browser) submit(page, path string, form url.Values) resp {
	b.a.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", b.csrf(page))
	return b.post(path, form)
}

func expect(t *testing.T, r resp, status int, contains ...string) {
	t.Helper()
	if r.Code != status {
		t.Fatalf("status %d, want %d; body:\n%s", r.Code, status, r.body())
	}
	for _, s := range contains {
		if !strings.Contains(r.body(), s) {
			t.Fatalf("body lacks %q:\n%s", s, r.body())
		}
	}
}

// fakeSim is an in-memory Simulator: a follow gets a welcome, a text is
// echoed, a click answers with its key.
type fakeSim struct {
	mu    sync.Mutex
	order []string
	fans  map[string]bool
	inbox map[string][]console.SimMessage
}

func newFakeSim() *fakeSim {
	return &fakeSim{fans: map[string]bool{}, inbox: map[string][]console.SimMessage{}}
}

func (f *fakeSim) add(openID string, fromFan bool, text, source string) {
	if _, ok := f.fans[openID]; !ok {
		f.order = append(f.order, openID)
		f.fans[openID] = false
	}
	f.inbox[openID] = append(f.inbox[openID], console.SimMessage{At: time.Now(), FromFan: fromFan, Kind: "text", Text: text, Source: source})
}

func (f *fakeSim) Follow(_ context.Context, openID, scene string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.add(openID, false, "欢迎关注 "+scene, "passive")
	f.fans[openID] = true
	return nil
}

func (f *fakeSim) Unfollow(_ context.Context, openID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fans[openID] = false
	return nil
}

func (f *fakeSim) SendText(_ context.Context, openID, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.add(openID, true, text, "fan")
	f.add(openID, false, "收到："+text, "passive")
	return nil
}

func (f *fakeSim) Click(_ context.Context, openID, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.add(openID, false, "菜单 "+key, "custom")
	return nil
}

func (f *fakeSim) Inbox(openID string) []console.SimMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]console.SimMessage(nil), f.inbox[openID]...)
}

func (f *fakeSim) Fans() []console.SimFan {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []console.SimFan
	for _, id := range f.order {
		out = append(out, console.SimFan{OpenID: id, Subscribed: f.fans[id]})
	}
	return out
}
