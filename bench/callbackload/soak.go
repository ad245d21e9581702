package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fivec/fivec/cmd/fivec/fivectest"
	"github.com/fivec/fivec/wechat/fake"
)

// The soak subcommand drives fivec at a fixed rate for a long time and
// watches its memory:
//
//	go run ./bench/callbackload soak -rate 100 -d 10m -sample 10s
//
// Requests are open-loop: a pacer hands out one request every 1/rate
// seconds to a pool of workers, so a slow fivec shows up as requests the
// pool could not start on time ("behind schedule") rather than as a lower
// rate. Every -sample it reads fivec's /metrics (process RSS, Go heap in
// use, goroutines) and reports the growth from the first quarter of the
// samples to the last. BENCHMARKS.md section P5 has the result.

// soakOptions are the soak subcommand's flags.
type soakOptions struct {
	rate        float64
	duration    time.Duration
	warmup      time.Duration
	sample      time.Duration
	workers     int
	mode        string
	fans        int
	followRatio float64
	timeout     time.Duration
	mysqlDSN    string
	fivecBin    string
	maxGrowth   float64
	markdown    bool
}

func parseSoakFlags(args []string, stderr io.Writer) (soakOptions, error) {
	var o soakOptions
	fs := flag.NewFlagSet("callbackload soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Float64Var(&o.rate, "rate", 100, "callbacks per second, held steady")
	fs.DurationVar(&o.duration, "d", 10*time.Minute, "measured duration")
	fs.DurationVar(&o.warmup, "warmup", 30*time.Second, "load before measuring starts (caches, connection pools, JIT-free warm-up of the DB)")
	fs.DurationVar(&o.sample, "sample", 10*time.Second, "how often fivec's memory is sampled")
	fs.IntVar(&o.workers, "c", 64, "workers available to start paced requests")
	fs.StringVar(&o.mode, "mode", "safe", "callback mode: plain or safe")
	fs.IntVar(&o.fans, "fans", 1000, "distinct fan openids")
	fs.Float64Var(&o.followRatio, "follow-ratio", 0.05, "share of QR follow events")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "per-request timeout (WeChat waits 5 s)")
	fs.StringVar(&o.mysqlDSN, "mysql-dsn", "", "run fivec on this MySQL/MariaDB DSN instead of SQLite in a temp dir")
	fs.StringVar(&o.fivecBin, "fivec-bin", "", "use this fivec binary instead of building ./cmd/fivec")
	fs.Float64Var(&o.maxGrowth, "max-growth", 10, "largest RSS or heap growth in percent (last quarter vs first) that still passes")
	fs.BoolVar(&o.markdown, "markdown", false, "print the report as Markdown")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	if o.mode != "plain" && o.mode != "safe" {
		errs = append(errs, fmt.Errorf("-mode: unknown mode %q (want plain or safe)", o.mode))
	}
	if o.rate <= 0 || o.duration <= 0 || o.sample <= 0 || o.workers < 1 || o.fans < 1 || o.timeout <= 0 || o.warmup < 0 {
		errs = append(errs, errors.New("-rate, -d, -sample, -c, -fans and -timeout must be positive, -warmup not negative"))
	}
	if o.duration < 4*o.sample {
		errs = append(errs, errors.New("-d must cover at least 4 samples (-d ≥ 4 × -sample)"))
	}
	if o.followRatio < 0 || o.followRatio > 1 {
		errs = append(errs, errors.New("-follow-ratio must be between 0 and 1"))
	}
	return o, errors.Join(errs...)
}

// memSample is one reading of fivec's /metrics.
type memSample struct {
	At         time.Duration // since measuring started
	RSS        float64       // process_resident_memory_bytes
	Heap       float64       // go_memstats_heap_inuse_bytes
	Goroutines float64       // go_goroutines
	Requests   int64         // answered so far (measured)
	Errors     int64
}

// soakCounters are shared by the pacer, the workers and the sampler.
type soakCounters struct {
	requests, errors, late atomic.Int64
	mu                     sync.Mutex
	latencies              []time.Duration
	firstErrors            []string
}

func (c *soakCounters) record(latency time.Duration, err error) {
	c.requests.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.latencies = append(c.latencies, latency)
	if err != nil {
		c.errors.Add(1)
		if len(c.firstErrors) < maxErrorTexts {
			c.firstErrors = append(c.firstErrors, err.Error())
		}
	}
}

func runSoak(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseSoakFlags(args, stderr)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "callbackload-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	platform := fake.New(fake.Options{DisableJobEvents: true})
	defer platform.Close()
	api, err := startServer(platform)
	if err != nil {
		return err
	}
	defer api.Close()
	built := "binary " + o.fivecBin
	if o.fivecBin == "" {
		root, err := fivectest.ModuleRoot()
		if err != nil {
			return err
		}
		built = "working tree"
		o.fivecBin = tmp + "/fivec"
		fmt.Fprintln(stderr, "building ./cmd/fivec …")
		if err := fivectest.Build(ctx, root, o.fivecBin); err != nil {
			return err
		}
	}
	acct := benchAccount(o.mode)
	platform.AddAccount(acct)
	p, err := fivectest.Start(ctx, fivectest.Options{Bin: o.fivecBin, Dir: tmp, Name: "fivec-soak",
		Acct: acct, APIBase: api.URL, MySQLDSN: o.mysqlDSN})
	if err != nil {
		return err
	}
	defer func() {
		if err := p.Stop(); err != nil {
			fmt.Fprintln(stderr, "stop fivec:", err)
		}
	}()

	runTag := strconv.FormatInt(time.Now().Unix(), 36)
	l := Load{URL: p.URL + "/wechat", Acct: acct, Timeout: o.timeout, FollowRatio: o.followRatio,
		Fans: o.fans, FanPrefix: "o_soak_" + runTag + "_", IDs: NewIDSource()}
	samples, counters, elapsed := soak(ctx, l, o, p.MetricsURL, stderr)
	if err := ctx.Err(); err != nil {
		return err
	}
	db := "sqlite"
	if o.mysqlDSN != "" {
		db = "mysql"
	}
	settings := fmt.Sprintf("-rate %g, -d %s, -warmup %s, -sample %s, -c %d, -mode %s, -fans %d, -follow-ratio %g, fivec DB %s, built from %s",
		o.rate, o.duration, o.warmup, o.sample, o.workers, o.mode, o.fans, o.followRatio, db, built)
	writeEnvironment(stdout, append([]string{commandName(os.Args[0])}, os.Args[1:]...), settings, o.markdown)
	pass := writeSoakReport(stdout, o, samples, counters, elapsed)
	if !pass {
		return errors.New("soak failed: errors, requests behind schedule, or memory growth over -max-growth")
	}
	return nil
}

// soak runs the paced load for warm-up plus duration and samples memory.
func soak(ctx context.Context, l Load, o soakOptions, metricsURL string, stderr io.Writer) ([]memSample, *soakCounters, time.Duration) {
	tr := &http.Transport{MaxIdleConns: 2 * o.workers, MaxIdleConnsPerHost: 2 * o.workers,
		DisableCompression: true, IdleConnTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: o.timeout}
	metricsClient := &http.Client{Timeout: 5 * time.Second}

	start := time.Now()
	measureFrom := start.Add(o.warmup)
	end := measureFrom.Add(o.duration)
	var c soakCounters
	jobs := make(chan time.Time) // unbuffered: a request no worker takes on time is late
	var wg sync.WaitGroup
	for w := range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for t0 := range jobs {
				latency, _, err := l.post(ctx, client, l.message(rng, t0), t0)
				if !t0.Before(measureFrom) {
					c.record(latency, err)
				}
			}
		}()
	}

	var samples []memSample
	nextSample := measureFrom.Add(o.sample)
	interval := time.Duration(float64(time.Second) / o.rate)
	var issued int64
	for ctx.Err() == nil {
		now := time.Now()
		if !now.Before(end) {
			break
		}
		if !now.Before(nextSample) {
			s, err := readMetrics(ctx, metricsClient, metricsURL)
			if err != nil {
				c.record(0, fmt.Errorf("metrics: %w", err))
			}
			s.At, s.Requests, s.Errors = now.Sub(measureFrom), c.requests.Load(), c.errors.Load()
			samples = append(samples, s)
			fmt.Fprintf(stderr, "%6s  %7d requests  %d errors  %d late  RSS %.1f MiB  heap %.1f MiB  goroutines %.0f\n",
				s.At.Round(time.Second), s.Requests, s.Errors, c.late.Load(), s.RSS/(1<<20), s.Heap/(1<<20), s.Goroutines)
			nextSample = nextSample.Add(o.sample)
		}
		// Issue every request that is due by now; one that finds no idle
		// worker within one interval is counted late and dropped.
		due := int64(now.Sub(start)/interval) + 1
		for ; issued < due && ctx.Err() == nil; issued++ {
			t := start.Add(time.Duration(issued) * interval)
			select {
			case jobs <- t:
			case <-time.After(interval):
				if !t.Before(measureFrom) {
					c.late.Add(1)
				}
			}
		}
		time.Sleep(time.Until(start.Add(time.Duration(issued) * interval)))
	}
	close(jobs)
	wg.Wait()
	return samples, &c, time.Since(measureFrom)
}

// readMetrics fetches the memory gauges from fivec's Prometheus endpoint.
func readMetrics(ctx context.Context, client *http.Client, url string) (memSample, error) {
	var s memSample
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return s, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	want := map[string]*float64{"process_resident_memory_bytes": &s.RSS,
		"go_memstats_heap_inuse_bytes": &s.Heap, "go_goroutines": &s.Goroutines}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if dst := want[name]; ok && dst != nil {
			if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
				*dst = v
				delete(want, name)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if len(want) > 0 {
		return s, fmt.Errorf("metrics missing: %v", keys(want))
	}
	return s, nil
}

func keys(m map[string]*float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// quarterGrowth returns the mean of f over the first and the last quarter
// of the samples and the growth between them in percent.
func quarterGrowth(samples []memSample, f func(memSample) float64) (first, last, pct float64) {
	q := max(len(samples)/4, 1)
	mean := func(ss []memSample) float64 {
		var sum float64
		for _, s := range ss {
			sum += f(s)
		}
		return sum / float64(len(ss))
	}
	first, last = mean(samples[:q]), mean(samples[len(samples)-q:])
	if first > 0 {
		pct = 100 * (last - first) / first
	}
	return first, last, pct
}

// writeSoakReport prints the result and says whether the soak passed: no
// errors, nothing behind schedule, RSS and heap growth within -max-growth.
func writeSoakReport(w io.Writer, o soakOptions, samples []memSample, c *soakCounters, elapsed time.Duration) bool {
	lat := slices.Clone(c.latencies)
	slices.Sort(lat)
	pct := func(p float64) string { return FormatLatency(Percentile(lat, p)) }
	requests, errs, late := c.requests.Load(), c.errors.Load(), c.late.Load()
	pass := errs == 0 && late == 0 && len(samples) >= 4
	fmt.Fprintf(w, "\n| requests | rate achieved | errors | behind schedule | p50 | p99 | max |\n|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(w, "| %d | %.1f/s (target %g/s) | %d | %d | %s | %s | %s |\n\n", requests,
		float64(requests)/elapsed.Seconds(), o.rate, errs, late, pct(50), pct(99), pct(100))
	if len(samples) >= 4 {
		fmt.Fprintf(w, "| gauge (%d samples every %s) | first quarter | last quarter | growth |\n|---|---|---|---|\n", len(samples), o.sample)
		for _, g := range []struct {
			name  string
			f     func(memSample) float64
			unit  float64
			limit bool
		}{
			{"RSS (MiB)", func(s memSample) float64 { return s.RSS }, 1 << 20, true},
			{"Go heap in use (MiB)", func(s memSample) float64 { return s.Heap }, 1 << 20, true},
			{"goroutines", func(s memSample) float64 { return s.Goroutines }, 1, false},
		} {
			first, last, growth := quarterGrowth(samples, g.f)
			fmt.Fprintf(w, "| %s | %.1f | %.1f | %+.1f %% |\n", g.name, first/g.unit, last/g.unit, growth)
			if g.limit && growth > o.maxGrowth {
				pass = false
			}
		}
	}
	for _, e := range c.firstErrors {
		fmt.Fprintln(w, "\nerror:", e)
	}
	verdict := "PASS"
	if !pass {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\n%s: %d errors, %d behind schedule, growth limit %g %%\n", verdict, errs, late, o.maxGrowth)
	return pass
}
