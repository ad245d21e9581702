package fan_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/handlers/fan"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// profileEnv is the real router with the fan pages, a member and a link
// issued now.
type profileEnv struct {
	store  *models.Store
	router http.Handler
	member *models.Member
	token  string
	clock  *modelstest.Clock
}

func newProfileEnv(t *testing.T, s *models.Store, openID string) *profileEnv {
	t.Helper()
	ctx := context.Background()
	clk := modelstest.NewClock(time.Now())
	s.Now = clk.Now
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := &handlers.Server{Store: s, Callback: &callback.Handler{}, Metrics: metrics.New(), Log: log, Fan: &fan.Handler{Store: s, Log: log}}
	_, m, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "p-" + openID, OpenID: openID, MsgType: "text"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.ProfileLink(ctx, m.ID, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &profileEnv{store: s, router: srv.Router(), member: m, token: tok, clock: clk}
}

func (e *profileEnv) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	return rec
}

func (e *profileEnv) get(path string) *httptest.ResponseRecorder {
	return e.do(httptest.NewRequest("GET", path, nil))
}

// TestProfileTokenCaseVariantRefused: the link's token is matched exactly.
// On MariaDB the plain-text column's collation made "AbC" find "abc", so a
// link with its letters' case changed still opened the member's profile
// (and a guess had 2^k fewer tries to make); now only the token's SHA-256 is
// stored and looked up, and no case variant opens anything.
func TestProfileTokenCaseVariantRefused(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newProfileEnv(t, s, "o_case")
		if rec := e.get("/profile/" + e.token); rec.Code != 200 {
			t.Fatalf("the link itself: %d", rec.Code)
		}
		variants := 0
		for i, r := range e.token {
			if !unicode.IsLetter(r) {
				continue
			}
			flipped := []rune(e.token)
			if unicode.IsUpper(r) {
				flipped[i] = unicode.ToLower(r)
			} else {
				flipped[i] = unicode.ToUpper(r)
			}
			variants++
			if rec := e.get("/profile/" + string(flipped)); rec.Code != 404 {
				t.Fatalf("case variant %q of %q: %d", string(flipped), e.token, rec.Code)
			}
		}
		if rec := e.get("/profile/" + strings.ToUpper(e.token)); rec.Code != 404 {
			t.Fatalf("upper-cased token: %d", rec.Code)
		}
		if variants == 0 {
			t.Fatal("the token has no letters to vary")
		}
		// Asking for the link again replaces it: the old one stops working.
		tok2, err := s.ProfileLink(context.Background(), e.member.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if rec := e.get("/profile/" + e.token); rec.Code != 404 {
			t.Fatalf("the replaced link: %d", rec.Code)
		}
		if rec := e.get("/profile/" + tok2); rec.Code != 200 {
			t.Fatalf("the new link: %d", rec.Code)
		}
	})
}

// TestProfileTokenExpires: a link works for its life (30 days here) and
// then shows a Chinese page saying how to get a new one (send 资料 again),
// for showing and for saving, and stores nothing.
func TestProfileTokenExpires(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newProfileEnv(t, s, "o_expiry")
		e.clock.Add(30*24*time.Hour - time.Minute)
		if rec := e.get("/profile/" + e.token); rec.Code != 200 {
			t.Fatalf("a day before expiry: %d", rec.Code)
		}
		e.clock.Add(time.Minute)
		rec := e.get("/profile/" + e.token)
		if rec.Code != http.StatusGone || !strings.Contains(rec.Body.String(), "链接已过期") || !strings.Contains(rec.Body.String(), "发送“资料”获取新的链接") ||
			strings.Contains(rec.Body.String(), "<form") {
			t.Fatalf("expired: %d %s", rec.Code, rec.Body.String())
		}
		form := url.Values{"name": {"小王"}, "consent": {"yes"}}
		req := httptest.NewRequest("POST", "/profile/"+e.token, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if rec := e.do(req); rec.Code != http.StatusGone {
			t.Fatalf("saving through an expired link: %d", rec.Code)
		}
		if p, _ := s.Profile(context.Background(), e.member.ID); p != nil {
			t.Fatal("a profile was saved through an expired link")
		}
	})
}

// endless is a body of n bytes that counts how much of it was read.
type endless struct{ left, read atomic.Int64 }

func (b *endless) Read(p []byte) (int, error) {
	if b.left.Load() <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), b.left.Load())
	for i := range p[:n] {
		p[i] = 'a'
	}
	b.left.Add(-n)
	b.read.Add(n)
	return int(n), nil
}

// TestProfileBodyLimit: posts over 1 MiB are refused with 413 before they
// are read (ten 80 MiB posts grew the process from 68 MB to 1.5 GB); with
// no Content-Length (chunked) reading stops at the limit.
func TestProfileBodyLimit(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newProfileEnv(t, s, "o_body")
		before, err := s.RowCounts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, chunked := range []bool{false, true} {
			body := &endless{}
			body.left.Store(80 << 20)
			req := httptest.NewRequest("POST", "/profile/"+e.token, body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.ContentLength = 80 << 20
			if chunked {
				req.ContentLength = -1
			}
			rec := e.do(req)
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("chunked=%v: %d %s", chunked, rec.Code, rec.Body.String())
			}
			if n := body.read.Load(); n > fan.MaxBody+64<<10 {
				t.Fatalf("chunked=%v: %d bytes read", chunked, n)
			}
		}
		after, err := s.RowCounts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range before {
			if after[k] != v {
				t.Fatalf("%s: %d rows, then %d", k, v, after[k])
			}
		}
		// A form of ordinary size still saves.
		form := url.Values{"name": {"小王"}, "consent": {"yes"}, "interests": {strings.Repeat("x", 200)}}
		req := httptest.NewRequest("POST", "/profile/"+e.token, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if rec := e.do(req); rec.Code != 200 {
			t.Fatalf("a normal form: %d", rec.Code)
		}
	})
}

// TestProfileSecurityHeaders: the profile page (every answer: form, error,
// unknown link, expired link) and its stylesheet carry the console's
// security headers, so it cannot be framed, sniffed or run inline script.
func TestProfileSecurityHeaders(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newProfileEnv(t, s, "o_headers")
		want := map[string]string{
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
			"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
		}
		post := httptest.NewRequest("POST", "/profile/"+e.token, strings.NewReader("phone=abc"))
		post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		pages := map[string]*httptest.ResponseRecorder{
			"form":       e.get("/profile/" + e.token),
			"stylesheet": e.get("/fan/profile.css"),
			"invalid":    e.do(post),
			"unknown":    e.get("/profile/nope"),
		}
		e.clock.Add(31 * 24 * time.Hour)
		pages["expired"] = e.get("/profile/" + e.token)
		for name, rec := range pages {
			for h, v := range want {
				if got := rec.Header().Get(h); got != v {
					t.Errorf("%s (%d): %s = %q, want %q", name, rec.Code, h, got, v)
				}
			}
		}
		if b := pages["form"].Body.String(); strings.Contains(b, "<style") || strings.Contains(b, "style=") || !strings.Contains(b, `href="/fan/profile.css"`) {
			t.Fatal("the page has inline styles, which its policy blocks")
		}
		if rec := pages["stylesheet"]; rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") || !strings.Contains(rec.Body.String(), ".consent") {
			t.Fatalf("stylesheet: %d %q", rec.Code, rec.Header().Get("Content-Type"))
		}
	})
}
