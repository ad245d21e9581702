package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsAreValidSandbox(t *testing.T) {
	cfg, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if !cfg.Sandbox() || cfg.Addr != "127.0.0.1:8080" || cfg.DBDriver != "sqlite" || cfg.DBDSN != "fivec.db" {
		t.Fatalf("defaults: %+v", cfg)
	}
	if cfg.Location.String() != "Asia/Shanghai" || cfg.ReplyDeadline != 4500*time.Millisecond {
		t.Fatalf("defaults: %v %v", cfg.Location, cfg.ReplyDeadline)
	}
}

func TestValidationNamesTheVariable(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"FIVEC_WECHAT_AES_KEY": "short"}, "FIVEC_WECHAT_AES_KEY: an EncodingAESKey is 43 characters"},
		{map[string]string{"FIVEC_WECHAT_AES_KEY": strings.Repeat("a", 42) + "!"}, "FIVEC_WECHAT_AES_KEY"},
		{map[string]string{"FIVEC_WECHAT_AES_KEY": strings.Repeat("a", 43), "FIVEC_WECHAT_AES_KEY_PREVIOUS": "short"},
			"FIVEC_WECHAT_AES_KEY_PREVIOUS: an EncodingAESKey is 43 characters"},
		{map[string]string{"FIVEC_WECHAT_AES_KEY_PREVIOUS": strings.Repeat("b", 43)}, "FIVEC_WECHAT_AES_KEY_PREVIOUS: needs the current key"},
		{map[string]string{"FIVEC_WECHAT_AES_KEY": strings.Repeat("a", 43), "FIVEC_WECHAT_AES_KEY_PREVIOUS": strings.Repeat("a", 43)},
			"FIVEC_WECHAT_AES_KEY_PREVIOUS: is the same"},
		{map[string]string{"FIVEC_WECHAT_AES_KEY_PREVIOUS_UNTIL": "2026-12-14T00:00:00Z"}, "FIVEC_WECHAT_AES_KEY_PREVIOUS_UNTIL: set without"},
		{map[string]string{"FIVEC_DB_DRIVER": "postgres"}, `FIVEC_DB_DRIVER: unknown driver "postgres"`},
		{map[string]string{"FIVEC_WECHAT_APPID": "wx1"}, "FIVEC_WECHAT_APPSECRET: required"},
		{map[string]string{"FIVEC_WECHAT_API_BASE": "ftp://x"}, "FIVEC_WECHAT_API_BASE"},
		{map[string]string{"FIVEC_WECHAT_OAUTH_BASE": "open.weixin.qq.com"}, "FIVEC_WECHAT_OAUTH_BASE: not an http(s) URL"},
		{map[string]string{"FIVEC_REDIS_URL": "localhost:6379"}, "FIVEC_REDIS_URL"},
		{map[string]string{"FIVEC_TIMEZONE": "Mars/Base"}, "FIVEC_TIMEZONE"},
		{map[string]string{"FIVEC_TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, `FIVEC_TRUSTED_PROXIES: "proxy.local" is neither`},
		{map[string]string{"FIVEC_SESSION_MAX_AGE": "10m"}, "FIVEC_SESSION_MAX_AGE: must be at least 1h"},
		{map[string]string{"FIVEC_ADMIN_PASSWORD": "123"}, "FIVEC_ADMIN_PASSWORD"},
		{map[string]string{"FIVEC_CALLBACK_MAX_SKEW": "-1m"}, "FIVEC_CALLBACK_MAX_SKEW: must not be negative"},
		{map[string]string{"FIVEC_QUIET_HOURS": "night"}, `FIVEC_QUIET_HOURS: want a range such as 22:00-08:00, or off, got "night"`},
		{map[string]string{"FIVEC_JOB_SCHEDULES": "service-timeouts"}, "FIVEC_JOB_SCHEDULES: want name=spec pairs"},
		{map[string]string{"FIVEC_METRICS_ADDR": "9090"}, `FIVEC_METRICS_ADDR: want host:port, or off, got "9090"`},
		{map[string]string{"FIVEC_ADDR": ":8080", "FIVEC_METRICS_ADDR": ":8080"}, "FIVEC_METRICS_ADDR: must differ from FIVEC_ADDR"},
		{map[string]string{"FIVEC_ADDR": "8080"}, "FIVEC_ADDR: want host:port"},
		{map[string]string{"FIVEC_MAX_CONNS": "-1"}, "FIVEC_MAX_CONNS: must not be negative"},
		{map[string]string{"FIVEC_JOB_SCHEDULES": "service-timeouts=@every soon"}, "FIVEC_JOB_SCHEDULES: service-timeouts: not a cron spec"},
	}
	for _, c := range cases {
		cfg, err := Load("", env(c.env))
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want it to contain %q", c.env, err, c.want)
		}
	}
	if _, err := Load("", env(map[string]string{"FIVEC_WECHAT_AES_KEY_PREVIOUS_UNTIL": "next week"})); err == nil ||
		!strings.HasPrefix(err.Error(), "FIVEC_WECHAT_AES_KEY_PREVIOUS_UNTIL: want an RFC3339 time") {
		t.Errorf("bad grace-period end: %v", err)
	}
	rot, err := Load("", env(map[string]string{"FIVEC_WECHAT_AES_KEY": strings.Repeat("a", 43),
		"FIVEC_WECHAT_AES_KEY_PREVIOUS": strings.Repeat("b", 43), "FIVEC_WECHAT_AES_KEY_PREVIOUS_UNTIL": "2026-12-14T00:00:00+08:00"}))
	if err == nil {
		err = rot.Validate()
	}
	if err != nil || rot.AESKeyPreviousUntil.UTC().Format(time.RFC3339) != "2026-12-13T16:00:00Z" || strings.Contains(rot.String(), strings.Repeat("b", 43)) {
		t.Errorf("a key rotation's settings: %v %v (the previous key must be masked in %s)", err, rot.AESKeyPreviousUntil, rot.String())
	}
	if _, err := Load("", env(map[string]string{"FIVEC_REPLY_DEADLINE": "soon"})); err == nil || !strings.HasPrefix(err.Error(), "FIVEC_REPLY_DEADLINE") {
		t.Errorf("bad duration: %v", err)
	}
	for v, want := range map[string]string{"off": "", "OFF": "", "23:00-07:00": "23:00-07:00"} {
		cfg, _ := Load("", env(map[string]string{"FIVEC_QUIET_HOURS": v}))
		if err := cfg.Validate(); err != nil || cfg.QuietHours != want {
			t.Errorf("FIVEC_QUIET_HOURS=%s: %q %v, want %q", v, cfg.QuietHours, err, want)
		}
	}
	cfg, _ := Load("", env(map[string]string{"FIVEC_REPLY_DEADLINE": "6s"}))
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "FIVEC_REPLY_DEADLINE") {
		t.Errorf("deadline past WeChat's 5 s accepted: %v", err)
	}
}

func TestFileThenEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fivec.yaml")
	os.WriteFile(path, []byte("FIVEC_ADDR: \":9000\"\nFIVEC_WECHAT_APPID: wxfile\nFIVEC_WECHAT_APPSECRET: s\nFIVEC_WECHAT_TOKEN: t\n"), 0o600)
	cfg, err := Load(path, env(map[string]string{"FIVEC_ADDR": ":9100"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":9100" || cfg.AppID != "wxfile" || cfg.Sandbox() {
		t.Fatalf("env should win over file: %+v", cfg)
	}
	os.WriteFile(path, []byte("FIVEC_ADRR: x\n"), 0o600)
	if _, err := Load(path, env(nil)); err == nil || !strings.Contains(err.Error(), "unknown key FIVEC_ADRR") {
		t.Fatalf("typo in file: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), env(nil)); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestStringMasksSecrets(t *testing.T) {
	cfg, _ := Load("", env(map[string]string{
		"FIVEC_WECHAT_APPSECRET": "s3cr3t-app", "FIVEC_WECHAT_TOKEN": "tok-value", "FIVEC_ADMIN_PASSWORD": "admin-pass",
		"FIVEC_DB_DSN": "fivec:dbpass@tcp(db:3306)/fivec", "FIVEC_REDIS_URL": "redis://:rpass@r:6379/0",
	}))
	s := cfg.String()
	for _, secret := range []string{"s3cr3t-app", "tok-value", "admin-pass", "dbpass", "rpass"} {
		if strings.Contains(s, secret) {
			t.Errorf("secret %q in %s", secret, s)
		}
	}
	if !strings.Contains(s, "FIVEC_DB_DSN=fivec:***@tcp(db:3306)/fivec") {
		t.Errorf("DSN not masked usefully: %s", s)
	}
}

func TestJobSchedulesParsed(t *testing.T) {
	cfg, err := Load("", env(map[string]string{"FIVEC_JOB_SCHEDULES": "service-timeouts=@every 30s; purge-sessions = 0 * * * 1,3 ;"}))
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil || len(cfg.Schedules) != 2 || cfg.Schedules["service-timeouts"] != "@every 30s" || cfg.Schedules["purge-sessions"] != "0 * * * 1,3" {
		t.Fatalf("schedules: %v %v", cfg.Schedules, err)
	}
}

func TestRecordingAndSpoolSettings(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{"FIVEC_RECORD_BATCH", "0", "FIVEC_RECORD_BATCH"},
		{"FIVEC_RECORD_BATCH", "5000", "FIVEC_RECORD_BATCH"},
		{"FIVEC_RECORD_LINGER", "-1ms", "FIVEC_RECORD_LINGER"},
		{"FIVEC_RECORD_LINGER", "2s", "FIVEC_RECORD_LINGER"},
	} {
		cfg, err := Load("", env(map[string]string{c.name: c.value}))
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%s: err = %v", c.name, c.value, err)
		}
	}
	cfg, err := Load("", env(map[string]string{"FIVEC_RECORD_BATCH": "1", "FIVEC_RECORD_LINGER": "0"}))
	if err != nil || cfg.Validate() != nil || cfg.RecordBatch != 1 || cfg.RecordLinger != 0 {
		t.Fatalf("batching off: %+v %v", cfg, err)
	}
	cfg, _ = Load("", env(map[string]string{"FIVEC_DB_DSN": "/var/lib/fivec/fivec.db?_pragma=x"}))
	if got := cfg.SpoolPath(); got != "/var/lib/fivec/fivec.db-spool" {
		t.Errorf("default spool beside SQLite: %q", got)
	}
	cfg, _ = Load("", env(map[string]string{"FIVEC_SPOOL_DIR": "/srv/spool", "FIVEC_DB_DSN": "x.db"}))
	if got := cfg.SpoolPath(); got != "/srv/spool" {
		t.Errorf("FIVEC_SPOOL_DIR ignored: %q", got)
	}
}

// TestSandboxListensOnLoopbackByDefault: the sandbox (no WeChat
// credentials) serves a fake WeChat API and a fan simulator and has no
// WeChat to reach it, so it used to listen on every interface for nothing.
// It now takes 127.0.0.1:8080 unless FIVEC_ADDR says otherwise; with an
// account the default stays :8080, where WeChat and the proxy reach it.
// /metrics defaults to loopback and "off" turns it off.
func TestSandboxListensOnLoopbackByDefault(t *testing.T) {
	account := map[string]string{"FIVEC_WECHAT_APPID": "wx1", "FIVEC_WECHAT_APPSECRET": "s", "FIVEC_WECHAT_TOKEN": "t"}
	withAddr := map[string]string{"FIVEC_ADDR": "0.0.0.0:9000"}
	cases := []struct {
		name       string
		env        map[string]string
		addr, metr string
	}{
		{"sandbox", nil, "127.0.0.1:8080", "127.0.0.1:9090"},
		{"sandbox, FIVEC_ADDR set", withAddr, "0.0.0.0:9000", "127.0.0.1:9090"},
		{"account", account, ":8080", "127.0.0.1:9090"},
		{"metrics off", map[string]string{"FIVEC_METRICS_ADDR": "off"}, "127.0.0.1:8080", ""},
	}
	for _, c := range cases {
		cfg, err := Load("", env(c.env))
		if err == nil {
			err = cfg.Validate()
		}
		if err != nil || cfg.Addr != c.addr || cfg.MetricsAddr != c.metr {
			t.Errorf("%s: addr %q metrics %q (%v), want %q %q", c.name, cfg.Addr, cfg.MetricsAddr, err, c.addr, c.metr)
		}
	}
}

// TestQuickStartSpoolLeftInCheckout: the Quick start (FIVEC_DB_DSN default
// fivec.db in the working directory) used to create fivec-spool/ in the
// checkout. The default is now named after the database file
// (fivec.db-spool, covered by .gitignore's fivec.db-*), and the sandbox's
// state file likewise; a fivec-spool/ an older fivec left behind is kept in
// use so that what it holds is replayed.
func TestQuickStartSpoolLeftInCheckout(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "fivec.db")
	cfg, err := Load("", env(map[string]string{"FIVEC_DB_DSN": db}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.SpoolPath(); got != db+"-spool" {
		t.Errorf("default spool: %q, want %q", got, db+"-spool")
	}
	if got := cfg.SandboxStatePath(); got != db+"-sandbox.json" {
		t.Errorf("sandbox state: %q", got)
	}
	if got := Defaults().SpoolPath(); got != "fivec.db-spool" {
		t.Errorf("Quick start spool: %q", got)
	}
	ignore, err := os.ReadFile("../.gitignore")
	if err != nil || !strings.Contains(string(ignore), "fivec.db-*") || !strings.Contains(string(ignore), "fivec-spool/") {
		t.Errorf(".gitignore does not cover the spool and sandbox files: %q %v", ignore, err)
	}
	legacy := filepath.Join(dir, "fivec-spool")
	if err := os.Mkdir(legacy, 0o700); err != nil {
		t.Fatal(err)
	}
	if got := cfg.SpoolPath(); got != legacy {
		t.Errorf("an existing fivec-spool/ must stay in use (it may hold messages): %q", got)
	}
	cfg, _ = Load("", env(map[string]string{"FIVEC_DB_DRIVER": "mysql", "FIVEC_DB_DSN": "u:p@tcp(h:3306)/a"}))
	other, _ := Load("", env(map[string]string{"FIVEC_DB_DRIVER": "mysql", "FIVEC_DB_DSN": "u:p@tcp(h:3306)/b"}))
	if cfg.SandboxStatePath() == other.SandboxStatePath() || strings.Contains(cfg.SandboxStatePath(), "u:p") {
		t.Errorf("MySQL sandbox state: %q / %q", cfg.SandboxStatePath(), other.SandboxStatePath())
	}
}

// TestMediaURL: FIVEC_MEDIA_URL picks where media files live; by default
// a directory beside the SQLite file, like the spool.
func TestMediaURL(t *testing.T) {
	for _, c := range []struct{ value, want string }{
		{"ftp://x/y", `FIVEC_MEDIA_URL: want file:///dir or s3://bucket, got scheme "ftp"`},
		{"file://media", "FIVEC_MEDIA_URL: want an absolute directory"},
		{"/var/lib/fivec/media", `FIVEC_MEDIA_URL: want file:///dir or s3://bucket, got scheme ""`},
		{"s3://", "FIVEC_MEDIA_URL: want s3://bucket?region=…"},
		{"s3://key:secret@bucket", "FIVEC_MEDIA_URL: put S3 credentials in AWS_ACCESS_KEY_ID"},
	} {
		cfg, err := Load("", env(map[string]string{"FIVEC_MEDIA_URL": c.value}))
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FIVEC_MEDIA_URL=%s: err = %v, want %q", c.value, err, c.want)
		}
	}
	for _, ok := range []string{"file:///var/lib/fivec/media", "s3://fivec-media?region=cn-north-1"} {
		cfg, _ := Load("", env(map[string]string{"FIVEC_MEDIA_URL": ok}))
		if err := cfg.Validate(); err != nil || cfg.MediaStoreURL() != ok {
			t.Errorf("%s: %v, store %q", ok, err, cfg.MediaStoreURL())
		}
	}
	cfg, _ := Load("", env(map[string]string{"FIVEC_DB_DSN": "/var/lib/fivec/fivec.db?_pragma=x"}))
	if got := cfg.MediaStoreURL(); got != "file:///var/lib/fivec/fivec.db-media" {
		t.Errorf("default beside SQLite: %q", got)
	}
	cfg, _ = Load("", env(map[string]string{"FIVEC_DB_DRIVER": "mysql", "FIVEC_DB_DSN": "u:p@tcp(db)/fivec"}))
	wd, _ := os.Getwd()
	if got := cfg.MediaStoreURL(); got != "file://"+filepath.ToSlash(filepath.Join(wd, "fivec-media")) {
		t.Errorf("MySQL default: %q", got)
	}
}
