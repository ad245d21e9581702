package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

// The SDK's URI modifier is a package global: TestMain points
// https://api.weixin.qq.com once at apiURL, whose handler dispatches each
// request to the fake that owns its access_token, appid or ticket. Each test
// builds its own fake (own clock, own options) and registers its AppIDs, so
// tests run in parallel.
var (
	apiURL   string
	registry sync.Map // appID → *Server
)

func TestMain(m *testing.M) {
	ts := httptest.NewServer(http.HandlerFunc(dispatch))
	apiURL = ts.URL
	util.SetURIModifier(func(u string) string {
		return strings.Replace(u, "https://api.weixin.qq.com", apiURL, 1)
	})
	code := m.Run()
	ts.Close()
	os.Exit(code)
}

func dispatch(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	q := r.URL.Query()
	var owner *Server
	registry.Range(func(_, v any) bool {
		s := v.(*Server)
		s.mu.Lock()
		_, hasToken := s.tokens[q.Get("access_token")]
		_, hasTicket := s.tickets[q.Get("ticket")]
		_, hasPageToken := s.pageTokens[q.Get("access_token")]
		s.mu.Unlock()
		if hasToken || hasTicket || hasPageToken {
			owner = s
			return false
		}
		return true
	})
	if owner == nil {
		if v, ok := registry.Load(appIDHint(q, body)); ok {
			owner = v.(*Server)
		}
	}
	if owner == nil {
		http.Error(w, `{"errcode":40001,"errmsg":"no fake owns this request"}`, http.StatusOK)
		return
	}
	owner.ServeHTTP(w, r)
}

// clock is a settable, race-free clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newFake builds a fake on its own clock and registers the accounts.
func newFake(t *testing.T, opts Options, accts ...Account) (*Server, *clock) {
	t.Helper()
	clk := newClock()
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	s := New(opts)
	for _, a := range accts {
		if a.AppSecret == "" {
			a.AppSecret = "secret-" + a.AppID
		}
		if a.Token == "" {
			a.Token = "token-" + a.AppID
		}
		s.AddAccount(a)
		if _, loaded := registry.LoadOrStore(a.AppID, s); loaded {
			t.Fatalf("appid %s used by two tests", a.AppID)
		}
		id := a.AppID
		t.Cleanup(func() { registry.Delete(id) })
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, clk
}

// memCache is a race-free cache.Cache (the SDK's cache.Memory is not).
type memCache struct {
	mu sync.Mutex
	m  map[string]any
}

func (c *memCache) Get(k string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *memCache) Set(k string, v any, _ time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]any{}
	}
	c.m[k] = v
	return nil
}

func (c *memCache) IsExist(k string) bool { return c.Get(k) != nil }

func (c *memCache) Delete(k string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
	return nil
}

// sdk builds the real SDK client for an account of s.
func sdk(t *testing.T, s *Server, appID string) *officialaccount.OfficialAccount {
	t.Helper()
	a, ok := s.Account(appID)
	if !ok {
		t.Fatalf("no account %s", appID)
	}
	return officialaccount.NewOfficialAccount(&config.Config{AppID: a.AppID, AppSecret: a.AppSecret,
		Token: a.Token, EncodingAESKey: a.EncodingAESKey, Cache: &memCache{}})
}

// fetchToken fetches a fresh access_token over HTTP.
func fetchToken(t *testing.T, s *Server, appID string) string {
	t.Helper()
	a, _ := s.Account(appID)
	res := get(t, "/cgi-bin/token", url.Values{"grant_type": {"client_credential"},
		"appid": {appID}, "secret": {a.AppSecret}})
	tok, _ := res["access_token"].(string)
	if tok == "" {
		t.Fatalf("no token: %v", res)
	}
	return tok
}

func get(t *testing.T, path string, q url.Values) map[string]any {
	t.Helper()
	resp, err := http.Get(apiURL + path + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	return decodeBody(t, resp)
}

// post POSTs body (JSON-encoded unless a string) with the token.
func post(t *testing.T, path, tok string, body any) map[string]any {
	t.Helper()
	var b []byte
	if s, isStr := body.(string); isStr {
		b = []byte(s)
	} else {
		b, _ = json.Marshal(body)
	}
	resp, err := http.Post(apiURL+path+"?access_token="+url.QueryEscape(tok), "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return decodeBody(t, resp)
}

func decodeBody(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	var m map[string]any
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("HTTP %d: not JSON: %v", resp.StatusCode, err)
	}
	return m
}

// code returns the errcode of a decoded reply (0 when absent).
func code(m map[string]any) int {
	n, _ := m["errcode"].(json.Number)
	i, _ := n.Int64()
	return int(i)
}

func wantCode(t *testing.T, m map[string]any, want int) {
	t.Helper()
	if got := code(m); got != want {
		t.Fatalf("errcode %d, want %d (%v)", got, want, m)
	}
}

// wantErrCode checks an SDK error mentions errcode=want (the SDK formats
// errors as text).
func wantErrCode(t *testing.T, err error, want int) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want errcode %d", want)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("errcode=%d", want)) {
		t.Fatalf("error %q, want errcode %d", err, want)
	}
}

// callbackServer is an account's server built on the SDK's callback
// handling: it checks signatures (403 when they fail), decrypts in safe mode,
// records what arrived and replies with handle's answer.
type callbackServer struct {
	*httptest.Server
	mu       sync.Mutex
	received []*message.MixMessage
	rawQuery []string
	rawBody  []string
}

func newCallbackServer(t *testing.T, acct Account, handle func(*message.MixMessage) *message.Reply) *callbackServer {
	t.Helper()
	oa := officialaccount.NewOfficialAccount(&config.Config{AppID: acct.AppID, AppSecret: "x",
		Token: acct.Token, EncodingAESKey: acct.EncodingAESKey, Cache: &memCache{}})
	cs := &callbackServer{}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		srv := oa.GetServer(r, w)
		var noReply bool
		srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
			cs.mu.Lock()
			cs.received = append(cs.received, m)
			cs.rawQuery = append(cs.rawQuery, r.URL.RawQuery)
			cs.rawBody = append(cs.rawBody, string(body))
			cs.mu.Unlock()
			rep := handle(m)
			noReply = rep == nil
			return rep
		})
		if err := srv.Serve(); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		if noReply {
			if r.URL.Query().Get("encrypt_type") == "aes" {
				_, _ = io.WriteString(w, "success")
			}
			return
		}
		if err := srv.Send(); err != nil {
			t.Errorf("send reply: %v", err)
		}
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *callbackServer) messages() []*message.MixMessage {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]*message.MixMessage(nil), cs.received...)
}

// textReply answers every fan message with a text.
func textReply(text string) *message.Reply {
	return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(text)}
}

// outbox returns the fan's deliveries from one source.
func outbox(s *Server, appID, openID, source string) []Delivery {
	var out []Delivery
	for _, d := range s.Inbox(appID, openID) {
		if d.Source == source {
			out = append(out, d)
		}
	}
	return out
}
