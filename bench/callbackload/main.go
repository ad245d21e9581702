// Command callbackload measures how many WeChat callbacks per second fivec
// answers, next to a bare silenceper/wechat echo server in the same run.
//
// For each mode (plain, safe) it starts the echo server in-process and the
// real fivec binary as a subprocess (SQLite in a temp directory, or MySQL /
// MariaDB with -mysql-dsn; WeChat's API replaced by a loopback fake), then
// drives each with the same load: -c workers posting signed callbacks for
// -d after a -warmup, each a text message with a fresh MsgId from one of
// -fans openids, with -follow-ratio of QR follows mixed in. Every answer is
// checked as WeChat would check it. The report gives msg/s, latency
// percentiles and each target's throughput as a share of the echo's.
//
// -targets adds durable-echo (durable.go): the same echo, in-process too,
// that first records every message under its dedupe key in SQLite (fivec's
// driver and pragmas, group commit) and waits for the commit. It is the
// floor for any record-first pipeline, next to the echo's ceiling.
//
//	go run ./bench/callbackload -markdown
//	go run ./bench/callbackload -targets baseline,durable-echo,fivec
//	go run ./bench/callbackload -rounds 3 -fivec-rev HEAD -modes safe \
//		-mysql-dsn 'fivec:fivec@tcp(127.0.0.1:3306)/fivec_bench?parseTime=true'
//
// BENCHMARKS.md (section P1) has the results and how to read them.
//
//	go run ./bench/callbackload soak -rate 100 -d 10m   # steady rate, memory watched (soak.go, P5)
//
// Only loopback traffic: nothing reaches the real WeChat.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fivec/fivec/cmd/fivec/fivectest"
	"github.com/fivec/fivec/wechat/fake"
)

// options are the command-line flags.
type options struct {
	workers     int
	duration    time.Duration
	warmup      time.Duration
	modes       []string
	targets     []string
	followRatio float64
	fans        int
	rounds      int
	maxRequests int64
	timeout     time.Duration
	mysqlDSN    string
	fivecBin    string
	fivecRev    string
	markdown    bool
	cpuProfile  string
	keep        bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "callbackload:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var modes, targets string
	fs := flag.NewFlagSet("callbackload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.workers, "c", 32, "concurrent workers, each waiting for its answer before the next request")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "measured duration per target, mode and round")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each measured run")
	fs.StringVar(&modes, "modes", "plain,safe", "callback modes: plain, safe (encrypt_type=aes)")
	fs.StringVar(&targets, "targets", "baseline,fivec", "targets: baseline (bare SDK echo, in-process), durable-echo (the echo recording each message in SQLite first, in-process), fivec (the binary)")
	fs.Float64Var(&o.followRatio, "follow-ratio", 0.05, "share of requests that are QR follow events instead of text messages")
	fs.IntVar(&o.fans, "fans", 1000, "distinct fan openids")
	fs.IntVar(&o.rounds, "rounds", 1, "rounds per mode; targets alternate within a round and rounds are merged")
	fs.Int64Var(&o.maxRequests, "max-requests", 2_000_000, "upper bound on requests per run, warm-up included")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "per-request timeout (WeChat waits 5 s)")
	fs.StringVar(&o.mysqlDSN, "mysql-dsn", "", "run fivec on this MySQL/MariaDB DSN instead of SQLite in a temp dir")
	fs.StringVar(&o.fivecBin, "fivec-bin", "", "use this fivec binary instead of building ./cmd/fivec")
	fs.StringVar(&o.fivecRev, "fivec-rev", "", "build fivec from this git `revision` (e.g. HEAD; read-only git archive) instead of the working tree")
	fs.BoolVar(&o.markdown, "markdown", false, "print the report as Markdown for BENCHMARKS.md")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (load generator + baseline) to `file`")
	fs.BoolVar(&o.keep, "keep", false, "keep the temp directory (fivec's logs and SQLite files)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.modes, o.targets = splitList(modes), splitList(targets)
	var errs []error
	for _, m := range o.modes {
		if m != "plain" && m != "safe" {
			errs = append(errs, fmt.Errorf("-modes: unknown mode %q (want plain or safe)", m))
		}
	}
	for _, t := range o.targets {
		if t != targetBaseline && t != targetDurableEcho && t != "fivec" {
			errs = append(errs, fmt.Errorf("-targets: unknown target %q (want baseline, durable-echo or fivec)", t))
		}
	}
	if len(o.modes) == 0 || len(o.targets) == 0 {
		errs = append(errs, errors.New("-modes and -targets must not be empty"))
	}
	if o.workers < 1 || o.duration <= 0 || o.warmup < 0 || o.rounds < 1 || o.maxRequests < 1 || o.fans < 1 || o.timeout <= 0 {
		errs = append(errs, errors.New("-c, -d, -rounds, -max-requests, -fans and -timeout must be positive, -warmup not negative"))
	}
	if o.fivecBin != "" && o.fivecRev != "" {
		errs = append(errs, errors.New("-fivec-bin and -fivec-rev exclude each other"))
	}
	if o.followRatio < 0 || o.followRatio > 1 {
		errs = append(errs, errors.New("-follow-ratio must be between 0 and 1"))
	}
	return o, errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "soak" { // steady-rate soak, soak.go
		return runSoak(ctx, args[2:], stdout, stderr)
	}
	o, err := parseFlags(args[1:], stderr)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "callbackload-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(stderr, "keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	// fivec's outbound WeChat calls go to this fake, never to the real API.
	platform := fake.New(fake.Options{DisableJobEvents: true})
	defer platform.Close()
	api, err := startServer(platform)
	if err != nil {
		return err
	}
	defer api.Close()

	fivecTarget := "fivec (sqlite)"
	if o.mysqlDSN != "" {
		fivecTarget = "fivec (mysql)"
	}
	built := "binary " + o.fivecBin
	if !slices.Contains(o.targets, "fivec") {
		built = "(not measured)"
	} else if o.fivecBin == "" {
		root, err := fivectest.ModuleRoot()
		if err != nil {
			return err
		}
		src := root
		built = "working tree"
		if o.fivecRev != "" {
			src = filepath.Join(tmp, "src")
			id, err := exportRevision(ctx, root, o.fivecRev, src)
			if err != nil {
				return err
			}
			built = "commit " + id[:12]
		}
		o.fivecBin = filepath.Join(tmp, "fivec")
		fmt.Fprintf(stderr, "building ./cmd/fivec (%s) …\n", built)
		if err := fivectest.Build(ctx, src, o.fivecBin); err != nil {
			return err
		}
	}

	ids := NewIDSource()
	runTag := strconv.FormatInt(time.Now().Unix(), 36)
	var sums []Summary
	perRound := map[string][]string{} // target/baseline of each round, by target, then mode
	for _, mode := range o.modes {
		acct := benchAccount(mode)
		platform.AddAccount(acct)
		results := map[string]*Result{}
		urls := map[string]string{}
		cpus := map[string]func() (time.Duration, error){}
		var stops []func()
		for _, t := range o.targets {
			switch t {
			case targetBaseline:
				s, err := startServer(echoHandler(acct))
				if err != nil {
					stopAll(stops)
					return err
				}
				stops = append(stops, s.Close)
				urls[t] = s.URL + "/wechat"
			case targetDurableEcho:
				d, err := openDurableEcho(acct, filepath.Join(tmp, "durable-echo-"+mode+".db"))
				if err != nil {
					stopAll(stops)
					return err
				}
				s, err := startServer(d)
				if err != nil {
					_ = d.Close()
					stopAll(stops)
					return err
				}
				stops = append(stops, func() {
					s.Close()
					if err := d.Close(); err != nil {
						fmt.Fprintln(stderr, "stop durable-echo:", err)
					}
				})
				urls[t] = s.URL + "/wechat"
			case "fivec":
				p, err := fivectest.Start(ctx, fivectest.Options{Bin: o.fivecBin, Dir: tmp, Name: "fivec-" + mode,
					Acct: acct, APIBase: api.URL, MySQLDSN: o.mysqlDSN})
				if err != nil {
					stopAll(stops)
					return err
				}
				stops = append(stops, func() {
					if err := p.Stop(); err != nil {
						fmt.Fprintln(stderr, "stop fivec:", err)
					}
				})
				urls[t] = p.URL + "/wechat"
				cpus[t] = p.CPU
			}
		}
		ratios := map[string][]string{}
		for round := 1; round <= o.rounds && ctx.Err() == nil; round++ {
			rates := map[string]float64{}
			for _, t := range o.targets {
				name := t
				if t == "fivec" {
					name = fivecTarget
				}
				runtime.GC()
				r := Run(ctx, Load{URL: urls[t], Acct: acct, Workers: o.workers, Warmup: o.warmup,
					Duration: o.duration, MaxRequests: o.maxRequests, Timeout: o.timeout,
					FollowRatio: o.followRatio, Fans: o.fans, FanPrefix: "o_bench_" + runTag + "_" + mode + "_",
					IDs: ids, ServerCPU: cpus[t]})
				r.Target, r.Mode = name, mode
				fmt.Fprintf(stderr, "%-5s %-15s round %d: %d requests, %d errors, %.0f msg/s\n",
					mode, name, round, r.Requests, r.Errors, Summarize(r).Rate)
				for _, e := range r.FirstErrors {
					fmt.Fprintln(stderr, "  error:", e)
				}
				if results[name] == nil {
					results[name] = &Result{Target: name, Mode: mode}
				}
				results[name].Add(r)
				rates[t] = Summarize(r).Rate
			}
			if b := rates[targetBaseline]; b > 0 {
				for _, t := range o.targets {
					if t != targetBaseline {
						ratios[t] = append(ratios[t], fmt.Sprintf("%.1f %%", 100*rates[t]/b))
					}
				}
			}
		}
		for t, rs := range ratios {
			perRound[t] = append(perRound[t], mode+": "+strings.Join(rs, ", "))
		}
		stopAll(stops)
		for _, t := range []string{targetBaseline, targetDurableEcho, fivecTarget} {
			if r := results[t]; r != nil {
				sums = append(sums, Summarize(*r))
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	SetRatios(sums)
	settings := fmt.Sprintf("-c %d, -d %s, -warmup %s, -rounds %d, -follow-ratio %g, -fans %d, fivec DB %s, fivec built from %s",
		o.workers, o.duration, o.warmup, o.rounds, o.followRatio, o.fans, strings.TrimSuffix(strings.TrimPrefix(fivecTarget, "fivec ("), ")"), built)
	writeEnvironment(stdout, append([]string{commandName(args[0])}, args[1:]...), settings, o.markdown)
	WriteTable(stdout, sums, o.markdown)
	newline := "\n"
	for _, t := range []string{targetDurableEcho, "fivec"} {
		if rs := perRound[t]; len(rs) > 0 {
			fmt.Fprintf(stdout, "%s%s/baseline msg/s, round by round: %s\n", newline, t, strings.Join(rs, "; "))
			newline = ""
		}
	}
	return nil
}

// benchAccount is the WeChat account every target serves in mode; safe mode
// adds an EncodingAESKey.
func benchAccount(mode string) fake.Account {
	a := fake.Account{AppID: "wxbench" + mode, AppSecret: "bench-secret-" + mode,
		Token: "benchtoken" + mode, OriginalID: "gh_benchacct0001"}
	if mode == "safe" {
		a.EncodingAESKey = "BenchBenchBenchBenchBenchBenchBench01234567"
	}
	return a
}

func stopAll(stops []func()) {
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
}
