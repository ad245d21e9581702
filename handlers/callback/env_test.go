package callback_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
	"github.com/fivec/fivec/wechat/fake/faketest"
)

// platform is the fake WeChat shared by every test in this package: the
// SDK's API host is process-global, so it is installed once (TestMain) and
// tests keep apart by using their own AppIDs.
var platform *fake.Server

func TestMain(m *testing.M) { faketest.Main(m, fake.Options{DisableJobEvents: true}, &platform) }

var appSeq atomic.Int64

// env is one account wired to a fresh store and the real router.
type env struct {
	t       *testing.T
	store   *models.Store
	acct    fake.Account
	handler *callback.Handler
	router  http.Handler
	srv     *httptest.Server
}

const testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

// newEnv builds an account (safe mode when aes) whose callbacks reach the
// real router backed by a store on driver; roles replace the default chain.
func newEnv(t *testing.T, s *models.Store, aes bool, chain ...roles.Role) *env {
	t.Helper()
	appID := "wxtest" + strconv.FormatInt(appSeq.Add(1), 10) + models.RandomToken(4)
	acct := fake.Account{AppID: appID, AppSecret: "secret-" + appID, Token: "tok" + appID, Verified: true}
	if aes {
		acct.EncodingAESKey = testAESKey
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	wx := wechat.NewClient(wechat.Account{AppID: acct.AppID, AppSecret: acct.AppSecret, Token: acct.Token, AESKey: acct.EncodingAESKey}, wechat.NewMemoryCache(nil))
	if len(chain) == 0 {
		chain = []roles.Role{&roles.Consulting{Store: s, Log: log, Loc: time.UTC, Now: time.Now, WelcomeText: "欢迎关注"}}
	}
	rec := models.NewRecorder(s, models.RecorderOptions{})
	h := &callback.Handler{
		Store: s, Recorder: rec, WX: wx, Sender: &wechat.Sender{Store: s, WX: wx, Log: log},
		Pipeline: &roles.Pipeline{Roles: chain, Log: log},
		Deadline: 3 * time.Second, Log: log, Metrics: metrics.New(),
	}
	rec.OnOrphan(h.Orphaned)
	srv := &handlers.Server{Store: s, Callback: h, Metrics: metrics.New(), Log: log}
	e := &env{t: t, store: s, acct: acct, handler: h, router: srv.Router()}
	e.srv = httptest.NewServer(e.router)
	t.Cleanup(func() { h.Wait(); e.srv.Close(); rec.Close() })
	acct.CallbackURL = e.srv.URL + "/wechat"
	e.acct = acct
	platform.AddAccount(acct)
	return e
}

// post sends msg signed as WeChat would and returns the recorder.
func (e *env) post(msg fake.CallbackMessage) (*httptest.ResponseRecorder, *fake.Reply) {
	e.t.Helper()
	if msg.CreateTime == 0 {
		msg.CreateTime = time.Now().Unix()
	}
	msg.ToUserName = "gh_test"
	q, body, err := fake.BuildCallback(e.acct, msg, strconv.FormatInt(time.Now().Unix(), 10), "nonce123")
	if err != nil {
		e.t.Fatal(err)
	}
	rec := e.raw(http.MethodPost, "/wechat?"+q.Encode(), body)
	var reply *fake.Reply
	if rec.Code == http.StatusOK {
		reply, err = fake.ParseReply(e.acct, q, rec.Body.Bytes())
		if err != nil {
			e.t.Fatalf("reply does not parse as WeChat would: %v (%q)", err, rec.Body.String())
		}
	}
	return rec, reply
}

func (e *env) raw(method, target string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	return rec
}

func (e *env) inbound() int64 {
	n, err := e.store.CountMessages(context.Background(), models.DirectionIn)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// forEachDB runs fn on SQLite and (when configured) MariaDB.
func forEachDB(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	modelstest.ForEachDB(t, fn)
}

// roleFunc adapts a function to roles.Role.
type roleFunc func(ctx context.Context, t *roles.Turn) error

func (roleFunc) Name() string                                      { return "test" }
func (f roleFunc) Handle(ctx context.Context, t *roles.Turn) error { return f(ctx, t) }

// follow makes openID follow the account on the platform (and so in fivec).
func (e *env) follow(openID string) {
	e.t.Helper()
	if _, err := platform.Follow(context.Background(), e.acct.AppID, openID, ""); err != nil {
		e.t.Fatal(err)
	}
}

// fuzzEnvs caches one env per mode for the fuzzer (building one per input
// would dominate its time).
var fuzzEnvs = map[bool]*env{}

func newEnvOnce(t *testing.T, s *models.Store, safe bool) *env {
	if e, ok := fuzzEnvs[safe]; ok {
		e.t = t
		return e
	}
	e := newEnv(t, s, safe)
	fuzzEnvs[safe] = e
	return e
}

func xmlUnmarshal(b []byte, v any) error { return xml.Unmarshal(b, v) }

// shanghai is the default account zone.
var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// newConsulting is a Consulting role on s with the tag actions (as in the
// roles package's tests).
func newConsulting(s *models.Store) *roles.Consulting {
	return &roles.Consulting{
		Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Loc: shanghai,
		Now: time.Now, WelcomeText: "默认欢迎", Actions: roles.TagActions(s),
	}
}

func mustSave(t *testing.T, c *roles.Consulting, spec models.RuleSpec) *models.Rule {
	t.Helper()
	r, _, err := c.SaveRule(context.Background(), 0, spec)
	if err != nil {
		t.Fatalf("save %s: %v", spec.Name, err)
	}
	return r
}

func kw(text, match string) []models.Keyword { return []models.Keyword{{Text: text, Match: match}} }
