package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
)

var loginCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// tryLogin posts the login form to a's router as a connection from
// remote with the given extra headers, and returns the status.
func tryLogin(t *testing.T, a *app, remote string, header map[string]string, user, pw string) int {
	t.Helper()
	get := httptest.NewRequest("GET", "/console/login", nil)
	get.RemoteAddr = remote + ":50000"
	w := httptest.NewRecorder()
	a.router.ServeHTTP(w, get)
	m := loginCSRF.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no login CSRF token: %d", w.Code)
	}
	form := url.Values{"csrf_token": {m[1]}, "username": {user}, "password": {pw}}
	req := httptest.NewRequest("POST", "/console/login", strings.NewReader(form.Encode()))
	req.RemoteAddr = remote + ":50000"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	for _, c := range w.Result().Cookies() {
		req.AddCookie(c)
	}
	w = httptest.NewRecorder()
	a.router.ServeHTTP(w, req)
	return w.Code
}

// lastAuditIP is the client IP of the newest audit entry.
func lastAuditIP(t *testing.T, s *models.Store) string {
	t.Helper()
	entries, _, err := s.ListAudit(context.Background(), 1, 0)
	if err != nil || len(entries) == 0 {
		t.Fatalf("audit: %v", err)
	}
	return entries[0].IP
}

// TestSpoofedForwardedForIgnored: a client that sends X-Forwarded-For or
// X-Real-IP itself is known by its connection's address (so it cannot
// dodge per-IP limits or forge the audit log); only the proxy listed in
// FIVEC_TRUSTED_PROXIES may name the client.
func TestSpoofedForwardedForIgnored(t *testing.T) {
	a, _ := startApp(t, map[string]string{"FIVEC_TRUSTED_PROXIES": "10.9.0.0/16"})
	for _, h := range []string{"X-Forwarded-For", "X-Real-IP"} {
		if code := tryLogin(t, a, "203.0.113.5", map[string]string{h: "198.51.100.77"}, "admin", "wrong-password-1"); code != http.StatusUnauthorized {
			t.Fatalf("%s: %d", h, code)
		}
		if ip := lastAuditIP(t, a.store); ip != "203.0.113.5" {
			t.Fatalf("spoofed %s believed: audit IP %s", h, ip)
		}
	}
	if code := tryLogin(t, a, "10.9.0.3", map[string]string{"X-Forwarded-For": "198.51.100.77"}, "admin", "wrong-password-1"); code != http.StatusUnauthorized {
		t.Fatalf("through the proxy: %d", code)
	}
	if ip := lastAuditIP(t, a.store); ip != "198.51.100.77" {
		t.Fatalf("trusted proxy's X-Forwarded-For ignored: audit IP %s", ip)
	}

	// Behind the proxy, one client guessing made-up names uses up its own
	// address's guesses, not those of everyone behind the proxy.
	for i := 0; i < models.DefaultLoginPolicy.PerIP; i++ {
		tryLogin(t, a, "10.9.0.3", map[string]string{"X-Forwarded-For": "198.51.100.77"}, "made-up-"+strconv.Itoa(i), "wrong-password-1")
	}
	if code := tryLogin(t, a, "10.9.0.3", map[string]string{"X-Forwarded-For": "198.51.100.77"}, "admin", "violet-harbour-42"); code != http.StatusTooManyRequests {
		t.Fatalf("the guessing client: %d, want 429", code)
	}
	if code := tryLogin(t, a, "10.9.0.3", map[string]string{"X-Forwarded-For": "192.0.2.8"}, "admin", "violet-harbour-42"); code != http.StatusSeeOther {
		t.Fatalf("admin behind the same proxy: %d, want 303", code)
	}
}
