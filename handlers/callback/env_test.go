package callback_test

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"testing"
	"time"

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

// env is the callback harness shared with roles/ (callbacktest.Env).
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

// roleFunc adapts a function to roles.Role.
type roleFunc func(ctx context.Context, t *roles.Turn) error

func (roleFunc) Name() string                                      { return "test" }
func (f roleFunc) Handle(ctx context.Context, t *roles.Turn) error { return f(ctx, t) }

// fuzzEnvs caches one env per mode for the fuzzer (building one per input
// would dominate its time).
var fuzzEnvs = map[bool]*env{}

func newEnvOnce(t *testing.T, s *models.Store, safe bool) *env {
	if e, ok := fuzzEnvs[safe]; ok {
		e.T = t
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
