package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fivec/fivec/config"
	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// These benchmarks exist to profile fivec's callback path, which the fivec
// binary does not expose pprof for. They wire the router the way
// cmd/fivec/app.go does and call it without a network in between:
//
//	go test ./bench/callbackload -run '^$' -bench Callback -cpuprofile cpu.out
//	go tool pprof -top -cum bench/callbackload/callbackload.test cpu.out
//
// Set FIVEC_BENCH_MYSQL_DSN to add MySQL/MariaDB sub-benchmarks.

var installFake = sync.OnceValue(func() string {
	srv := httptest.NewServer(fake.New(fake.Options{DisableJobEvents: true}))
	wechat.Install(srv.URL, metrics.New()) // process-global in the SDK; never the real API
	return srv.URL
})

// fivecRouter builds fivec's router for acct on a fresh store, wired as
// newApp in cmd/fivec/app.go wires it (keep the two in step).
func fivecRouter(b *testing.B, driver, dsn string, acct fake.Account) http.Handler {
	installFake()
	store, err := models.Open(context.Background(), driver, dsn, 10*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New()
	wx := wechat.NewClient(wechat.Account{AppID: acct.AppID, AppSecret: acct.AppSecret, Token: acct.Token,
		AESKey: acct.EncodingAESKey}, wechat.NewMemoryCache(nil))
	// Wired exactly as cmd/fivec does, from the defaults.
	cfg := config.Defaults()
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	sender := &wechat.Sender{Store: store, WX: wx, Log: log}
	rs := roles.NewRoles(roles.Deps{Store: store, Sender: sender, WX: wx, Log: log}, roles.SettingsFrom(cfg, ""))
	if err := rs.Consulting.Reload(context.Background()); err != nil {
		b.Fatal(err)
	}
	linger := cfg.RecordLinger
	if v := os.Getenv("FIVEC_RECORD_LINGER"); v != "" {
		linger, _ = time.ParseDuration(v)
	}
	rec := models.NewRecorder(store, models.RecorderOptions{MaxBatch: cfg.RecordBatch, Linger: linger, Observe: func(n int, err error) {
		m.ObserveRecordBatch(n, err)
		recBatches.Add(1)
		recOps.Add(int64(n))
	}})
	b.Cleanup(rec.Close)
	h := &callback.Handler{
		Store: store, Recorder: rec, WX: wx, Sender: sender, Deadline: cfg.ReplyDeadline, Log: log, Metrics: m,
		Pipeline: &roles.Pipeline{Log: log, Roles: rs.Chain()},
	}
	b.Cleanup(h.Wait)
	return (&handlers.Server{Store: store, Callback: h, Metrics: m, Log: log}).Router()
}

// recBatches and recOps count the recorder's transactions and the
// operations in them (ops/batch in the results).
var recBatches, recOps atomic.Int64

// BenchmarkCallback posts the load generator's messages straight into each
// target's handler from 8 × GOMAXPROCS goroutines. cpu-µs/op is the
// process's CPU time per message (handler plus building and checking the
// request), which other processes on the machine disturb less than ns/op.
func BenchmarkCallback(b *testing.B) {
	type target struct {
		name string
		h    func(b *testing.B, acct fake.Account) http.Handler
	}
	targets := []target{
		{targetBaseline, func(b *testing.B, acct fake.Account) http.Handler { return echoHandler(acct) }},
		{targetDurableEcho, func(b *testing.B, acct fake.Account) http.Handler {
			d, err := openDurableEcho(acct, filepath.Join(b.TempDir(), "durable.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { d.Close() })
			return d
		}},
		{"fivec-sqlite", func(b *testing.B, acct fake.Account) http.Handler {
			return fivecRouter(b, "sqlite", filepath.Join(b.TempDir(), "bench.db"), acct)
		}},
	}
	if dsn := os.Getenv("FIVEC_BENCH_MYSQL_DSN"); dsn != "" {
		targets = append(targets, target{"fivec-mysql", func(b *testing.B, acct fake.Account) http.Handler {
			return fivecRouter(b, "mysql", dsn, acct)
		}})
	}
	for _, mode := range []string{"plain", "safe"} {
		for _, t := range targets {
			b.Run(mode+"/"+t.name, func(b *testing.B) {
				acct := benchAccount(mode)
				h := t.h(b, acct)
				l := Load{Acct: acct, Fans: 1000, FanPrefix: "o_bench_" + strconv.FormatInt(time.Now().UnixNano(), 36) + "_",
					FollowRatio: 0.05, IDs: NewIDSource()}
				var seed atomic.Uint64
				b.ReportAllocs()
				// 16 goroutines on 2 cores: enough to keep the database busy, as the
				// load generator's 32 workers do.
				b.SetParallelism(8)
				b.ResetTimer()
				cpu0, batches0, ops0 := cpuTime(), recBatches.Load(), recOps.Load()
				defer func() {
					b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e3, "cpu-µs/op")
					if n := recBatches.Load() - batches0; n > 0 {
						b.ReportMetric(float64(recOps.Load()-ops0)/float64(n), "ops/batch")
					}
				}()
				b.RunParallel(func(pb *testing.PB) {
					rng := rand.New(rand.NewPCG(seed.Add(1), 7))
					for pb.Next() {
						now := time.Now()
						msg := l.message(rng, now)
						q, body, err := fake.BuildCallback(acct, msg, strconv.FormatInt(now.Unix(), 10), "12345")
						if err != nil {
							b.Fatal(err)
						}
						req := httptest.NewRequest(http.MethodPost, "/wechat?"+q.Encode(), bytes.NewReader(body))
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
						}
						if _, err := fake.ParseReply(acct, q, rec.Body.Bytes()); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}

// cpuTime is the CPU time (user + system) this process has used, so that
// cpu-µs/op stays meaningful when other processes share the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
