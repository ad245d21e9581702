package main

import (
	"context"
	"encoding/json"
	"html"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestHostileTextIsStoredVerbatimAndShownEscaped: a fan's text with
// script, template and SQL syntax travels the signed safe-mode callback,
// is stored byte for byte, comes back verbatim from the API and is shown
// escaped (never as markup, never executed as a template) in the console.
func TestHostileTextIsStoredVerbatimAndShownEscaped(t *testing.T) {
	const payload = `<script>alert(1)</script> {{.}} {{template "layout" .}} ${7*7} '); DROP TABLE messages; --`
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c := newCrawler(t, driver)
			ctx := context.Background()
			f := c.a.sandbox.fake
			if _, err := f.Follow(ctx, sandboxAppID, "o_hostile", ""); err != nil {
				t.Fatal(err)
			}
			if _, err := f.SendText(ctx, sandboxAppID, "o_hostile", payload); err != nil {
				t.Fatal(err)
			}
			conv, err := c.a.store.Conversation(ctx, "o_hostile", 10)
			if err != nil || len(conv) == 0 {
				t.Fatalf("conversation: %v %v", conv, err)
			}
			stored := false
			for _, m := range conv {
				stored = stored || (m.Direction == models.DirectionIn && m.Content == payload)
			}
			if !stored {
				t.Fatalf("not stored verbatim: %+v", conv)
			}

			rec := c.do("GET", "/api/v1/members/o_hostile/messages", who{bearer: c.tokens[models.RoleAdmin]})
			if rec.Code != 200 {
				t.Fatalf("API messages: %d %s", rec.Code, rec.Body.String())
			}
			var out struct {
				Items []struct {
					Content string `json:"content"`
				} `json:"items"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatalf("API messages: %v: %s", err, rec.Body.String())
			}
			fromAPI := false
			for _, m := range out.Items {
				fromAPI = fromAPI || m.Content == payload
			}
			if !fromAPI {
				t.Errorf("API does not return the text verbatim: %s", rec.Body.String())
			}

			cookie, _ := c.session(models.RoleAdmin)
			for _, path := range []string{"/console/members/o_hostile", "/console/members?q=o_hostile"} {
				rec := c.do("GET", path, who{cookie: cookie})
				body := rec.Body.String()
				if rec.Code != 200 {
					t.Fatalf("%s: %d", path, rec.Code)
				}
				if strings.Contains(body, "<script>alert(1)</script>") {
					t.Errorf("%s shows the fan's script as markup", path)
				}
				if strings.Contains(path, "members/o_hostile") && !strings.Contains(body, html.EscapeString("<script>alert(1)</script>")) &&
					!strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
					t.Errorf("%s does not show the text escaped:\n%s", path, body)
				}
				if strings.Contains(path, "members/o_hostile") && (!strings.Contains(body, "{{.}}") || !strings.Contains(body, "${7*7}")) {
					t.Errorf("%s does not show the template syntax as typed (was it executed?)", path)
				}
			}
		})
	}
}
