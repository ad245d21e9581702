package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// deskEnv is the API with Close Service, its callback reachable by one
// account of the fake platform.
type deskEnv struct {
	*env
	acct fake.Account
}

func newDeskEnv(t *testing.T, s *models.Store) *deskEnv {
	t.Helper()
	appID := "wxapi" + models.RandomToken(8)
	acct := fake.Account{AppID: appID, AppSecret: "secret", Token: "tok"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	wx := wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "secret", Token: "tok"}, wechat.NewMemoryCache(nil))
	sender := &wechat.Sender{Store: s, WX: wx, Log: log}
	svc := &roles.Service{Store: s, Sender: sender, Log: log, Keywords: []string{"人工"}, Policy: models.PolicyLeastLoaded,
		AskSatisfaction: true, Texts: roles.DefaultServiceTexts, Window: models.DefaultWindowRules}
	cb := &callback.Handler{Store: s, WX: wx, Sender: sender, Deadline: 3 * time.Second, Log: log, Metrics: metrics.New(),
		Pipeline: &roles.Pipeline{Roles: []roles.Role{svc}, Log: log}}
	srv := &handlers.Server{Store: s, Callback: cb, API: &api.Handler{Store: s, Log: log, Service: svc, WX: wx},
		Metrics: metrics.New(), Log: log}
	e := &deskEnv{env: &env{t: t, store: s, router: srv.Router()}}
	hs := httptest.NewServer(e.router)
	t.Cleanup(func() { cb.Wait(); hs.Close() })
	acct.CallbackURL = hs.URL + "/wechat"
	e.acct = acct
	platform.AddAccount(acct)
	return e
}

// ask is a new fan asking for a person; it returns the conversation id.
func (e *deskEnv) ask(openID string) uint64 {
	e.t.Helper()
	ctx := context.Background()
	if err := platform.SeedFan(e.acct.AppID, fake.Fan{OpenID: openID, Subscribed: true}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := platform.SendText(ctx, e.acct.AppID, openID, "人工"); err != nil {
		e.t.Fatal(err)
	}
	m, err := e.store.FindMemberByOpenID(ctx, openID)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.store.OpenConversation(ctx, m.ID)
	if err != nil || c == nil {
		e.t.Fatalf("no conversation: %v", err)
	}
	return c.ID
}

func (e *deskEnv) phone(openID string) string {
	var b strings.Builder
	for _, d := range platform.Inbox(e.acct.AppID, openID) {
		if d.Direction == fake.DirOut {
			b.WriteString(d.Text + "\n")
		}
	}
	return b.String()
}

func TestConversationsAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newDeskEnv(t, s)
		ann, bob, mia := e.token("ann", models.RoleAgent), e.token("bob", models.RoleAgent), e.token("mia", models.RoleMarketer)
		root := e.token("root", models.RoleAdmin)
		var bobID uint64
		all, _ := s.ListStaff(context.Background())
		for _, st := range all {
			if st.Username == "bob" {
				bobID = st.ID
			}
		}
		cid := e.ask("oApiFan")
		c := fmt.Sprintf("/api/v1/conversations/%d", cid)
		e.run(t, []check{
			{name: "marketer may not list", token: mia, method: "GET", path: "/api/v1/conversations", status: 403, code: "forbidden"},
			{name: "marketer may not read canned", token: mia, method: "GET", path: "/api/v1/canned", status: 403, code: "forbidden"},
			{name: "marketer may not set status", token: mia, method: "PUT", path: "/api/v1/agent/status", body: `{"online":true}`, status: 403, code: "forbidden"},
			{name: "waiting list", token: ann, method: "GET", path: "/api/v1/conversations?state=waiting", status: 200, contains: `"openid":"oApiFan"`},
			{name: "bad state", token: ann, method: "GET", path: "/api/v1/conversations?state=x", status: 400, code: "invalid"},
			{name: "bad limit", token: ann, method: "GET", path: "/api/v1/conversations?limit=0", status: 400, code: "invalid"},
			{name: "detail", token: ann, method: "GET", path: c, status: 200, contains: `"window":{"open":true`},
			{name: "detail has the history", token: ann, method: "GET", path: c, status: 200, contains: `"content":"人工"`},
			{name: "unknown", token: ann, method: "GET", path: "/api/v1/conversations/99999", status: 404, code: "not_found"},
			{name: "reply before claiming", token: ann, method: "POST", path: c + "/reply", body: `{"text":"hi"}`, status: 409, code: "conflict", contains: "claim"},
			{name: "claim", token: ann, method: "POST", path: c + "/claim", status: 200, contains: `"state":"assigned"`},
			{name: "claim again is harmless", token: ann, method: "POST", path: c + "/claim", status: 200},
			{name: "someone else's", token: bob, method: "POST", path: c + "/claim", status: 409, code: "conflict", contains: "another agent"},
			{name: "mine", token: ann, method: "GET", path: "/api/v1/conversations?mine=true", status: 200, contains: "oApiFan"},
			{name: "not bob's", token: bob, method: "GET", path: "/api/v1/conversations?mine=true", status: 200, contains: `"items":[]`},
			{name: "reply", token: ann, method: "POST", path: c + "/reply", body: `{"kind":"text","text":"您好，请讲"}`, status: 204},
			{name: "image needs media", token: ann, method: "POST", path: c + "/reply", body: `{"kind":"image"}`, status: 400, code: "invalid"},
			{name: "unknown kind", token: ann, method: "POST", path: c + "/reply", body: `{"kind":"news"}`, status: 400, code: "invalid"},
			{name: "unknown field", token: ann, method: "POST", path: c + "/reply", body: `{"txt":"x"}`, status: 400, code: "invalid"},
			{name: "note", token: ann, method: "POST", path: c + "/notes", body: `{"text":"VIP"}`, status: 201, contains: `"username":"ann"`},
			{name: "empty note", token: ann, method: "POST", path: c + "/notes", body: `{"text":""}`, status: 400, code: "invalid"},
			{name: "notes", token: bob, method: "GET", path: c + "/notes", status: 200, contains: `"text":"VIP"`},
			{name: "bob may not transfer", token: bob, method: "POST", path: c + "/transfer", body: `{"to_agent_id":1}`, status: 409, code: "conflict"},
			{name: "bob may not resolve", token: bob, method: "POST", path: c + "/resolve", status: 409, code: "conflict"},
			{name: "transfer to nobody", token: ann, method: "POST", path: c + "/transfer", body: `{"to_agent_id":99999}`, status: 404, code: "not_found"},
			{name: "transfer", token: ann, method: "POST", path: c + "/transfer", body: fmt.Sprintf(`{"to_agent_id":%d,"note":"退款"}`, bobID), status: 200, contains: fmt.Sprintf(`"agent_id":%d`, bobID)},
			{name: "transfer note", token: bob, method: "GET", path: c + "/notes", status: 200, contains: "转接给 bob：退款"},
			{name: "resolve", token: bob, method: "POST", path: c + "/resolve", status: 200, contains: `"state":"resolved"`},
			{name: "resolve twice", token: bob, method: "POST", path: c + "/resolve", status: 409, code: "conflict"},
			{name: "resolved list", token: root, method: "GET", path: "/api/v1/conversations?state=resolved", status: 200, contains: "oApiFan"},
			{name: "pick up", token: root, method: "POST", path: "/api/v1/conversations", body: `{"openid":"oApiFan"}`, status: 201, contains: `"reason":"staff"`},
			{name: "pick up someone unknown", token: root, method: "POST", path: "/api/v1/conversations", body: `{"openid":"oNobody"}`, status: 404, code: "not_found"},
			{name: "taken", token: ann, method: "POST", path: "/api/v1/conversations", body: `{"openid":"oApiFan"}`, status: 409, code: "conflict"},
		})
		phone := e.phone("oApiFan")
		if !strings.Contains(phone, "您好，请讲") || !strings.Contains(phone, "请为本次服务打分") {
			t.Fatalf("the fan's phone:\n%s", phone)
		}
	})
}

func TestConversationsAPIClaimRace(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newDeskEnv(t, s)
		cid := e.ask("oApiRace")
		const n = 16
		tokens := make([]string, n)
		for i := range tokens {
			tokens[i] = e.token(fmt.Sprintf("agent%d", i), models.RoleAgent)
		}
		codes := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				codes[i] = e.call(tokens[i], "POST", fmt.Sprintf("/api/v1/conversations/%d/claim", cid), "").status
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for _, c := range codes {
			if c == 200 {
				won++
			} else if c != 409 {
				t.Fatalf("codes %v", codes)
			}
		}
		if won != 1 {
			t.Fatalf("%d winners: %v", won, codes)
		}
	})
}

func TestCannedAndStatusAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newDeskEnv(t, s)
		ann, bob := e.token("ann", models.RoleAgent), e.token("bob", models.RoleAgent)
		cid := e.ask("oApiCanned")
		e.run(t, []check{
			{name: "create", token: ann, method: "POST", path: "/api/v1/canned", body: `{"code":"hi","text":"{{or .Name \"朋友\"}}您好，我是{{.Agent}}，积分{{.Points}}","shared":true}`, status: 201, contains: `"shared":true`},
			{name: "bad template", token: ann, method: "POST", path: "/api/v1/canned", body: `{"code":"x","text":"{{.Secret}}"}`, status: 400, code: "invalid"},
			{name: "duplicate", token: bob, method: "POST", path: "/api/v1/canned", body: `{"code":"hi","text":"x","shared":true}`, status: 409, code: "conflict"},
			{name: "rendered", token: ann, method: "GET", path: fmt.Sprintf("/api/v1/canned?q=h&conversation_id=%d", cid), status: 200, contains: `"rendered":"朋友您好，我是ann，积分0"`},
			{name: "bad conversation", token: ann, method: "GET", path: "/api/v1/canned?conversation_id=x", status: 400, code: "invalid"},
		})
		// With a profile name the fan is addressed by it (models.FanName).
		m, err := s.FindMemberByOpenID(context.Background(), "oApiCanned")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveProfile(context.Background(), m.ID, models.ProfileInput{Name: "张三", Consent: true}); err != nil {
			t.Fatal(err)
		}
		e.run(t, []check{
			{name: "rendered with profile name", token: ann, method: "GET", path: fmt.Sprintf("/api/v1/canned?q=h&conversation_id=%d", cid), status: 200, contains: `"rendered":"张三您好，我是ann，积分0"`},
			{name: "bob may not delete", token: bob, method: "DELETE", path: "/api/v1/canned/1", status: 403, code: "forbidden"},
			{name: "ann deletes", token: ann, method: "DELETE", path: "/api/v1/canned/1", status: 204},
			{name: "gone", token: ann, method: "DELETE", path: "/api/v1/canned/1", status: 404, code: "not_found"},
			{name: "status", token: ann, method: "GET", path: "/api/v1/agent/status", status: 200, contains: `"online":false`},
			{name: "online required", token: ann, method: "PUT", path: "/api/v1/agent/status", body: `{"capacity":2}`, status: 400, code: "invalid"},
			{name: "bad capacity", token: ann, method: "PUT", path: "/api/v1/agent/status", body: `{"online":true,"capacity":101}`, status: 400, code: "invalid"},
			{name: "online", token: ann, method: "PUT", path: "/api/v1/agent/status", body: `{"online":true,"capacity":2}`, status: 200, contains: `"present":true`},
			{name: "assigned on going online", token: ann, method: "GET", path: "/api/v1/conversations?mine=true", status: 200, contains: "oApiCanned"},
		})
	})
}

// TestReplyRefusedByWeChat: when only the platform knows the window is
// closed, its errcode is the reason.
func TestReplyRefusedByWeChat(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		e := newDeskEnv(t, s)
		ann := e.token("ann", models.RoleAgent)
		if err := platform.SeedFan(e.acct.AppID, fake.Fan{OpenID: "oApiSilent", Subscribed: true}); err != nil {
			t.Fatal(err)
		}
		// fivec has a message the platform never delivered: it thinks the window open.
		if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "k1", OpenID: "oApiSilent", MsgType: "text", Content: "hi"}); err != nil {
			t.Fatal(err)
		}
		r := e.call(ann, "POST", "/api/v1/conversations", `{"openid":"oApiSilent"}`)
		var conv struct{ ID uint64 }
		r.decode(t, &conv)
		e.run(t, []check{
			{name: "45015", token: ann, method: "POST", path: fmt.Sprintf("/api/v1/conversations/%d/reply", conv.ID), body: `{"text":"您好"}`,
				status: 409, code: "conflict", contains: "errcode 45015"},
		})
	})
}
