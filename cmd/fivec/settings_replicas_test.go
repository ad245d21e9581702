package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/cmd/fivec/fivectest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/settings"
	"github.com/fivec/fivec/wechat/fake"
)

// TestSettingsChangeReachesTheOtherProcess runs two real fivec processes
// on one database (MariaDB when FIVEC_TEST_MYSQL_DSN is set, and one
// SQLite file). An admin changes the welcome text through process 0's
// API; process 1 greets new followers with it within the documented delay
// (settings.ReloadEvery, docs/settings.md), without a restart.
func TestSettingsChangeReachesTheOtherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fivec and starts it twice; skipped with -short")
	}
	bin := buildOnce(t)
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) { testSettingsReplicas(t, bin, driver) })
	}
}

func testSettingsReplicas(t *testing.T, bin, driver string) {
	driverName, dsn := modelstest.DSN(t, driver) // skips without MariaDB
	platform := fake.New(fake.Options{DisableJobEvents: true})
	api := httptest.NewServer(platform)
	t.Cleanup(func() { api.Close(); platform.Close() })
	acct := fake.Account{AppID: "wxsettings" + models.RandomToken(6), AppSecret: "settings-secret", Token: "settings-token"}
	platform.AddAccount(acct)
	acct, _ = platform.Account(acct.AppID)
	o := fivectest.Options{Bin: bin, Dir: t.TempDir(), Acct: acct, APIBase: api.URL,
		Env: []string{"FIVEC_TIMEZONE=UTC", "FIVEC_WELCOME_TEXT=环境变量里的欢迎语"}}
	if driver == "mysql" {
		o.MySQLDSN = dsn
	} else {
		o.SQLitePath = dsn
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := &replicas{t: t, platform: platform, acct: acct}
	for i := range r.procs {
		o.Name = fmt.Sprintf("settings-%s-%d", driver, i)
		p, err := fivectest.Start(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := p.Stop(); err != nil {
				t.Errorf("stop %s: %v\n%s", o.Name, err, fivectest.Tail(p.LogPath, 2000))
			}
		})
		r.procs[i] = p
	}
	store, err := models.Open(ctx, driverName, dsn, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	admin, err := store.Authenticate(ctx, "admin", fivectest.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	bearer, _, err := store.CreateAPIToken(ctx, admin.ID, "settings test")
	if err != nil {
		t.Fatal(err)
	}
	fans := 0
	follow := func(proc int) string {
		fans++
		return r.post(ctx, proc, fake.CallbackMessage{ToUserName: acct.OriginalID, FromUserName: fmt.Sprintf("o_settings_%d", fans),
			CreateTime: time.Now().Unix(), MsgType: "event", Event: "subscribe"})
	}
	for proc := range r.procs {
		if got := follow(proc); got != "环境变量里的欢迎语" {
			t.Fatalf("process %d greets with %q before the change", proc, got)
		}
	}

	req, _ := http.NewRequestWithContext(ctx, "PUT", r.procs[0].URL+"/api/v1/settings",
		strings.NewReader(`{"values":{"welcome_text":"{{.Name}}，欢迎！这是控制台里改的欢迎语"}}`))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT settings on process 0: %d %s", resp.StatusCode, body)
	}
	saved := time.Now()
	const want = "朋友，欢迎！这是控制台里改的欢迎语"
	if got := follow(0); got != want {
		t.Fatalf("process 0 (where it was saved) greets with %q", got)
	}
	// The documented delay, plus a second for the poll's own query and
	// the callback round trip.
	limit := settings.ReloadEvery + time.Second
	for {
		got := follow(1)
		if got == want {
			t.Logf("%s: process 1 used the new welcome %s after the save", driver, time.Since(saved).Round(10*time.Millisecond))
			break
		}
		if time.Since(saved) > limit {
			t.Fatalf("process 1 still greets with %q %s after the save (documented: within %s)", got, time.Since(saved), settings.ReloadEvery)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Back to the environment's text everywhere.
	req, _ = http.NewRequestWithContext(ctx, "PUT", r.procs[1].URL+"/api/v1/settings", strings.NewReader(`{"reset":["welcome_text"]}`))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(limit)
	for follow(0) != "环境变量里的欢迎语" {
		if time.Now().After(deadline) {
			t.Fatalf("process 0 did not return to the environment's welcome within %s", limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
