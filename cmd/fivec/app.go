package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/fivec/fivec/config"
	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/jobs"
	"github.com/fivec/fivec/media"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/settings"
	"github.com/fivec/fivec/wechat"
)

// app is the wired server: config → db → wechat → handlers + jobs.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	store    *models.Store
	listener net.Listener // FIVEC_ADDR, capped at maxConns connections
	maxConns int
	// metricsListener serves /metrics apart from the public port (nil:
	// FIVEC_METRICS_ADDR=off).
	metricsListener net.Listener
	metrics         *metrics.Metrics
	// http is the public server, built in newApp so that tests can adjust
	// its timeouts before serve.
	http     *http.Server
	baseURL  string
	server   *handlers.Server
	router   *gin.Engine // server.Router(), built once in newApp (tests drive it in-process)
	callback *callback.Handler
	recorder *models.Recorder
	spool    *callback.Spool
	replay   context.CancelFunc // stops the spool replay
	replayed chan struct{}      // closed when it has stopped
	runner   *jobs.Runner
	sandbox  *sandbox // nil with real credentials
	// closing is closed when HTTP shutdown starts: the console's event
	// streams end then, so Shutdown does not wait 15 s for them.
	closing chan struct{}

	redis      *wechat.RedisTokens // nil without FIVEC_REDIS_URL
	jsTicket   *wechat.SharedToken // the jsapi_ticket, shared like the access token
	wx         *wechat.Client
	consulting *roles.Consulting
	service    *roles.Service
	live       *settings.Live // the console's settings, over cfg's
	client     *roles.Client
	oauthBase  string // where fans are sent for web authorisation
	delivery   *delivery.Engine
	broadcasts *delivery.Broadcasts
	mass       *wechat.Mass
	files      *media.Store // FIVEC_MEDIA_URL
	library    *roles.Library
	drafts     *roles.Drafts // 图文 drafts and publishing
	fanFiles   *roles.FanFiles
}

func newApp(ctx context.Context, configPath string, getenv func(string) string, stdout io.Writer, log *slog.Logger) (*app, error) {
	cfg, err := config.Load(configPath, getenv)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// The ports first: one taken (a second fivec, another program) is the
	// commonest first-start failure, and its one line should not follow a
	// screenful of configuration.
	maxConns := cfg.MaxConns
	if maxConns == 0 {
		maxConns = connLimit(fileLimit())
	}
	public, metricsLn, err := listeners(cfg, maxConns)
	if err != nil {
		return nil, err
	}
	log.Info("starting fivec", "config", cfg.String())

	m := metrics.New()
	store, err := models.Open(ctx, cfg.DBDriver, cfg.DBDSN, 10*time.Second)
	if err != nil {
		public.Close()
		if metricsLn != nil {
			metricsLn.Close()
		}
		return nil, fmt.Errorf("FIVEC_DB_DSN: %v", err)
	}
	store.SessionMaxAge = cfg.SessionMaxAge
	a := &app{cfg: cfg, log: log, store: store, metrics: m, listener: public, metricsListener: metricsLn, maxConns: maxConns}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()
	if err := seedAdmin(ctx, store, cfg.AdminPassword, stdout); err != nil {
		return nil, err
	}

	metricsAt := "off"
	if a.metricsListener != nil {
		metricsAt = a.metricsListener.Addr().String()
	}
	log.Info("listening", "addr", a.listener.Addr().String(), "max_conns", a.maxConns, "metrics", metricsAt)
	a.baseURL = localURL(a.listener.Addr())
	if cfg.PublicURL != "" {
		a.baseURL = strings.TrimRight(cfg.PublicURL, "/")
	}

	acct := wechat.Account{AppID: cfg.AppID, AppSecret: cfg.AppSecret, Token: cfg.Token, AESKey: cfg.AESKey, StableToken: cfg.StableToken}
	apiBase := cfg.APIBase
	if cfg.Sandbox() {
		if a.sandbox, err = newSandbox(localURL(a.listener.Addr()), cfg.SandboxStatePath(), log); err != nil {
			return nil, err
		}
		acct = a.sandbox.account
		apiBase = localURL(a.listener.Addr()) + handlers.SandboxAPIPrefix
	}
	wechat.Install(apiBase, m)
	wx := wechat.NewClient(acct, wechat.NewMemoryCache(nil))
	holder := jobs.ProcessName()
	if a.sandbox == nil {
		// Replicas share one token (database or Redis): one refreshes it.
		var tokens wechat.TokenStore
		if tokens, a.redis, err = tokenStore(ctx, store, cfg.RedisURL); err != nil {
			return nil, err
		}
		wx.ShareToken(&wechat.SharedToken{Store: tokens, Holder: holder})
		a.jsTicket = wx.JSTicket(tokens, holder)
	} else {
		a.jsTicket = wx.JSTicket(store, holder)
	}
	sender := &wechat.Sender{Store: store, WX: wx, Log: log}

	if a.live, err = newLive(ctx, store, cfg, log); err != nil {
		return nil, err
	}
	rs := roles.NewRoles(roles.Deps{Store: store, Sender: sender, WX: wx, Log: log, Live: a.live}, roles.SettingsFrom(cfg, a.baseURL))
	service, consulting := rs.Service, rs.Consulting
	if err := consulting.Reload(ctx); err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	if err := rs.Care.Reload(ctx); err != nil {
		return nil, fmt.Errorf("load keyword interests: %w", err)
	}
	// A batch the database cannot take within 2 s fails, and its messages
	// go to the spool: the callback still answers within WeChat's 5 s.
	a.recorder = models.NewRecorder(store, models.RecorderOptions{MaxBatch: cfg.RecordBatch, Linger: cfg.RecordLinger,
		Timeout: 2 * time.Second, Observe: m.ObserveRecordBatch, Log: log})
	if a.spool, err = callback.OpenSpool(cfg.SpoolPath()); err != nil {
		return nil, err
	}
	a.callback = &callback.Handler{
		Store: store, Recorder: a.recorder, Spool: a.spool, WX: wx, Sender: sender, Deadline: cfg.ReplyDeadline, MaxSkew: cfg.CallbackMaxSkew, Log: log, Metrics: m,
		Pipeline:       &roles.Pipeline{Log: log, Roles: rs.Chain()},
		PreviousAESKey: cfg.AESKeyPrevious, PreviousUntil: cfg.AESKeyPreviousUntil,
	}
	if cfg.AESKeyPrevious != "" {
		// Said at every start, so a finished rotation's key is not kept
		// (and accepted) by accident.
		switch end := cfg.AESKeyPreviousUntil; {
		case end.IsZero():
			log.Warn("callbacks encrypted with the previous EncodingAESKey are still accepted until FIVEC_WECHAT_AES_KEY_PREVIOUS is removed")
		case time.Now().Before(end):
			log.Warn("callbacks encrypted with the previous EncodingAESKey are still accepted until " + end.Format(time.RFC3339) +
				" (FIVEC_WECHAT_AES_KEY_PREVIOUS_UNTIL); remove FIVEC_WECHAT_AES_KEY_PREVIOUS after that")
		default:
			log.Warn("the previous EncodingAESKey's grace period ended at " + end.Format(time.RFC3339) +
				": it is refused; remove FIVEC_WECHAT_AES_KEY_PREVIOUS")
		}
	}
	a.recorder.OnOrphan(a.callback.Orphaned)
	proxies, _ := cfg.ProxyList() // checked by Validate
	a.server = &handlers.Server{Store: store, Callback: a.callback, Metrics: m, Log: log, TrustedProxies: proxies}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.replay, a.replayed = cancel, make(chan struct{})
	go func() {
		defer close(a.replayed)
		a.callback.ReplaySpool(rctx, 5*time.Second)
	}()
	a.wx, a.consulting, a.service, a.client = wx, consulting, service, rs.Client
	a.oauthBase = cfg.OAuthBase
	if a.sandbox != nil {
		// The fake's authorisation page, on the address the browser uses.
		a.oauthBase = handlers.SandboxAPIPrefix
	}
	a.delivery = newDelivery(store, sender, cfg, log)
	a.delivery.Live = a.live
	a.mass = wechat.NewMass(wx, 60) // the platform's 60 mass calls a minute, previews included
	a.broadcasts = &delivery.Broadcasts{Store: store, Mass: a.mass, Log: log, Policy: broadcastPolicy(cfg),
		Delivery: a.delivery, Now: time.Now}
	if a.files, err = media.Open(ctx, cfg.MediaStoreURL()); err != nil {
		return nil, fmt.Errorf("FIVEC_MEDIA_URL: %v", err)
	}
	a.library = &roles.Library{Store: store, Files: a.files, WX: wx, Log: log, Now: time.Now}
	a.drafts = &roles.Drafts{Store: store, WX: wx, Preview: a.mass, Log: log, Now: time.Now}
	// Fans' images, voice and videos are fetched as they arrive; agents
	// answer with pictures.
	a.fanFiles = &roles.FanFiles{Store: store, Files: a.files, WX: wx, Log: log, Now: time.Now, Retention: cfg.MediaRetention}
	rs.Center.FanFiles = a.fanFiles
	service.Pictures = &roles.Pictures{Files: a.files, WX: wx, Now: time.Now}
	a.closing = make(chan struct{})
	wireConsole(a, m)
	if a.sandbox != nil {
		a.server.FakeWeChat = a.sandbox.fake
	}
	a.runner = &jobs.Runner{Store: store, Log: log, Metrics: m, Holder: holder, Schedules: cfg.Schedules}
	jobList := []jobs.Job{a.runner.PurgeSessions(),
		a.runner.ServiceTimeouts(service, cfg.ServiceIdle, cfg.ServiceWaitLimit, time.Now),
		a.runner.SettleReferrals(func() int { return int(a.live.Current().Int(settings.ReferralDailyCap)) }), a.runner.ExpirePoints(),
		a.runner.Deliver(a.delivery), a.runner.Broadcasts(a.broadcasts), jobs.Job{
			// Every process recompiles within seconds of a rule change anywhere.
			Name: "reload-rules", Spec: "@every 2s", Run: consulting.ReloadIfChanged, EveryProcess: true,
		}, jobs.Job{Name: "reload-interests", Spec: "@every 2s", Run: rs.Care.ReloadIfChanged, EveryProcess: true},
		// Every process follows a settings change within settings.ReloadEvery.
		jobs.Job{Name: "reload-settings", Spec: "@every " + settings.ReloadEvery.String(), Run: a.live.ReloadIfChanged, EveryProcess: true},
		// Care messages go out through the delivery engine too.
		a.runner.Care(rs.Care, cfg.CareInterval, store.Now),
		a.runner.PurgeLeases()}
	// The follower sync runs when asked (console button) and daily at 03:00.
	jobList = append(jobList, a.runner.FollowerSync(wx, time.Now)...)
	// The media library syncs when asked (console, API) and daily at 03:30.
	jobList = append(jobList, a.runner.MaterialSync(a.library)...)
	jobList = append(jobList, a.runner.FanMedia(a.fanFiles)...)
	if cfg.TagSync {
		jobList = append(jobList, a.runner.TagSync(wx))
	}
	if err := a.runner.Start(jobList...); err != nil {
		return nil, err
	}

	a.router = a.server.Router()
	a.http = newHTTPServer(a.router)
	a.http.RegisterOnShutdown(func() { close(a.closing) }) // Shutdown runs once

	mode := "WeChat account " + cfg.AppID
	if a.sandbox != nil {
		mode = "sandbox mode (no WeChat credentials: fake WeChat API and fan simulator built in)"
	}
	fmt.Fprintf(stdout, "fivec is running in %s\nconsole: %s/console/\n", mode, a.baseURL)
	ok = true
	return a, nil
}

// newLive is the provider of the console's settings, loaded once: cfg's
// values are the defaults.
func newLive(ctx context.Context, store *models.Store, cfg config.Config, log *slog.Logger) (*settings.Live, error) {
	defaults, warnings := roles.SettingDefaults(cfg)
	for _, w := range warnings {
		log.Warn("a default the console would refuse is used as it is", "err", w)
	}
	live := &settings.Live{Store: store, Defaults: defaults, Log: log}
	if err := live.Reload(ctx); err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	return live, nil
}

// newDelivery builds the delivery engine every push goes through.
func newDelivery(store *models.Store, sender *wechat.Sender, cfg config.Config, log *slog.Logger) *delivery.Engine {
	host, _ := os.Hostname()
	// A burst of 50 ms of sends lets the engine take tokens for a group at
	// once; the bucket starts empty, so the first minute stays within a
	// platform cap of 60 × the rate.
	burst := max(1, cfg.DeliveryRate/20)
	limiter := rate.NewLimiter(rate.Limit(cfg.DeliveryRate), burst)
	limiter.ReserveN(time.Now(), burst)
	d := &delivery.Engine{
		Store: store, Sender: sender, Log: log, Worker: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), models.RandomToken(3)),
		Limiter: limiter, Batch: 500, Lease: 2 * time.Minute,
		FrequencyCap: cfg.PushCap, CapWindow: pushCapWindow, Loc: cfg.Location,
		Window: models.DefaultWindowRules, MaxAttempts: 5, Now: time.Now,
	}
	if from, to, ok := strings.Cut(cfg.QuietHours, "-"); ok {
		d.QuietFrom, d.QuietTo = from, to
	}
	return d
}

// broadcastPolicy is the account's broadcast configuration.
// The quiet hours and the frequency cap are the delivery engine's (see
// newDelivery), so pages and the API say when a run really sends.
func broadcastPolicy(cfg config.Config) models.BroadcastPolicy {
	p := models.BroadcastPolicy{Loc: cfg.Location, AccountType: cfg.AccountType, Approval: cfg.BroadcastApproval,
		PushCap: cfg.PushCap, CapWindow: pushCapWindow}
	if from, to, ok := strings.Cut(cfg.QuietHours, "-"); ok {
		p.QuietFrom, p.QuietTo = from, to
	}
	return p
}

// pushCapWindow is the frequency cap's window: FIVEC_PUSH_CAP pushes per fan
// per week.
const pushCapWindow = 7 * 24 * time.Hour

// serve runs HTTP until ctx ends, then shuts down: HTTP, background sends,
// jobs, database.
func (a *app) serve(ctx context.Context) error {
	srv := a.http
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(a.listener) }()
	var msrv *http.Server
	if a.metricsListener != nil {
		msrv = newMetricsServer(a.metrics)
		go func() { errc <- fmt.Errorf("metrics: %w", msrv.Serve(a.metricsListener)) }()
	}
	select {
	case err := <-errc:
		srv.Close()
		if msrv != nil {
			msrv.Close()
		}
		a.close()
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		a.log.Warn("http shutdown", "err", err)
	}
	if msrv != nil {
		_ = msrv.Shutdown(sctx)
	}
	a.stopReplay()
	a.callback.Wait()
	a.runner.Stop(sctx)
	a.close()
	a.log.Info("stopped")
	return nil
}

func (a *app) close() {
	if a.sandbox != nil {
		a.sandbox.fake.Close()
	}
	if a.listener != nil {
		a.listener.Close()
	}
	if a.metricsListener != nil {
		a.metricsListener.Close()
	}
	if a.redis != nil {
		a.redis.Close()
	}
	a.stopReplay()
	if a.recorder != nil {
		a.recorder.Close() // commits what is queued
	}
	if a.spool != nil {
		a.spool.Close()
	}
	if a.files != nil {
		a.files.Close()
	}
	a.store.Close()
}

// stopReplay stops the spool replay and waits for it.
func (a *app) stopReplay() {
	if a.replay != nil {
		a.replay()
		<-a.replayed
		a.replay = nil
	}
}

// seedAdmin creates the first admin when there is no staff yet and prints
// the password once (generated unless FIVEC_ADMIN_PASSWORD is set).
func seedAdmin(ctx context.Context, store *models.Store, password string, stdout io.Writer) error {
	n, err := store.CountStaff(ctx)
	if err != nil || n > 0 {
		return err
	}
	generated := password == ""
	if generated {
		password = models.RandomToken(12)
	}
	if _, err := store.CreateStaff(ctx, models.NewStaff{Username: "admin", DisplayName: "管理员", Password: password, Role: models.RoleAdmin}); err != nil {
		switch models.ErrorCode(err) {
		case models.ECONFLICT:
			return nil // another replica seeded it first
		case models.EINVALID:
			return fmt.Errorf("FIVEC_ADMIN_PASSWORD: %s", models.ErrorMessage(err))
		}
		return fmt.Errorf("create first admin: %w", err)
	}
	if generated {
		fmt.Fprintf(stdout, "first start: created console user \"admin\" with password %s (shown once; change it in the console)\n", password)
	} else {
		fmt.Fprintln(stdout, "first start: created console user \"admin\" with the password from FIVEC_ADMIN_PASSWORD")
	}
	return nil
}

// tokenStore is where the processes share the access token: Redis when
// FIVEC_REDIS_URL is set (then also returned, for the caller to close),
// otherwise the database.
func tokenStore(ctx context.Context, store *models.Store, redisURL string) (wechat.TokenStore, *wechat.RedisTokens, error) {
	if redisURL == "" {
		return store, nil, nil
	}
	r, err := wechat.NewRedisTokens(ctx, redisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("FIVEC_REDIS_URL: %v", err)
	}
	return r, r, nil
}

// localURL turns a listen address into a URL this process can reach.
func localURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// randomKey returns n characters of [A-Za-z0-9] (e.g. an EncodingAESKey).
func randomKey(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
