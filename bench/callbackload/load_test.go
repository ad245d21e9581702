package main

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/wechat/fake"
)

func ms(n ...int) []time.Duration {
	out := make([]time.Duration, len(n))
	for i, v := range n {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond // 1..100 ms
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value is every percentile", ms(7), 1, 7 * time.Millisecond},
		{"one value, max", ms(7), 100, 7 * time.Millisecond},
		{"median of four is the 2nd (nearest rank)", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p51 of four is the 3rd", ms(1, 2, 3, 4), 51, 3 * time.Millisecond},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p90 of 1..100", hundred, 90, 90 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p99.5 of 1..100 rounds up", hundred, 99.5, 100 * time.Millisecond},
		{"max", hundred, 100, 100 * time.Millisecond},
		{"tiny p is the minimum", hundred, 0.001, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := Percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("%s: Percentile(p%g) = %v, want %v", tt.name, tt.p, got, tt.want)
		}
	}
}

func TestSummarizeAndRatios(t *testing.T) {
	// Latencies deliberately unsorted: Summarize must sort a copy.
	base := Result{Target: targetBaseline, Mode: "plain", Requests: 10, Elapsed: 2 * time.Second,
		Replies: 10, Latencies: ms(10, 1, 9, 2, 8, 3, 7, 4, 6, 5)}
	fivec := Result{Target: "fivec (sqlite)", Mode: "plain", Requests: 8, Errors: 2, Replies: 1,
		Elapsed: 2 * time.Second, ServerCPU: 12 * time.Millisecond, Latencies: ms(20, 20, 20, 20, 20, 20, 20, 100)}
	other := Result{Target: "fivec (sqlite)", Mode: "safe", Requests: 4, Elapsed: time.Second,
		Latencies: ms(1, 1, 1, 1)}

	sums := []Summary{Summarize(base), Summarize(fivec), Summarize(other)}
	SetRatios(sums)

	b := sums[0]
	if b.Rate != 5 || b.P50 != 5*time.Millisecond || b.P90 != 9*time.Millisecond ||
		b.P99 != 10*time.Millisecond || b.Max != 10*time.Millisecond || b.ReplyShare != 1 || b.Ratio != 1 {
		t.Errorf("baseline summary = %+v", b)
	}
	if base.Latencies[0] != 10*time.Millisecond {
		t.Errorf("Summarize sorted the caller's latencies in place")
	}
	f := sums[1]
	// 8 requests, 2 errors in 2 s: 3 msg/s, i.e. 60 % of the baseline's 5.
	if f.Rate != 3 || f.Ratio != 0.6 || f.ReplyShare != 0.125 || f.P99 != 100*time.Millisecond ||
		f.P50 != 20*time.Millisecond || f.CPUPerMsg != 1500*time.Microsecond {
		t.Errorf("fivec summary = %+v", f)
	}
	if sums[2].Ratio != 0 {
		t.Errorf("a mode without baseline got ratio %v", sums[2].Ratio)
	}
	if s := Summarize(Result{}); s.Rate != 0 || s.ReplyShare != 0 || s.Max != 0 {
		t.Errorf("empty result summary = %+v", s)
	}
}

func TestResultAdd(t *testing.T) {
	r := Result{Requests: 3, Errors: 1, Replies: 1, Elapsed: time.Second, Latencies: ms(1, 2, 3)}
	r.Add(Result{Requests: 2, Replies: 2, Elapsed: time.Second, Latencies: ms(4, 5),
		FirstErrors: []string{"a", "b", "c", "d", "e", "f"}})
	if r.Requests != 5 || r.Errors != 1 || r.Replies != 3 || r.Elapsed != 2*time.Second || len(r.Latencies) != 5 {
		t.Errorf("merged = %+v", r)
	}
	if r.ServerCPU != 0 {
		t.Errorf("server CPU appeared from nowhere: %v", r.ServerCPU)
	}
	if len(r.FirstErrors) != maxErrorTexts {
		t.Errorf("kept %d error texts, want %d", len(r.FirstErrors), maxErrorTexts)
	}
	if got := Summarize(r).Rate; got != 2 {
		t.Errorf("merged rate = %v, want 2 msg/s (4 good in 2 s)", got)
	}
}

func TestWriteTableMarkdown(t *testing.T) {
	sums := []Summary{
		{Target: targetBaseline, Mode: "safe", Requests: 100, Rate: 1000, P50: 1500 * time.Microsecond, Ratio: 1},
		{Target: "fivec (mysql)", Mode: "safe", Requests: 50, Errors: 1, Rate: 612.4, P99: 25 * time.Millisecond,
			CPUPerMsg: 1234 * time.Microsecond, Ratio: 0.6124},
	}
	var buf bytes.Buffer
	WriteTable(&buf, sums, true)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want header, separator and 2 rows, got:\n%s", buf.String())
	}
	if !strings.HasPrefix(lines[1], "|---|") || strings.Count(lines[1], "---|") != strings.Count(lines[0], "|")-1 {
		t.Errorf("separator does not match header:\n%s\n%s", lines[0], lines[1])
	}
	for _, want := range []string{"| safe | fivec (mysql) | 50 | 1 |", "| 612 |", "| 25.00 ms |", "| 1234 µs | 61 % |"} {
		if !strings.Contains(lines[3], want) {
			t.Errorf("row %q lacks %q", lines[3], want)
		}
	}
	if !strings.Contains(lines[2], "| 1.50 ms |") || !strings.HasSuffix(lines[2], "| — | 100 % |") {
		t.Errorf("baseline row = %q", lines[2])
	}
}

// TestMessagesAreUnique checks the generator never repeats a dedupe key,
// which would turn fresh messages into (cheaper) duplicates.
func TestMessagesAreUnique(t *testing.T) {
	l := Load{Acct: benchAccount("plain"), Fans: 3, FanPrefix: "o_bench_fan_", FollowRatio: 0.5, IDs: NewIDSource()}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Unix(1700000000, 0)
	seen := map[string]bool{}
	follows := 0
	for range 1000 {
		m := l.message(rng, now)
		key := m.EventKey
		if m.MsgType == "text" {
			key = m.Content
			if m.MsgID == 0 {
				t.Fatal("text without MsgId")
			}
		} else {
			follows++
		}
		if seen[key] {
			t.Fatalf("repeated key %q", key)
		}
		seen[key] = true
		if !strings.HasPrefix(m.FromUserName, "o_bench_fan_0000") {
			t.Fatalf("openid %q outside the 3 fans", m.FromUserName)
		}
	}
	if follows < 400 || follows > 600 {
		t.Errorf("%d follows in 1000 with ratio 0.5", follows)
	}
	if _, _, err := fake.BuildCallback(benchAccount("safe"), l.message(rng, now), "1700000000", "1"); err != nil {
		t.Errorf("safe-mode account does not sign: %v", err)
	}
}
