package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/fivec/fivec/config"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// deliverCommand implements `fivec deliver`: a process that only delivers
// pushes (no HTTP server), so delivery can be scaled out on its own: every
// such process on one database claims its own recipients.
func deliverCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deliver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "optional YAML file with FIVEC_* keys (the environment wins)")
	lease := fs.Duration("lease", 2*time.Minute, "how long a claim lasts before another worker may take it over")
	senders := fs.Int("senders", 8, "API calls in flight at once (all under FIVEC_DELIVERY_RATE)")
	batch := fs.Int("batch", 500, "recipients one claim takes at most")
	every := fs.Duration("every", 2*time.Second, "how often to look for due recipients when idle")
	once := fs.Bool("once", false, "deliver what is due, then exit")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the worker to this file (for benchmarks)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *lease < time.Second || *senders < 1 || *senders > 256 || *batch < 1 || *every <= 0 {
		return errors.New("deliver: -lease must be ≥ 1s, -senders 1-256, -batch ≥ 1, -every > 0")
	}
	cfg, err := config.Load(*configPath, getenv)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Sandbox() {
		return errors.New("deliver: FIVEC_WECHAT_APPID is not set (the sandbox delivers inside `fivec`)")
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	store, err := models.Open(ctx, cfg.DBDriver, cfg.DBDSN, 10*time.Second)
	if err != nil {
		return fmt.Errorf("FIVEC_DB_DSN: %v", err)
	}
	defer store.Close()
	log := newLogger(stderr)
	wechat.Install(cfg.APIBase, metrics.New())
	// The worker shares the access token with the servers, as a replica does.
	tokens, redis, err := tokenStore(ctx, store, cfg.RedisURL)
	if err != nil {
		return err
	}
	if redis != nil {
		defer redis.Close()
	}
	wx := wechat.NewClient(wechat.Account{AppID: cfg.AppID, AppSecret: cfg.AppSecret, Token: cfg.Token, AESKey: cfg.AESKey, StableToken: cfg.StableToken},
		wechat.NewMemoryCache(nil))
	d := newDelivery(store, &wechat.Sender{Store: store, WX: wx, Log: log}, cfg, log)
	// The console's rate, cap and quiet hours apply here too.
	if d.Live, err = newLive(ctx, store, cfg, log); err != nil {
		return err
	}
	wx.ShareToken(&wechat.SharedToken{Store: tokens, Holder: d.Worker})
	d.Lease, d.Senders, d.Batch = *lease, *senders, *batch
	fmt.Fprintf(stdout, "fivec deliver: worker %s, %d sends/s\n", d.Worker, cfg.DeliveryRate)
	for {
		if err := d.Live.ReloadIfChanged(ctx); err != nil {
			log.Warn("reload settings", "err", err)
		}
		n, err := d.RunOnce(ctx)
		if err != nil {
			log.Error("deliver", "err", err)
		}
		if *once && err == nil && n == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(*every):
			}
		}
	}
}
