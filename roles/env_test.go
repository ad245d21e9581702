package roles_test

import (
	"testing"

	"github.com/fivec/fivec/handlers/callback/callbacktest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
	"github.com/fivec/fivec/wechat/fake/faketest"
)

// platform is the fake WeChat shared by every test in this package: the
// SDK's API host is process-global, so it is installed once (TestMain) and
// tests keep apart by using their own AppIDs.
var platform *fake.Server

func TestMain(m *testing.M) { faketest.Main(m, fake.Options{DisableJobEvents: true}, &platform) }

// env is the callback harness (callbacktest.Env): the roles' tests drive
// them as WeChat does, through the callback endpoint. Only tests import
// handlers/.
type env = callbacktest.Env

// newEnv builds an account (safe mode when aes) whose callbacks reach the
// real router backed by s; roles replace the default chain.
func newEnv(t *testing.T, s *models.Store, aes bool, chain ...roles.Role) *env {
	t.Helper()
	return callbacktest.New(t, platform, s, aes, chain...)
}

// forEachDB runs fn on SQLite and (when configured) MariaDB.
func forEachDB(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	modelstest.ForEachDB(t, fn)
}
