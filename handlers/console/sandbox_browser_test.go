package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// sandbox is the sandbox server as cmd/fivec wires it, for the browser
// tests: one account on the package's fake platform whose callbacks reach
// the real router (callback, console with the simulator, API) over a SQLite
// store.
type sandbox struct {
	t     *testing.T
	store *models.Store
	log   *slog.Logger
	loc   *time.Location // the account zone (Asia/Shanghai)
	appID string
	acct  fake.Account // change it (e.g. Verified) before serve
	wx    *wechat.Client
}

// newSandbox opens the store and the account's WeChat client; prefix starts
// the AppID. Nothing serves until serve.
func newSandbox(t *testing.T, prefix string) *sandbox {
	t.Helper()
	appID := prefix + models.RandomToken(6)
	acct := fake.Account{AppID: appID, AppSecret: "secret-" + appID, Token: "tok" + appID}
	return &sandbox{
		t: t, store: modelstest.MustOpen(t, "sqlite"), log: slog.New(slog.NewTextHandler(io.Discard, nil)), loc: web.DefaultLoc(),
		appID: appID, acct: acct,
		wx: wechat.NewClient(wechat.Account{AppID: acct.AppID, AppSecret: acct.AppSecret, Token: acct.Token}, wechat.NewMemoryCache(nil)),
	}
}

// serve starts the server with con (its Store, Log, Loc, WX and a
// simulator of the account filled in where unset) and chain as the
// callback's roles, registers the account with the platform and returns
// the server; it stops when the test ends.
func (sb *sandbox) serve(con *console.Handler, chain ...roles.Role) *httptest.Server {
	sb.t.Helper()
	s, log := sb.store, sb.log
	if con.Store == nil {
		con.Store = s
	}
	if con.Log == nil {
		con.Log = log
	}
	if con.Loc == nil {
		con.Loc = sb.loc
	}
	if con.WX == nil {
		con.WX = sb.wx
	}
	if con.Sim == nil {
		con.Sim = platformSim{sb.appID}
	}
	cb := &callback.Handler{Store: s, WX: sb.wx, Sender: &wechat.Sender{Store: s, WX: sb.wx, Log: log}, Deadline: 3 * time.Second, Log: log,
		Metrics: metrics.New(), Pipeline: &roles.Pipeline{Roles: chain, Log: log}}
	srv := &handlers.Server{Store: s, Callback: cb, Console: con, API: &api.Handler{Store: s, Log: log}, Metrics: metrics.New(), Log: log}
	ts := httptest.NewServer(srv.Router())
	sb.t.Cleanup(func() { cb.Wait(); ts.Close() })
	sb.acct.CallbackURL = ts.URL + "/wechat"
	platform.AddAccount(sb.acct)
	return ts
}

// staff creates a console account with the package's test password.
func (sb *sandbox) staff(username, role string) {
	sb.t.Helper()
	if _, err := sb.store.CreateStaff(context.Background(), models.NewStaff{Username: username, Password: password, Role: role}); err != nil {
		sb.t.Fatal(err)
	}
}
