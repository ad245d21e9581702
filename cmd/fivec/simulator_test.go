package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fivec/fivec/models/modelstest"
)

// TestSimulatorFollowOfFollowerAnswered500: following with a fan who
// already follows (and writing as one who does not) is something the fan
// cannot do on WeChat; the simulator answered it with a 500 "internal
// error". It is a 409 with a Chinese message saying what to do.
func TestSimulatorFollowOfFollowerAnswered500(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c := newCrawler(t, driver)
			cookie, csrf := c.session("admin")
			as := who{role: "admin", cookie: cookie, csrf: csrf}
			act := func(action string, form url.Values) (int, string) {
				t.Helper()
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "/console/simulator/"+action,
					strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				rec := c.serve(req, as)
				return rec.Code, rec.Body.String()
			}
			if code, body := act("follow", url.Values{"openid": {"o_twice"}}); code != http.StatusSeeOther {
				t.Fatalf("first follow: %d %s", code, body)
			}
			code, body := act("follow", url.Values{"openid": {"o_twice"}})
			if code != http.StatusConflict || !strings.Contains(body, "已经关注") {
				t.Errorf("second follow: %d, want 409 with a Chinese message; body:\n%s", code, body)
			}
			code, body = act("text", url.Values{"openid": {"o_never"}, "text": {"你好"}})
			if code != http.StatusConflict || !strings.Contains(body, "尚未关注") {
				t.Errorf("text from a fan who does not follow: %d; body:\n%s", code, body)
			}
		})
	}
}
