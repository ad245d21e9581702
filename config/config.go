// Package config loads fivec's configuration from the environment and an
// optional YAML file, validates it once at start-up, and hands it down by value.
package config

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// DefaultAPIBase is the real WeChat API host.
const DefaultAPIBase = "https://api.weixin.qq.com"

// DefaultOAuthBase is the real host of WeChat's web-authorisation page.
const DefaultOAuthBase = "https://open.weixin.qq.com"

// Config is everything fivec reads at start-up. The env names in the struct
// tags are a contract: deployments depend on them.
type Config struct {
	// Addr is where the server listens. Empty (the default) means :8080 with
	// a WeChat account and 127.0.0.1:8080 in sandbox mode; Validate fills it.
	Addr string
	// MetricsAddr is where /metrics is served, apart from the public port
	// (default 127.0.0.1:9090; "off" turns it off and Validate empties it).
	MetricsAddr string
	// MaxConns caps the connections open on Addr at once (0: derived from
	// the process's file limit in cmd/fivec).
	MaxConns  int
	DBDriver  string
	DBDSN     string
	AppID     string
	AppSecret string
	Token     string
	AESKey    string
	// AESKeyPrevious is the EncodingAESKey before the last change in
	// WeChat's console (FIVEC_WECHAT_AES_KEY_PREVIOUS): callbacks encrypted
	// with it keep arriving for a while and are still accepted. Remove it
	// once the rotation is over.
	AESKeyPrevious string
	// AESKeyPreviousUntil, when set, ends the previous key's grace period
	// (FIVEC_WECHAT_AES_KEY_PREVIOUS_UNTIL, RFC3339): a fixed instant, so a
	// restart does not extend it.
	AESKeyPreviousUntil time.Time
	APIBase             string
	OAuthBase           string // web-authorisation page host (FIVEC_WECHAT_OAUTH_BASE; a fake in tests)
	StableToken         bool
	TagSync             bool
	RedisURL            string
	AdminPassword       string
	TimeZone            string
	WelcomeText         string
	ReplyDeadline       time.Duration
	// CallbackMaxSkew refuses callbacks whose signed timestamp is further
	// than this from the server clock (0: no check).
	CallbackMaxSkew time.Duration
	// SessionMaxAge ends a console session this long after login, however
	// active (FIVEC_SESSION_MAX_AGE).
	SessionMaxAge time.Duration
	// TrustedProxies lists the reverse proxies (IPs or CIDRs, comma
	// separated) whose X-Forwarded-For / X-Real-IP name the client; empty:
	// the connection's address is the client (FIVEC_TRUSTED_PROXIES).
	TrustedProxies string
	// PublicURL is where the console is reached (printed at start-up and used
	// by the sandbox to post callbacks to itself).
	PublicURL string

	// Close Service (贴身客服).
	ServiceKeywords     string
	ServiceMenuKey      string
	ServiceUnanswered   int
	ServicePolicy       string
	ServiceIdle         time.Duration
	ServiceWaitLimit    time.Duration
	ServiceWeChatKf     bool
	ServiceSatisfaction bool
	ServiceTemplateID   string
	ServiceTemplateKey  string

	// Client (新客户发展) and points.
	SignInPoints     int
	ReferralPoints   int
	ReferralHold     time.Duration
	ReferralDailyCap int
	PointsLife       time.Duration
	// ProfileLinkLife is how long a fan's profile-form link works.
	ProfileLinkLife  time.Duration
	LoyalAfterPoints int
	LoyalAfterDays   int
	KeyPersonAfter   int

	// Delivery engine (every push: broadcasts, care, draw notices).
	DeliveryRate int    // sends per second per process
	PushCap      int    // pushes per fan per week (0: no cap)
	QuietHours   string // "22:00-08:00" in the account's zone; "off" (or ""): none

	// Broadcasts (Center).
	AccountType       string // service (服务号) or subscription (订阅号): the mass-send quotas
	BroadcastApproval bool   // broadcasts scheduled by non-admins wait for an admin
	// Care (客户关怀): how often journeys are scanned for triggers and due steps.
	CareInterval time.Duration

	// JobSchedules overrides job schedules: "name=spec;name=spec" (e.g.
	// "service-timeouts=@every 30s"); Schedules holds it parsed by Validate.
	JobSchedules string
	Schedules    map[string]string

	// RecordBatch is the most callbacks whose message-log writes commit in
	// one transaction (1: each on its own).
	RecordBatch int
	// RecordLinger is how long a busy batch waits for more callbacks.
	RecordLinger time.Duration
	// SpoolDir holds messages that arrive while the database is away
	// ("": beside the SQLite file, or in the temp dir for MySQL; SpoolPath).
	SpoolDir string
	// MediaURL is where media files (the 素材库's images, voice, video,
	// thumbs) are kept (FIVEC_MEDIA_URL): file:///abs/dir for one process,
	// s3://bucket?region=… when several replicas share them; "" for the
	// default directory beside the database (MediaStoreURL).
	MediaURL string
	// MediaRetention is how long the files fans send (images, voice,
	// video) are kept (FIVEC_MEDIA_RETENTION, e.g. 180d or 720h; 0 keeps
	// them for ever).
	MediaRetention time.Duration

	// Location is TimeZone, parsed by Validate.
	Location *time.Location
}

// SpoolPath is the spool directory: SpoolDir, or by default
// "<sqlite file>-spool" beside the SQLite file (fivec.db-spool), so that a
// Quick start leaves nothing in a checkout that .gitignore does not cover.
// A "fivec-spool" directory left there by an older fivec is kept in use, so
// that messages it still holds are replayed. MySQL: the temp directory.
func (c Config) SpoolPath() string {
	if c.SpoolDir != "" {
		return c.SpoolDir
	}
	if db := c.sqliteFile(); db != "" {
		legacy := filepath.Join(filepath.Dir(db), "fivec-spool")
		if fi, err := os.Stat(legacy); err == nil && fi.IsDir() {
			return legacy
		}
		return db + "-spool"
	}
	return filepath.Join(os.TempDir(), "fivec-spool")
}

// MediaStoreURL is the media bucket URL: MediaURL, or by default a
// file:// URL of "<sqlite file>-media" beside the SQLite file (fivec.db-media,
// like the spool), and for MySQL a "fivec-media" directory in the working
// directory, since the temp directory may be emptied on reboot.
func (c Config) MediaStoreURL() string {
	if c.MediaURL != "" {
		return c.MediaURL
	}
	dir := "fivec-media"
	if db := c.sqliteFile(); db != "" {
		dir = db + "-media"
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

// SandboxStatePath is the file where sandbox mode keeps the fake WeChat's
// state (fans, follows, phones, menu, tags, QR codes, the MsgId counter)
// across restarts: "<sqlite file>-sandbox.json" beside the SQLite file, so
// it lives and dies with the database it matches. MySQL: a file in the temp
// directory named after the DSN.
func (c Config) SandboxStatePath() string {
	if db := c.sqliteFile(); db != "" {
		return db + "-sandbox.json"
	}
	sum := sha1.Sum([]byte(c.DBDSN))
	return filepath.Join(os.TempDir(), "fivec-sandbox-"+hex.EncodeToString(sum[:6])+".json")
}

// sqliteFile is the SQLite database file of the DSN ("" for MySQL and
// in-memory databases).
func (c Config) sqliteFile() string {
	if c.DBDriver != "sqlite" {
		return ""
	}
	path := strings.TrimPrefix(c.DBDSN, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" || path == ":memory:" {
		return ""
	}
	return path
}

// DefaultMetricsAddr serves /metrics on loopback only: a scraper on the same
// host (or a proxy that adds authentication) reaches it, the internet does not.
const DefaultMetricsAddr = "127.0.0.1:9090"

// Sandbox reports whether fivec runs without a real WeChat account: the fake
// API is mounted in-process and the console offers a fan simulator.
func (c Config) Sandbox() bool { return c.AppID == "" }

// ProxyList parses TrustedProxies into the IPs and CIDRs gin's
// SetTrustedProxies takes.
func (c Config) ProxyList() ([]string, error) {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, fmt.Errorf("%q is neither an IP nor a CIDR", p)
		}
		out = append(out, p)
	}
	return out, nil
}

// Defaults returns the configuration a bare `go run ./cmd/fivec` uses.
func Defaults() Config {
	return Config{
		MetricsAddr:     DefaultMetricsAddr,
		DBDriver:        "sqlite",
		DBDSN:           "fivec.db",
		APIBase:         DefaultAPIBase,
		OAuthBase:       DefaultOAuthBase,
		TimeZone:        "Asia/Shanghai",
		WelcomeText:     "感谢关注！回复任意问题，我们会尽快为您解答。",
		ReplyDeadline:   4500 * time.Millisecond,
		CallbackMaxSkew: 5 * time.Minute,
		SessionMaxAge:   7 * 24 * time.Hour,

		ServiceKeywords:     "人工,转人工,客服",
		ServiceMenuKey:      "CONTACT_AGENT",
		ServiceUnanswered:   3,
		RecordBatch:         128,
		RecordLinger:        2 * time.Millisecond,
		ServicePolicy:       "least_loaded",
		ServiceIdle:         30 * time.Minute,
		ServiceWaitLimit:    10 * time.Minute,
		ServiceSatisfaction: true,
		ServiceTemplateKey:  "thing1",

		SignInPoints:     10,
		ReferralPoints:   100,
		ReferralHold:     7 * 24 * time.Hour,
		ReferralDailyCap: 10,
		PointsLife:       365 * 24 * time.Hour,
		ProfileLinkLife:  30 * 24 * time.Hour,
		MediaRetention:   180 * 24 * time.Hour,
		LoyalAfterPoints: 1000,
		LoyalAfterDays:   180,
		KeyPersonAfter:   10,

		DeliveryRate: 20,
		PushCap:      5,
		QuietHours:   "22:00-08:00",

		AccountType:  "service",
		CareInterval: 10 * time.Second,
	}
}

// Load builds the configuration: defaults, then the YAML file (if path is not
// empty; its keys are the env names), then the environment, which wins.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Defaults()
	values := map[string]string{}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config file %s: %w", path, err)
		}
		var file map[string]any
		if err := yaml.Unmarshal(raw, &file); err != nil {
			return cfg, fmt.Errorf("config file %s: not valid YAML: %v", path, err)
		}
		for k, v := range file {
			if !knownKey(k) {
				return cfg, fmt.Errorf("config file %s: unknown key %s", path, k)
			}
			values[k] = fmt.Sprint(v)
		}
	}
	for _, f := range fields() {
		if v := getenv(f.env); v != "" {
			values[f.env] = v
		}
	}
	for _, f := range fields() {
		v, ok := values[f.env]
		if !ok {
			continue
		}
		if err := f.set(&cfg, strings.TrimSpace(v)); err != nil {
			return cfg, fmt.Errorf("%s: %v", f.env, err)
		}
	}
	return cfg, nil
}

var (
	aesKeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
	quietPattern  = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$`)
)

// Validate checks the configuration and returns an error naming the variable
// and what is wrong. It also fills Location.
func (c *Config) Validate() error {
	var errs []error
	bad := func(env, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", env, fmt.Sprintf(format, a...)))
	}
	switch c.DBDriver {
	case "sqlite", "mysql":
	default:
		bad("FIVEC_DB_DRIVER", "unknown driver %q (want sqlite or mysql)", c.DBDriver)
	}
	if c.DBDSN == "" {
		bad("FIVEC_DB_DSN", "must not be empty")
	}
	if c.AESKey != "" && !aesKeyPattern.MatchString(c.AESKey) {
		bad("FIVEC_WECHAT_AES_KEY", "an EncodingAESKey is 43 characters of [A-Za-z0-9], got %d characters", len(c.AESKey))
	}
	if c.AESKeyPrevious != "" {
		switch {
		case !aesKeyPattern.MatchString(c.AESKeyPrevious):
			bad("FIVEC_WECHAT_AES_KEY_PREVIOUS", "an EncodingAESKey is 43 characters of [A-Za-z0-9], got %d characters", len(c.AESKeyPrevious))
		case c.AESKey == "":
			bad("FIVEC_WECHAT_AES_KEY_PREVIOUS", "needs the current key in FIVEC_WECHAT_AES_KEY")
		case c.AESKeyPrevious == c.AESKey:
			bad("FIVEC_WECHAT_AES_KEY_PREVIOUS", "is the same as FIVEC_WECHAT_AES_KEY")
		}
	} else if !c.AESKeyPreviousUntil.IsZero() {
		bad("FIVEC_WECHAT_AES_KEY_PREVIOUS_UNTIL", "set without FIVEC_WECHAT_AES_KEY_PREVIOUS")
	}
	if c.AppID != "" {
		if c.AppSecret == "" {
			bad("FIVEC_WECHAT_APPSECRET", "required when FIVEC_WECHAT_APPID is set")
		}
		if c.Token == "" {
			bad("FIVEC_WECHAT_TOKEN", "required when FIVEC_WECHAT_APPID is set")
		}
	}
	if u, err := url.Parse(c.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("FIVEC_WECHAT_API_BASE", "not an http(s) URL")
	}
	if u, err := url.Parse(c.OAuthBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("FIVEC_WECHAT_OAUTH_BASE", "not an http(s) URL")
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			bad("FIVEC_REDIS_URL", "not a redis:// URL")
		}
	}
	if err := checkMediaURL(c.MediaURL); err != nil {
		bad("FIVEC_MEDIA_URL", "%v", err)
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 8 {
		bad("FIVEC_ADMIN_PASSWORD", "must be at least 8 characters")
	}
	if c.SessionMaxAge < time.Hour {
		bad("FIVEC_SESSION_MAX_AGE", "must be at least 1h, got %s", c.SessionMaxAge)
	}
	if _, err := c.ProxyList(); err != nil {
		bad("FIVEC_TRUSTED_PROXIES", "%v", err)
	}
	if c.CallbackMaxSkew < 0 {
		bad("FIVEC_CALLBACK_MAX_SKEW", "must not be negative (0 switches the check off), got %s", c.CallbackMaxSkew)
	}
	if c.ReplyDeadline <= 0 || c.ReplyDeadline > 4800*time.Millisecond {
		bad("FIVEC_REPLY_DEADLINE", "must be between 1ms and 4.8s (WeChat waits 5s), got %s", c.ReplyDeadline)
	}
	switch c.ServicePolicy {
	case "least_loaded", "round_robin":
	default:
		bad("FIVEC_SERVICE_POLICY", "want least_loaded or round_robin, got %q", c.ServicePolicy)
	}
	if c.RecordBatch < 1 || c.RecordBatch > 1000 {
		bad("FIVEC_RECORD_BATCH", "must be between 1 and 1000, got %d", c.RecordBatch)
	}
	if c.RecordLinger < 0 || c.RecordLinger > time.Second {
		bad("FIVEC_RECORD_LINGER", "must be between 0 and 1s, got %s", c.RecordLinger)
	}
	if c.ServiceUnanswered < 0 {
		bad("FIVEC_SERVICE_UNANSWERED", "must not be negative")
	}
	if c.ServiceIdle < time.Minute {
		bad("FIVEC_SERVICE_IDLE", "must be at least 1m, got %s", c.ServiceIdle)
	}
	if c.ServiceWaitLimit < time.Minute {
		bad("FIVEC_SERVICE_WAIT_LIMIT", "must be at least 1m, got %s", c.ServiceWaitLimit)
	}
	if c.LoyalAfterPoints < 0 || c.LoyalAfterDays < 0 || c.KeyPersonAfter < 0 {
		bad("FIVEC_LOYAL_AFTER_POINTS", "stage and level thresholds must not be negative (0 turns one off)")
	}
	if c.SignInPoints < 0 || c.ReferralPoints < 0 || c.ReferralDailyCap < 0 {
		bad("FIVEC_SIGNIN_POINTS", "points and caps must not be negative")
	}
	if c.ReferralHold < 0 || c.PointsLife < 0 {
		bad("FIVEC_REFERRAL_HOLD", "durations must not be negative")
	}
	if c.ProfileLinkLife <= 0 {
		bad("FIVEC_PROFILE_LINK_LIFE", "must be a positive duration such as 720h, got %s", c.ProfileLinkLife)
	}
	if c.DeliveryRate <= 0 || c.DeliveryRate > 10000 {
		bad("FIVEC_DELIVERY_RATE", "must be 1-10000 sends per second, got %d", c.DeliveryRate)
	}
	if c.PushCap < 0 {
		bad("FIVEC_PUSH_CAP", "must not be negative")
	}
	if strings.EqualFold(c.QuietHours, "off") {
		// An empty variable reads as unset (the default applies), so
		// "off" is how an operator switches quiet hours off.
		c.QuietHours = ""
	}
	if c.QuietHours != "" && !quietPattern.MatchString(c.QuietHours) {
		bad("FIVEC_QUIET_HOURS", "want a range such as 22:00-08:00, or off, got %q", c.QuietHours)
	}
	if c.AccountType != "service" && c.AccountType != "subscription" {
		bad("FIVEC_ACCOUNT_TYPE", "must be service (服务号) or subscription (订阅号), got %q", c.AccountType)
	}
	if c.CareInterval < time.Second || c.CareInterval > time.Hour {
		bad("FIVEC_CARE_INTERVAL", "must be 1s-1h, got %s", c.CareInterval)
	}
	c.Schedules = map[string]string{}
	for _, pair := range strings.Split(c.JobSchedules, ";") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		name, spec, ok := strings.Cut(pair, "=")
		name, spec = strings.TrimSpace(name), strings.TrimSpace(spec)
		if !ok || name == "" || spec == "" {
			bad("FIVEC_JOB_SCHEDULES", "want name=spec pairs separated by ';', got %q", pair)
			continue
		}
		if _, err := cron.ParseStandard(spec); err != nil {
			bad("FIVEC_JOB_SCHEDULES", "%s: not a cron spec (%q): %v", name, spec, err)
			continue
		}
		c.Schedules[name] = spec
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		bad("FIVEC_TIMEZONE", "unknown time zone %q", c.TimeZone)
	}
	c.Location = loc
	if c.Addr == "" {
		// The sandbox has no WeChat to reach it and serves a fake WeChat
		// API and a fan simulator: loopback unless asked otherwise.
		c.Addr = ":8080"
		if c.Sandbox() {
			c.Addr = "127.0.0.1:8080"
		}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("FIVEC_ADDR", "want host:port or :port, got %q", c.Addr)
	}
	if strings.EqualFold(c.MetricsAddr, "off") {
		c.MetricsAddr = ""
	} else if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil {
		bad("FIVEC_METRICS_ADDR", "want host:port, or off, got %q", c.MetricsAddr)
	} else if c.MetricsAddr == c.Addr && port != "0" {
		bad("FIVEC_METRICS_ADDR", "must differ from FIVEC_ADDR (metrics stay off the public port)")
	}
	if c.MaxConns < 0 {
		bad("FIVEC_MAX_CONNS", "must not be negative (0: derived from the file limit), got %d", c.MaxConns)
	}
	return errors.Join(errs...)
}

// checkMediaURL accepts "" (the default), file:///absolute/dir and
// s3://bucket[?query]; anything else names what to write instead.
func checkMediaURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: want file:///var/lib/fivec/media or s3://bucket?region=…")
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" || !strings.HasPrefix(u.Path, "/") {
			return fmt.Errorf("want an absolute directory such as file:///var/lib/fivec/media, got %q", raw)
		}
	case "s3":
		if u.Host == "" {
			return fmt.Errorf("want s3://bucket?region=…, got %q (no bucket)", raw)
		}
		if u.User != nil {
			return fmt.Errorf("put S3 credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, not in the URL")
		}
	default:
		return fmt.Errorf("want file:///dir or s3://bucket, got scheme %q", u.Scheme)
	}
	return nil
}

// String renders the configuration for logs with secrets masked.
func (c Config) String() string {
	var b strings.Builder
	for i, f := range fields() {
		if i > 0 {
			b.WriteString(" ")
		}
		v := f.get(c)
		if f.secret && v != "" {
			v = "***"
		}
		if f.env == "FIVEC_DB_DSN" {
			v = MaskDSN(v)
		}
		fmt.Fprintf(&b, "%s=%s", f.env, v)
	}
	return b.String()
}

// MaskDSN hides the password in a MySQL DSN (user:pass@tcp(...)/db).
func MaskDSN(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	colon := strings.Index(dsn, ":")
	if at < 0 || colon < 0 || colon > at {
		return dsn
	}
	return dsn[:colon+1] + "***" + dsn[at:]
}

type field struct {
	env    string
	secret bool
	get    func(Config) string
	set    func(*Config, string) error
}

func str(p func(*Config) *string) (func(Config) string, func(*Config, string) error) {
	return func(c Config) string { return *p(&c) },
		func(c *Config, v string) error { *p(c) = v; return nil }
}

func fields() []field {
	mk := func(env string, secret bool, p func(*Config) *string) field {
		g, s := str(p)
		return field{env: env, secret: secret, get: g, set: s}
	}
	return []field{
		mk("FIVEC_ADDR", false, func(c *Config) *string { return &c.Addr }),
		mk("FIVEC_METRICS_ADDR", false, func(c *Config) *string { return &c.MetricsAddr }),
		intField("FIVEC_MAX_CONNS", func(c *Config) *int { return &c.MaxConns }),
		mk("FIVEC_DB_DRIVER", false, func(c *Config) *string { return &c.DBDriver }),
		mk("FIVEC_DB_DSN", false, func(c *Config) *string { return &c.DBDSN }),
		mk("FIVEC_WECHAT_APPID", false, func(c *Config) *string { return &c.AppID }),
		mk("FIVEC_WECHAT_APPSECRET", true, func(c *Config) *string { return &c.AppSecret }),
		mk("FIVEC_WECHAT_TOKEN", true, func(c *Config) *string { return &c.Token }),
		mk("FIVEC_WECHAT_AES_KEY", true, func(c *Config) *string { return &c.AESKey }),
		mk("FIVEC_WECHAT_AES_KEY_PREVIOUS", true, func(c *Config) *string { return &c.AESKeyPrevious }),
		timeField("FIVEC_WECHAT_AES_KEY_PREVIOUS_UNTIL", func(c *Config) *time.Time { return &c.AESKeyPreviousUntil }),
		mk("FIVEC_WECHAT_API_BASE", false, func(c *Config) *string { return &c.APIBase }),
		mk("FIVEC_WECHAT_OAUTH_BASE", false, func(c *Config) *string { return &c.OAuthBase }),
		boolField("FIVEC_WECHAT_STABLE_TOKEN", func(c *Config) *bool { return &c.StableToken }),
		boolField("FIVEC_WECHAT_TAG_SYNC", func(c *Config) *bool { return &c.TagSync }),
		mk("FIVEC_REDIS_URL", true, func(c *Config) *string { return &c.RedisURL }),
		mk("FIVEC_ADMIN_PASSWORD", true, func(c *Config) *string { return &c.AdminPassword }),
		mk("FIVEC_TIMEZONE", false, func(c *Config) *string { return &c.TimeZone }),
		mk("FIVEC_WELCOME_TEXT", false, func(c *Config) *string { return &c.WelcomeText }),
		durationField("FIVEC_REPLY_DEADLINE", func(c *Config) *time.Duration { return &c.ReplyDeadline }),
		durationField("FIVEC_CALLBACK_MAX_SKEW", func(c *Config) *time.Duration { return &c.CallbackMaxSkew }),
		durationField("FIVEC_SESSION_MAX_AGE", func(c *Config) *time.Duration { return &c.SessionMaxAge }),
		mk("FIVEC_TRUSTED_PROXIES", false, func(c *Config) *string { return &c.TrustedProxies }),
		mk("FIVEC_PUBLIC_URL", false, func(c *Config) *string { return &c.PublicURL }),
		mk("FIVEC_SERVICE_KEYWORDS", false, func(c *Config) *string { return &c.ServiceKeywords }),
		mk("FIVEC_SERVICE_MENU_KEY", false, func(c *Config) *string { return &c.ServiceMenuKey }),
		intField("FIVEC_SERVICE_UNANSWERED", func(c *Config) *int { return &c.ServiceUnanswered }),
		intField("FIVEC_RECORD_BATCH", func(c *Config) *int { return &c.RecordBatch }),
		durationField("FIVEC_RECORD_LINGER", func(c *Config) *time.Duration { return &c.RecordLinger }),
		mk("FIVEC_SPOOL_DIR", false, func(c *Config) *string { return &c.SpoolDir }),
		mk("FIVEC_MEDIA_URL", false, func(c *Config) *string { return &c.MediaURL }),
		daysField("FIVEC_MEDIA_RETENTION", func(c *Config) *time.Duration { return &c.MediaRetention }),
		mk("FIVEC_SERVICE_POLICY", false, func(c *Config) *string { return &c.ServicePolicy }),
		durationField("FIVEC_SERVICE_IDLE", func(c *Config) *time.Duration { return &c.ServiceIdle }),
		durationField("FIVEC_SERVICE_WAIT_LIMIT", func(c *Config) *time.Duration { return &c.ServiceWaitLimit }),
		boolField("FIVEC_SERVICE_WECHAT_KF", func(c *Config) *bool { return &c.ServiceWeChatKf }),
		boolField("FIVEC_SERVICE_SATISFACTION", func(c *Config) *bool { return &c.ServiceSatisfaction }),
		mk("FIVEC_SERVICE_TEMPLATE_ID", false, func(c *Config) *string { return &c.ServiceTemplateID }),
		mk("FIVEC_SERVICE_TEMPLATE_KEY", false, func(c *Config) *string { return &c.ServiceTemplateKey }),
		intField("FIVEC_SIGNIN_POINTS", func(c *Config) *int { return &c.SignInPoints }),
		intField("FIVEC_REFERRAL_POINTS", func(c *Config) *int { return &c.ReferralPoints }),
		durationField("FIVEC_REFERRAL_HOLD", func(c *Config) *time.Duration { return &c.ReferralHold }),
		intField("FIVEC_REFERRAL_DAILY_CAP", func(c *Config) *int { return &c.ReferralDailyCap }),
		durationField("FIVEC_POINTS_LIFE", func(c *Config) *time.Duration { return &c.PointsLife }),
		durationField("FIVEC_PROFILE_LINK_LIFE", func(c *Config) *time.Duration { return &c.ProfileLinkLife }),
		intField("FIVEC_LOYAL_AFTER_POINTS", func(c *Config) *int { return &c.LoyalAfterPoints }),
		intField("FIVEC_LOYAL_AFTER_DAYS", func(c *Config) *int { return &c.LoyalAfterDays }),
		intField("FIVEC_KEY_PERSON_AFTER", func(c *Config) *int { return &c.KeyPersonAfter }),
		intField("FIVEC_DELIVERY_RATE", func(c *Config) *int { return &c.DeliveryRate }),
		intField("FIVEC_PUSH_CAP", func(c *Config) *int { return &c.PushCap }),
		mk("FIVEC_QUIET_HOURS", false, func(c *Config) *string { return &c.QuietHours }),
		mk("FIVEC_ACCOUNT_TYPE", false, func(c *Config) *string { return &c.AccountType }),
		boolField("FIVEC_BROADCAST_APPROVAL", func(c *Config) *bool { return &c.BroadcastApproval }),
		durationField("FIVEC_CARE_INTERVAL", func(c *Config) *time.Duration { return &c.CareInterval }),
		mk("FIVEC_JOB_SCHEDULES", false, func(c *Config) *string { return &c.JobSchedules }),
	}
}

func boolField(env string, p func(*Config) *bool) field {
	return field{env: env,
		get: func(c Config) string { return strconv.FormatBool(*p(&c)) },
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false, got %q", v)
			}
			*p(c) = b
			return nil
		}}
}

func intField(env string, p func(*Config) *int) field {
	return field{env: env,
		get: func(c Config) string { return strconv.Itoa(*p(&c)) },
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("want a whole number, got %q", v)
			}
			*p(c) = n
			return nil
		}}
}

func durationField(env string, p func(*Config) *time.Duration) field {
	return field{env: env,
		get: func(c Config) string { return p(&c).String() },
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("want a duration such as 4.5s or 30m, got %q", v)
			}
			*p(c) = d
			return nil
		}}
}

// daysField reads a duration in days ("180d") or as Go writes it ("720h");
// it must not be negative.
func daysField(env string, p func(*Config) *time.Duration) field {
	return field{env: env,
		get: func(c Config) string {
			if d := *p(&c); d%(24*time.Hour) == 0 {
				return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
			}
			return p(&c).String()
		},
		set: func(c *Config, v string) error {
			if n, ok := strings.CutSuffix(strings.TrimSpace(v), "d"); ok {
				days, err := strconv.Atoi(n)
				if err != nil || days < 0 {
					return fmt.Errorf("want a number of days such as 180d, got %q", v)
				}
				*p(c) = time.Duration(days) * 24 * time.Hour
				return nil
			}
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("want a number of days such as 180d (or a duration such as 720h), got %q", v)
			}
			*p(c) = d
			return nil
		}}
}

// timeField reads an RFC3339 instant; unset is the zero time.
func timeField(env string, p func(*Config) *time.Time) field {
	return field{env: env,
		get: func(c Config) string {
			if t := *p(&c); !t.IsZero() {
				return t.Format(time.RFC3339)
			}
			return ""
		},
		set: func(c *Config, v string) error {
			if v == "" {
				*p(c) = time.Time{}
				return nil
			}
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return fmt.Errorf("want an RFC3339 time such as 2026-12-14T00:00:00+08:00, got %q", v)
			}
			*p(c) = t
			return nil
		}}
}

func knownKey(k string) bool {
	for _, f := range fields() {
		if f.env == k {
			return true
		}
	}
	return false
}
