package api_test

import (
	"net/http/httptest"
	"os"
	"testing"

	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// platform is the fake WeChat API every test in this package talks to. The
// SDK's API base is process-global, so it is installed once, here.
var platform *fake.Server

func TestMain(m *testing.M) {
	platform = fake.New(fake.Options{})
	srv := httptest.NewServer(platform)
	wechat.Install(srv.URL, metrics.New())
	code := m.Run()
	srv.Close()
	platform.Close()
	os.Exit(code)
}

// wxClient registers a fresh account on the fake platform and returns a
// client for it, so tests do not share a menu.
func wxClient() *wechat.Client {
	acct := wechat.Account{AppID: "wx" + models.RandomToken(8), AppSecret: "secret", Token: "token"}
	platform.AddAccount(fake.Account{AppID: acct.AppID, AppSecret: acct.AppSecret, Token: acct.Token})
	return wechat.NewClient(acct, wechat.NewMemoryCache(nil))
}
