package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestInvalidConfigStopsWithOneLine(t *testing.T) {
	cases := map[string]map[string]string{
		"FIVEC_WECHAT_AES_KEY": {"FIVEC_WECHAT_AES_KEY": "too-short"},
		"FIVEC_DB_DRIVER":      {"FIVEC_DB_DRIVER": "oracle"},
		"FIVEC_DB_DSN":         {"FIVEC_DB_DRIVER": "mysql", "FIVEC_DB_DSN": "u:p@tcp(127.0.0.1:1)/x"},
	}
	for want, env := range cases {
		env["FIVEC_ADDR"] = "127.0.0.1:0"
		var out bytes.Buffer
		err := run(context.Background(), nil, envOf(env), &out, io.Discard)
		if err == nil {
			t.Fatalf("%s: started with invalid config", want)
		}
		line := oneLine(err)
		if !strings.HasPrefix(line, want) || strings.Contains(line, "\n") {
			t.Errorf("%s: error line %q", want, line)
		}
		if strings.Contains(line, ":p@") {
			t.Errorf("password in error: %q", line)
		}
	}
}

// startApp runs fivec in sandbox mode on a free port and returns its base URL.
func startApp(t *testing.T, extra map[string]string) (*app, string) {
	t.Helper()
	return startAppWith(t, extra, nil)
}

// startAppWith is startApp with a hook that may adjust the app (its HTTP
// server's timeouts, say) before it serves.
func startAppWith(t *testing.T, extra map[string]string, adjust func(*app)) (*app, string) {
	t.Helper()
	env := map[string]string{
		"FIVEC_ADDR": "127.0.0.1:0", "FIVEC_METRICS_ADDR": "127.0.0.1:0", "FIVEC_DB_DSN": filepath.Join(t.TempDir(), "fivec.db"),
		"FIVEC_ADMIN_PASSWORD": "violet-harbour-42", "FIVEC_WELCOME_TEXT": "欢迎来到 fivec",
		// Media files in the test's directory (MySQL's default is the
		// working directory, i.e. the checkout).
		"FIVEC_MEDIA_URL": "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "media")),
	}
	for k, v := range extra {
		env[k] = v
	}
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, "", envOf(env), &out, log)
	if err != nil {
		t.Fatal(err)
	}
	if a.cfg.DBDriver == "mysql" { // SQLite's sits in the TempDir
		t.Cleanup(func() {
			os.Remove(a.cfg.SandboxStatePath())
			os.RemoveAll(a.cfg.SandboxStatePath() + "-media")
		})
	}
	if adjust != nil {
		adjust(a)
	}
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	if !strings.Contains(out.String(), "sandbox mode") || !strings.Contains(out.String(), "/console/") {
		t.Fatalf("start-up banner: %q", out.String())
	}
	return a, a.baseURL
}

func TestSandboxFanGetsWelcomeThroughSignedCallback(t *testing.T) {
	a, base := startApp(t, nil)
	ctx := context.Background()
	f := a.sandbox.fake
	d, err := f.Follow(ctx, sandboxAppID, "o_fan_1", "poster")
	if err != nil {
		t.Fatal(err)
	}
	if d == nil || d.Text != "欢迎来到 fivec" {
		t.Fatalf("welcome reply: %+v", d)
	}
	if _, err := f.SendText(ctx, sandboxAppID, "o_fan_1", "你好"); err != nil {
		t.Fatal(err)
	}
	m, err := a.store.FindMemberByOpenID(ctx, "o_fan_1")
	if err != nil || m.SubscribeScene != "poster" {
		t.Fatalf("member: %+v %v", m, err)
	}
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != want {
			t.Errorf("%s: %d %q", path, resp.StatusCode, body)
		}
	}
	resp, err := http.Get("http://" + a.metricsListener.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`fivec_messages_total{outcome="new",type="event:subscribe"} 1`,
		`fivec_messages_total{outcome="new",type="text"} 1`,
		`fivec_callback_duration_seconds_count{mode="safe"} 2`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestFirstAdminIsSeededOnce(t *testing.T) {
	a, _ := startApp(t, nil)
	st, err := a.store.Authenticate(context.Background(), "admin", "violet-harbour-42")
	if err != nil || st.Role != models.RoleAdmin {
		t.Fatalf("seeded admin: %v", err)
	}
	var out bytes.Buffer
	if err := seedAdmin(context.Background(), a.store, "", &out); err != nil || out.Len() != 0 {
		t.Fatalf("second seed printed %q (%v)", out.String(), err)
	}
}

func TestHealthcheckCommand(t *testing.T) {
	a, _ := startApp(t, nil)
	_, port, _ := strings.Cut(a.listener.Addr().String(), ":")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := run(ctx, []string{"healthcheck"}, envOf(map[string]string{"FIVEC_ADDR": ":" + port}), io.Discard, io.Discard); err != nil {
		t.Fatalf("healthcheck: %v", err)
	}
	if err := run(ctx, []string{"healthcheck"}, envOf(map[string]string{"FIVEC_ADDR": ":1"}), io.Discard, io.Discard); err == nil {
		t.Fatal("healthcheck passed with nothing listening")
	}
}
