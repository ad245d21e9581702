package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Result is what one or more load runs against one target in one mode
// measured. Runs of several rounds are merged with Add.
type Result struct {
	Target string // "baseline", "durable-echo", "fivec (sqlite)" or "fivec (mysql)"
	Mode   string // "plain" or "safe"
	// Requests counts every request measured (answered or not); Errors those
	// without a 200 and a reply WeChat would accept; Replies those answered
	// with a passive reply rather than "success".
	Requests, Errors, Replies int
	// Elapsed is the measured wall time: from the end of the warm-up until
	// the last measured request finished.
	Elapsed time.Duration
	// ServerCPU is the CPU time the target used while measured (0 when
	// unknown: the baseline shares this process with the load generator).
	ServerCPU time.Duration
	// Latencies holds one entry per measured request, errors included.
	Latencies []time.Duration
	// FirstErrors keeps a few error texts for the report.
	FirstErrors []string
}

// Add merges o (another round against the same target and mode) into r.
func (r *Result) Add(o Result) {
	r.Requests += o.Requests
	r.Errors += o.Errors
	r.Replies += o.Replies
	r.Elapsed += o.Elapsed
	r.ServerCPU += o.ServerCPU
	r.Latencies = append(r.Latencies, o.Latencies...)
	for _, e := range o.FirstErrors {
		if len(r.FirstErrors) < maxErrorTexts {
			r.FirstErrors = append(r.FirstErrors, e)
		}
	}
}

const maxErrorTexts = 5

// Summary is one row of the report.
type Summary struct {
	Target, Mode       string
	Requests, Errors   int
	ReplyShare         float64 // passive replies / requests
	Rate               float64 // successful messages per second
	P50, P90, P99, Max time.Duration
	// CPUPerMsg is the target's CPU time per request (0 when unknown).
	CPUPerMsg time.Duration
	// Ratio is Rate over the baseline's Rate in the same mode (0 when there
	// is no baseline; 1 for the baseline itself).
	Ratio float64
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the smallest value with at least p % of the values at
// or below it. It returns 0 for an empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Summarize computes rates and percentiles. msg/s counts only successful
// answers: an error is not throughput.
func Summarize(r Result) Summary {
	lat := slices.Clone(r.Latencies)
	slices.Sort(lat)
	s := Summary{Target: r.Target, Mode: r.Mode, Requests: r.Requests, Errors: r.Errors,
		P50: Percentile(lat, 50), P90: Percentile(lat, 90), P99: Percentile(lat, 99), Max: Percentile(lat, 100)}
	if r.Elapsed > 0 {
		s.Rate = float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
	}
	if r.Requests > 0 {
		s.ReplyShare = float64(r.Replies) / float64(r.Requests)
		s.CPUPerMsg = r.ServerCPU / time.Duration(r.Requests)
	}
	return s
}

// SetRatios fills Ratio of every summary against the baseline of its mode.
func SetRatios(sums []Summary) {
	base := map[string]float64{}
	for _, s := range sums {
		if s.Target == targetBaseline {
			base[s.Mode] = s.Rate
		}
	}
	for i := range sums {
		if b := base[sums[i].Mode]; b > 0 {
			sums[i].Ratio = sums[i].Rate / b
		}
	}
}

// WriteTable writes the summaries as an aligned text table, or as a
// Markdown table ready for BENCHMARKS.md.
func WriteTable(w io.Writer, sums []Summary, markdown bool) {
	head := []string{"mode", "target", "requests", "errors", "replies", "msg/s", "p50", "p90", "p99", "max", "server CPU/msg", "vs baseline"}
	rows := [][]string{head}
	for _, s := range sums {
		ratio := "—"
		if s.Ratio > 0 {
			ratio = fmt.Sprintf("%.0f %%", 100*s.Ratio)
		}
		cpu := "—"
		if s.CPUPerMsg > 0 {
			cpu = fmt.Sprintf("%.0f µs", float64(s.CPUPerMsg)/float64(time.Microsecond))
		}
		rows = append(rows, []string{s.Mode, s.Target, fmt.Sprint(s.Requests), fmt.Sprint(s.Errors),
			fmt.Sprintf("%.0f %%", 100*s.ReplyShare), fmt.Sprintf("%.0f", s.Rate),
			FormatLatency(s.P50), FormatLatency(s.P90), FormatLatency(s.P99), FormatLatency(s.Max), cpu, ratio})
	}
	if markdown {
		for i, row := range rows {
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
			if i == 0 {
				fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(row)))
			}
		}
		return
	}
	width := make([]int, len(head))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for _, row := range rows {
		for i, c := range row {
			fmt.Fprintf(w, "%-*s  ", width[i], c)
		}
		fmt.Fprintln(w)
	}
}

// FormatLatency renders d in milliseconds with two significant decimals,
// the unit every row shares.
func FormatLatency(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// writeEnvironment records what is needed to reproduce the numbers. args[0]
// is the command as typed (it may contain spaces: "go run ./bench/…").
func writeEnvironment(w io.Writer, args []string, settings string, markdown bool) {
	lines := []string{
		"command: " + strings.Join(append(args[:1:1], quoteArgs(args[1:])...), " "),
		"settings: " + settings,
		fmt.Sprintf("go: %s %s/%s, CPUs: %d (GOMAXPROCS %d), CPU: %s", runtime.Version(), runtime.GOOS, runtime.GOARCH,
			runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel()),
		"date: " + time.Now().UTC().Format(time.RFC3339),
	}
	for _, l := range lines {
		if markdown {
			fmt.Fprintf(w, "- %s\n", l)
		} else {
			fmt.Fprintln(w, l)
		}
	}
	fmt.Fprintln(w)
}

// commandName shows how the tool was started: "go run ./bench/callbackload"
// when it runs from go run's build cache, else the program name.
func commandName(arg0 string) string {
	if strings.Contains(arg0, "go-build") {
		return "go run ./bench/callbackload"
	}
	return arg0
}

// quoteArgs single-quotes the arguments a shell would split or expand.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t\"'()&;|<>*?$`\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}

// cpuModel reads the CPU model name on Linux ("unknown" elsewhere).
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
