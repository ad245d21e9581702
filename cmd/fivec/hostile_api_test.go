package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// raw sends body as is, authenticated as w.
func (c *crawler) raw(method, path, contentType string, body string, w who) *httptest.ResponseRecorder {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.78:40000"
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return c.serve(req, w)
}

// TestHostileAPIAndConsoleInput: malformed, oversized and injected input
// to the API and the console by a logged-in admin is refused with a 4xx
// that says what is wrong without internals, and stores nothing; SQL in a
// search is a search for that text; a reflected search is escaped.
func TestHostileAPIAndConsoleInput(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c := newCrawler(t, driver)
			ctx := context.Background()
			for _, id := range []string{"o_a", "o_b"} {
				if _, err := c.a.sandbox.fake.Follow(ctx, sandboxAppID, id, ""); err != nil {
					t.Fatal(err)
				}
			}
			api := who{role: models.RoleAdmin, bearer: c.tokens[models.RoleAdmin]}
			cookie, csrf := c.session(models.RoleAdmin)
			con := who{role: models.RoleAdmin, cookie: cookie, csrf: csrf}
			const js = "application/json"
			before, err := c.a.store.RowCounts(ctx, "staff_sessions")
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name, method, path, ctype, body string
				w                               who
				code                            int
			}{
				{"malformed JSON", "POST", "/api/v1/rules", js, `{"name": "x", "kind":`, api, 400},
				{"JSON array instead of object", "POST", "/api/v1/rules", js, `[1,2,3]`, api, 400},
				{"two JSON objects", "POST", "/api/v1/rules", js, `{"name":"a"}{"name":"b"}`, api, 400},
				{"unknown field (mass assignment)", "POST", "/api/v1/staff", js, `{"username":"eve","password":"long-enough-pw","role":"agent","id":1,"is_admin":true}`, api, 400},
				{"JSON body over 64 KiB", "POST", "/api/v1/rules", js, `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, api, 400},
				{"deeply nested JSON", "POST", "/api/v1/rules", js, strings.Repeat("[", 50000) + strings.Repeat("]", 50000), api, 400},
				{"empty body", "POST", "/api/v1/rules", js, ``, api, 400},
				{"not JSON", "POST", "/api/v1/staff", "text/plain", `username=eve`, api, 400},
				{"role that does not exist", "POST", "/api/v1/staff", js, `{"username":"eve","password":"long-enough-pw","role":"root"}`, api, 400},
				{"negative limit", "GET", "/api/v1/members?limit=-5", "", ``, api, 400},
				{"huge offset", "GET", "/api/v1/members?offset=99999999999999999999", "", ``, api, 400},
				{"non-numeric id", "DELETE", "/api/v1/tokens/1%20OR%201=1", "", ``, api, 404},
				{"YAML alias bomb import", "POST", "/api/v1/rules/import", "application/yaml", yamlBomb, api, 400},
				{"rule regex that does not compile", "POST", "/api/v1/rules", js, `{"name":"r","kind":"keyword","keywords":[{"text":"(","match":"regex"}],"replies":[{"kind":"text","text":"x"}]}`, api, 400},
				{"reply template that calls functions", "POST", "/api/v1/canned", js, `{"code":"x","text":"{{printf \"%v\" .}}{{template \"x\"}}"}`, api, 400},
				{"console form over the limit", "POST", "/console/lang", "application/x-www-form-urlencoded", "lang=" + strings.Repeat("x", 11<<20), con, 413},
				{"upload over the limit", "POST", "/console/rules/import", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.yaml\"\r\n\r\n" + strings.Repeat("x", 12<<20) + "\r\n--b--\r\n", con, 413},
				{"login form over 16 KiB, not logged in", "POST", "/console/login", "application/x-www-form-urlencoded", "username=" + strings.Repeat("a", 1<<20), who{}, 413},
				{"login multipart upload, not logged in", "POST", "/console/login", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n" + strings.Repeat("x", 40<<20) + "\r\n--b--\r\n", who{}, 413},
			} {
				rec := c.raw(tc.method, tc.path, tc.ctype, tc.body, tc.w)
				c.check(tc.name, rec, func(s int) bool { return s == tc.code }, strconv.Itoa(tc.code))
				if strings.HasPrefix(tc.path, "/api/") && rec.Code >= 400 {
					var e struct {
						Error struct{ Code, Message string } `json:"error"`
					}
					if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Message == "" {
						t.Errorf("%s: refusal is not a JSON error with a message: %.200q", tc.name, rec.Body.String())
					}
				}
			}
			after, err := c.a.store.RowCounts(ctx, "staff_sessions")
			if err != nil {
				t.Fatal(err)
			}
			if changed := models.RowCountChanges(before, after); len(changed) > 0 {
				t.Errorf("refused input stored something: %v", changed)
			}

			// SQL in a search is text to look for: it finds nobody, while
			// a plain search finds its member.
			for q, want := range map[string]int{"o_a": 1, "%27%20OR%20%271%27%3D%271": 0, "%25": 0, "o_%25": 0} {
				rec := c.raw("GET", "/api/v1/members?q="+q, "", "", api)
				var list struct {
					Total *int `json:"total"`
				}
				if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &list) != nil || list.Total == nil || *list.Total != want {
					t.Errorf("search %s: %d %s, want 200 with %d", q, rec.Code, rec.Body.String(), want)
				}
			}
			// A search term is shown back escaped.
			rec := c.raw("GET", "/console/members?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "", "", con)
			if rec.Code != 200 || strings.Contains(rec.Body.String(), "<script>alert(1)</script>") {
				t.Errorf("console search reflects markup: %d", rec.Code)
			}
		})
	}
}

const yamlBomb = `a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
rules: []
`
