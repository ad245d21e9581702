package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

type env struct {
	t      *testing.T
	store  *models.Store
	router http.Handler
}

func newEnv(t *testing.T, s *models.Store) *env {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := &handlers.Server{Store: s, API: &api.Handler{Store: s, Log: log},
		Metrics: metrics.New(), Log: log, Callback: &callback.Handler{}}
	return &env{t: t, store: s, router: srv.Router()}
}

// token creates a staff member with role and returns a bearer token.
func (e *env) token(username, role string) string {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.store.CreateStaff(ctx, models.NewStaff{Username: username, Password: "correct-horse", Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	plain, _, err := e.store.CreateAPIToken(ctx, st.ID, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return plain
}

type result struct {
	status int
	header http.Header
	body   string
}

// decode unmarshals the body into v.
func (r result) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
}

// errorCode returns the code of a JSON error body ("" if it is not one).
func (r result) errorCode() string {
	var b struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal([]byte(r.body), &b)
	return b.Error.Code
}

func (e *env) call(token, method, path, body string) result {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = "192.0.2.20:5555"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	return result{w.Code, w.Header(), w.Body.String()}
}

type check struct {
	name, token, method, path, body string
	status                          int
	code                            string // error code for failures
	contains                        string
}

func (e *env) run(t *testing.T, checks []check) {
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(c.token, c.method, c.path, c.body)
			if r.status != c.status {
				t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, r.status, c.status, r.body)
			}
			if c.status >= 400 && r.errorCode() != c.code {
				t.Fatalf("error code %q, want %q: %s", r.errorCode(), c.code, r.body)
			}
			if !strings.Contains(r.body, c.contains) {
				t.Fatalf("body lacks %q: %s", c.contains, r.body)
			}
			if ct := r.header.Get("Content-Type"); r.status != 204 && !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
}

func TestAuthAndRoles(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		admin, agent, marketer := e.token("ann", "admin"), e.token("alex", "agent"), e.token("mia", "marketer")
		e.run(t, []check{
			{name: "no token", method: "GET", path: "/api/v1/me", status: 401, code: "unauthorized"},
			{name: "unknown token", token: "fvc_nope", method: "GET", path: "/api/v1/me", status: 401, code: "unauthorized"},
			{name: "me", token: agent, method: "GET", path: "/api/v1/me", status: 200, contains: `"username":"alex"`},
			{name: "agent members", token: agent, method: "GET", path: "/api/v1/members", status: 200},
			{name: "marketer members", token: marketer, method: "GET", path: "/api/v1/members", status: 200},
			{name: "agent staff", token: agent, method: "GET", path: "/api/v1/staff", status: 403, code: "forbidden"},
			{name: "marketer create staff", token: marketer, method: "POST", path: "/api/v1/staff", body: `{}`, status: 403, code: "forbidden"},
			{name: "agent audit", token: agent, method: "GET", path: "/api/v1/audit", status: 403, code: "forbidden"},
			{name: "admin staff", token: admin, method: "GET", path: "/api/v1/staff", status: 200, contains: `"username":"mia"`},
			{name: "admin audit", token: admin, method: "GET", path: "/api/v1/audit", status: 200},
		})
		r := e.call("", "GET", "/api/v1/me", "")
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("no challenge: %v", r.header)
		}
		if r.header.Get("Set-Cookie") != "" {
			t.Fatal("the API sets cookies")
		}
		// A disabled account's tokens stop working.
		yes := true
		if _, err := s.UpdateStaff(context.Background(), 2, models.StaffUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if r := e.call(agent, "GET", "/api/v1/me", ""); r.status != 401 {
			t.Fatalf("disabled: %d", r.status)
		}
	})
}

func TestStaffAdmin(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		admin := e.token("ann", "admin")
		e.run(t, []check{
			{name: "create", token: admin, method: "POST", path: "/api/v1/staff", status: 201,
				body: `{"username":"bob","display_name":"Bob","password":"long-enough-pw","role":"agent"}`, contains: `"role":"agent"`},
			{name: "duplicate", token: admin, method: "POST", path: "/api/v1/staff", status: 409, code: "conflict",
				body: `{"username":"bob","password":"long-enough-pw","role":"agent"}`},
			{name: "short password", token: admin, method: "POST", path: "/api/v1/staff", status: 400, code: "invalid",
				body: `{"username":"carl","password":"short","role":"agent"}`, contains: "at least 8"},
			{name: "common password", token: admin, method: "POST", path: "/api/v1/staff", status: 400, code: "invalid",
				body: `{"username":"carl","password":"12345678","role":"agent"}`, contains: "too common"},
			{name: "password with the username", token: admin, method: "POST", path: "/api/v1/staff", status: 400, code: "invalid",
				body: `{"username":"carl","password":"carl-violet-harbour","role":"agent"}`, contains: "username"},
			{name: "common password change", token: admin, method: "PATCH", path: "/api/v1/staff/2", status: 400, code: "invalid",
				body: `{"password":"password"}`, contains: "too common"},
			{name: "unknown field", token: admin, method: "POST", path: "/api/v1/staff", status: 400, code: "invalid",
				body: `{"username":"carl","password":"long-enough-pw","role":"agent","password_hash":"x"}`, contains: "unknown field"},
			{name: "not JSON", token: admin, method: "POST", path: "/api/v1/staff", status: 400, code: "invalid", body: `username=carl`},
			{name: "empty body", token: admin, method: "POST", path: "/api/v1/staff", status: 400, code: "invalid"},
			{name: "two objects", token: admin, method: "POST", path: "/api/v1/staff", status: 400, code: "invalid", body: `{} {}`},
			{name: "change role", token: admin, method: "PATCH", path: "/api/v1/staff/2", status: 200,
				body: `{"role":"marketer","disabled":true}`, contains: `"disabled":true`},
			{name: "bad role", token: admin, method: "PATCH", path: "/api/v1/staff/2", status: 400, code: "invalid", body: `{"role":"king"}`},
			{name: "missing", token: admin, method: "PATCH", path: "/api/v1/staff/999", status: 404, code: "not_found", body: `{"role":"agent"}`},
			{name: "malformed id", token: admin, method: "PATCH", path: "/api/v1/staff/x", status: 404, code: "not_found", body: `{}`},
			{name: "last admin", token: admin, method: "PATCH", path: "/api/v1/staff/1", status: 409, code: "conflict", body: `{"role":"agent"}`},
			{name: "password", token: admin, method: "PATCH", path: "/api/v1/staff/2", status: 200, body: `{"password":"another-secret"}`},
		})
		r := e.call(admin, "GET", "/api/v1/audit?limit=10", "")
		var page struct {
			Items []api.AuditEntry
			Total int64
		}
		r.decode(t, &page)
		var got []string
		for _, it := range page.Items {
			if it.Username != "ann" || it.IP != "192.0.2.20" {
				t.Fatalf("audit entry %+v", it)
			}
			if strings.Contains(it.Detail, "another-secret") {
				t.Fatal("password in the audit log")
			}
			got = append(got, it.Action+":"+it.Target)
		}
		if want := "staff.update:bob staff.update:bob staff.create:bob"; strings.Join(got, " ") != want || page.Total != 3 {
			t.Fatalf("audit %v (total %d), want %s", got, page.Total, want)
		}
	})
}

func TestMembersAndMessages(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		e := newEnv(t, s)
		tok := e.token("alex", "agent")
		for i := 0; i < 5; i++ {
			in := models.Inbound{DedupeKey: fmt.Sprint(i), OpenID: fmt.Sprintf("oApi%d", i), UnionID: "uX", MsgType: "text", Content: "hello"}
			if i == 4 {
				in.MsgType, in.Event, in.Unsubscribe = "event", "unsubscribe", true
			}
			msg, _, _, err := s.RecordInbound(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if err := s.FinishInbound(ctx, msg.ID, models.Answer{State: models.StateReplied, Replies: []models.Reply{models.TextReply("hi back")}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		err := s.LogOutbound(ctx, models.Outbound{OpenID: "oApi0", Channel: models.ChannelCustom,
			Reply: models.TextReply("follow-up"), ErrCode: 45015, Err: errors.New("response out of time limit")})
		if err != nil {
			t.Fatal(err)
		}
		e.run(t, []check{
			{name: "all", token: tok, method: "GET", path: "/api/v1/members", status: 200, contains: `"total":5`},
			{name: "search", token: tok, method: "GET", path: "/api/v1/members?q=Api3", status: 200, contains: `"total":1`},
			{name: "unfollowed", token: tok, method: "GET", path: "/api/v1/members?subscribed=false", status: 200, contains: `"openid":"oApi4"`},
			{name: "paging", token: tok, method: "GET", path: "/api/v1/members?limit=2&offset=4", status: 200, contains: `"limit":2,"offset":4`},
			{name: "bad limit", token: tok, method: "GET", path: "/api/v1/members?limit=0", status: 400, code: "invalid"},
			{name: "bad offset", token: tok, method: "GET", path: "/api/v1/members?offset=-1", status: 400, code: "invalid"},
			{name: "bad subscribed", token: tok, method: "GET", path: "/api/v1/members?subscribed=maybe", status: 400, code: "invalid"},
			{name: "one", token: tok, method: "GET", path: "/api/v1/members/oApi1", status: 200, contains: `"unionid":"uX"`},
			{name: "missing", token: tok, method: "GET", path: "/api/v1/members/oNope", status: 404, code: "not_found"},
			{name: "messages of missing", token: tok, method: "GET", path: "/api/v1/members/oNope/messages", status: 404, code: "not_found"},
			{name: "messages bad limit", token: tok, method: "GET", path: "/api/v1/members/oApi0/messages?limit=5000", status: 400, code: "invalid"},
		})
		var page api.Page[api.Member]
		e.call(tok, "GET", "/api/v1/members?limit=2", "").decode(t, &page)
		if len(page.Items) != 2 || page.Total != 5 {
			t.Fatalf("page %+v", page)
		}
		var conv api.List[api.Message]
		e.call(tok, "GET", "/api/v1/members/oApi0/messages", "").decode(t, &conv)
		if len(conv.Items) != 2 {
			t.Fatalf("conversation %+v", conv)
		}
		in, out := conv.Items[0], conv.Items[1]
		if in.Direction != "in" || in.Content != "hello" || in.State != "replied" || len(in.Replies) != 1 || in.Replies[0].Text != "hi back" {
			t.Fatalf("inbound %+v", in)
		}
		if out.Direction != "out" || out.Channel != "custom" || out.State != "failed" || out.ErrCode != 45015 || out.Replies[0].Text != "follow-up" {
			t.Fatalf("outbound %+v", out)
		}
	})
}

func TestTokens(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		alex, mia := e.token("alex", "agent"), e.token("mia", "marketer")
		r := e.call(alex, "POST", "/api/v1/tokens", `{"name":"ci"}`)
		var created api.Token
		r.decode(t, &created)
		if r.status != 201 || !strings.HasPrefix(created.Token, models.APITokenPrefix) {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		id := fmt.Sprint(created.ID)
		e.run(t, []check{
			{name: "new token works", token: created.Token, method: "GET", path: "/api/v1/me", status: 200, contains: "alex"},
			{name: "list hides secrets", token: alex, method: "GET", path: "/api/v1/tokens", status: 200, contains: `"name":"ci"`},
			{name: "empty name", token: alex, method: "POST", path: "/api/v1/tokens", body: `{"name":" "}`, status: 400, code: "invalid"},
			{name: "someone else's", token: mia, method: "DELETE", path: "/api/v1/tokens/" + id, status: 404, code: "not_found"},
			{name: "revoke", token: alex, method: "DELETE", path: "/api/v1/tokens/" + id, status: 204},
			{name: "revoked", token: created.Token, method: "GET", path: "/api/v1/me", status: 401, code: "unauthorized"},
			{name: "again", token: alex, method: "DELETE", path: "/api/v1/tokens/" + id, status: 404, code: "not_found"},
		})
		if list := e.call(alex, "GET", "/api/v1/tokens", ""); strings.Contains(list.body, "fvc_") {
			t.Fatalf("secret listed: %s", list.body)
		}
	})
}
