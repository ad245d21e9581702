// Package faketest runs a test package against one fake WeChat API. The
// SDK's API base is process-global, so every test binary that talks to
// WeChat installs one fake in TestMain and keeps its tests apart by giving
// each its own AppID.
package faketest

import (
	"net/http/httptest"
	"os"
	"testing"

	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// Main starts a fake WeChat API with opts, stores it in *platform, installs
// it as the SDK's API base, runs the package's tests and exits with their
// status. Call it from TestMain.
func Main(m *testing.M, opts fake.Options, platform **fake.Server) {
	p := fake.New(opts)
	srv := httptest.NewServer(p)
	wechat.Install(srv.URL, metrics.New())
	*platform = p
	code := m.Run()
	srv.Close()
	p.Close()
	os.Exit(code)
}

// Client registers a fresh account (a random AppID) on p and returns a
// client for it, so tests do not share a menu, tags or quotas.
func Client(p *fake.Server) *wechat.Client {
	acct := wechat.Account{AppID: "wx" + models.RandomToken(8), AppSecret: "secret", Token: "token"}
	p.AddAccount(fake.Account{AppID: acct.AppID, AppSecret: acct.AppSecret, Token: acct.Token})
	return wechat.NewClient(acct, wechat.NewMemoryCache(nil))
}
