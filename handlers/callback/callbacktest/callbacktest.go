// Package callbacktest is the WeChat callback's test harness: one fake
// account wired to a fresh store and the real router, so a test drives the
// endpoint, and the roles behind it, as WeChat does. The callback's tests and
// the roles' tests share it. Only tests import it (cmd/fivec/house_test.go
// holds the rule for every *test package).
package callbacktest

import (
	"bytes"
	"context"
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
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// AESKey is the EncodingAESKey of safe-mode accounts.
const AESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

var appSeq atomic.Int64

// Env is one account wired to a fresh store and the real router.
type Env struct {
	T       *testing.T // reset it when an Env outlives its test (a fuzzer's cache)
	Store   *models.Store
	Acct    fake.Account
	Handler *callback.Handler
	Router  http.Handler
	Srv     *httptest.Server
	// platform is the package's fake WeChat (faketest.Main), where the
	// account lives.
	platform *fake.Server
}

// New builds an account on platform (safe mode when aes) whose callbacks
// reach the real router backed by s; chain replaces the default roles (a
// Consulting with the welcome text 欢迎关注). Everything stops when t ends.
func New(t *testing.T, platform *fake.Server, s *models.Store, aes bool, chain ...roles.Role) *Env {
	t.Helper()
	appID := "wxtest" + strconv.FormatInt(appSeq.Add(1), 10) + models.RandomToken(4)
	acct := fake.Account{AppID: appID, AppSecret: "secret-" + appID, Token: "tok" + appID, Verified: true}
	if aes {
		acct.EncodingAESKey = AESKey
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
	e := &Env{T: t, Store: s, Handler: h, Router: srv.Router(), platform: platform}
	e.Srv = httptest.NewServer(e.Router)
	t.Cleanup(func() { h.Wait(); e.Srv.Close(); rec.Close() })
	acct.CallbackURL = e.Srv.URL + "/wechat"
	e.Acct = acct
	platform.AddAccount(acct)
	return e
}

// Post sends msg signed (and encrypted in safe mode) as WeChat would and
// returns the recorder with the reply parsed as WeChat parses it (nil unless
// the status is 200).
func (e *Env) Post(msg fake.CallbackMessage) (*httptest.ResponseRecorder, *fake.Reply) {
	e.T.Helper()
	if msg.CreateTime == 0 {
		msg.CreateTime = time.Now().Unix()
	}
	msg.ToUserName = "gh_test"
	q, body, err := fake.BuildCallback(e.Acct, msg, strconv.FormatInt(time.Now().Unix(), 10), "nonce123")
	if err != nil {
		e.T.Fatal(err)
	}
	rec := e.Raw(http.MethodPost, "/wechat?"+q.Encode(), body)
	var reply *fake.Reply
	if rec.Code == http.StatusOK {
		reply, err = fake.ParseReply(e.Acct, q, rec.Body.Bytes())
		if err != nil {
			e.T.Fatalf("reply does not parse as WeChat would: %v (%q)", err, rec.Body.String())
		}
	}
	return rec, reply
}

// Raw sends a request to the router as it is (no signature added).
func (e *Env) Raw(method, target string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	rec := httptest.NewRecorder()
	e.Router.ServeHTTP(rec, req)
	return rec
}

// Inbound counts the inbound messages fivec has recorded.
func (e *Env) Inbound() int64 {
	n, err := e.Store.CountMessages(context.Background(), models.DirectionIn)
	if err != nil {
		e.T.Fatal(err)
	}
	return n
}

// Follow makes openID follow the account on the platform (and so in fivec).
func (e *Env) Follow(openID string) {
	e.T.Helper()
	if _, err := e.platform.Follow(context.Background(), e.Acct.AppID, openID, ""); err != nil {
		e.T.Fatal(err)
	}
}
