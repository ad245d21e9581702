package main

import (
	"context"
	"encoding/json"
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
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

// TestWeChatFaultShowsInConsole: when WeChat refuses a send (errcode
// 45009, the daily quota), the agent is told at once and the member's page
// and the conversation show the failed message with its errcode; nothing
// is lost, and the next reply goes out once the fault clears.
func TestWeChatFaultShowsInConsole(t *testing.T) {
	c := newCrawler(t, "sqlite")
	ctx := context.Background()
	f := c.a.sandbox.fake
	if _, err := f.Follow(ctx, sandboxAppID, "o_fault", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SendText(ctx, sandboxAppID, "o_fault", "人工"); err != nil {
		t.Fatal(err)
	}
	m, err := c.a.store.FindMemberByOpenID(ctx, "o_fault")
	if err != nil {
		t.Fatal(err)
	}
	conv, err := c.a.store.OpenConversation(ctx, m.ID)
	if err != nil {
		t.Fatalf("no conversation after 人工: %v", err)
	}
	cookie, csrf := c.session(models.RoleAdmin)
	admin := who{role: models.RoleAdmin, cookie: cookie, csrf: csrf}
	id := itoa(conv.ID)
	if rec := c.do("POST", "/console/inbox/"+id+"/claim", admin); rec.Code >= 400 {
		t.Fatalf("claim: %d %s", rec.Code, rec.Body.String())
	}
	f.InjectFault("/cgi-bin/message/custom/send", fake.Fault{ErrCode: 45009, ErrMsg: "reach max api daily quota limit"})
	rec := c.doForm("POST", "/console/inbox/"+id+"/reply", admin, url.Values{"text": {"马上为您处理"}})
	if rec.Code != 409 || !strings.Contains(rec.Body.String(), "微信错误码 45009") {
		t.Fatalf("reply under the fault: %d, want 409 saying 微信错误码 45009: %s", rec.Code, rec.Body.String())
	}
	for _, path := range []string{"/console/members/o_fault", "/console/inbox/" + id} {
		body := c.do("GET", path, admin).Body.String()
		if !strings.Contains(body, "马上为您处理") || !strings.Contains(body, "微信错误码 45009") {
			t.Errorf("%s does not show the failed reply with its errcode", path)
		}
	}
	if rec := c.doForm("POST", "/console/inbox/"+id+"/reply", admin, url.Values{"text": {"已处理好了"}}); rec.Code >= 400 {
		t.Fatalf("reply after the fault: %d %s", rec.Code, rec.Body.String())
	}
	got := 0
	for _, d := range f.Inbox(sandboxAppID, "o_fault") {
		if d.Text == "已处理好了" {
			got++
		}
	}
	if got != 1 {
		t.Fatalf("the fan received the reply after the fault %d times, want 1", got)
	}
}
