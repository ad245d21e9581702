package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSoakFlags(t *testing.T) {
	if _, err := parseSoakFlags([]string{"-rate", "0"}, io.Discard); err == nil {
		t.Error("-rate 0 accepted")
	}
	if _, err := parseSoakFlags([]string{"-d", "10s", "-sample", "5s"}, io.Discard); err == nil || !strings.Contains(err.Error(), "4 samples") {
		t.Errorf("too few samples: %v", err)
	}
	o, err := parseSoakFlags(nil, io.Discard)
	if err != nil || o.rate != 100 || o.duration != 10*time.Minute || o.mode != "safe" {
		t.Fatalf("defaults: %+v %v", o, err)
	}
}

func TestQuarterGrowth(t *testing.T) {
	var ss []memSample
	for i := range 8 {
		ss = append(ss, memSample{RSS: float64(100 + 10*i)}) // 100..170
	}
	first, last, pct := quarterGrowth(ss, func(s memSample) float64 { return s.RSS })
	if first != 105 || last != 165 || pct < 57.1 || pct > 57.2 {
		t.Fatalf("growth: %v %v %v", first, last, pct)
	}
}

// TestSoakAgainstEcho paces the load against the in-process echo server
// with a stand-in /metrics: the rate holds, every answer checks out, and
// the report passes flat memory and fails growth.
func TestSoakAgainstEcho(t *testing.T) {
	acct := benchAccount("safe")
	rss := 50 << 20
	mux := http.NewServeMux()
	mux.Handle("/wechat", echoHandler(acct))
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "# HELP x\ngo_goroutines 12\ngo_memstats_heap_inuse_bytes 1.2e+07\nprocess_resident_memory_bytes %d\n", rss)
	})
	srv, err := startServer(mux)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	o := soakOptions{rate: 100, duration: 1200 * time.Millisecond, sample: 200 * time.Millisecond, workers: 32,
		timeout: 5 * time.Second, maxGrowth: 10}
	l := Load{URL: srv.URL + "/wechat", Acct: acct, Timeout: o.timeout, Fans: 10, FanPrefix: "o_t_", IDs: NewIDSource()}
	samples, c, elapsed := soak(context.Background(), l, o, srv.URL+"/metrics", io.Discard)
	if n := c.requests.Load(); n < 100 || n > 130 || c.errors.Load() != 0 || c.late.Load() != 0 {
		t.Fatalf("%d requests in %s, %d errors, %d late (first: %v); want about 120, none failed", n, elapsed, c.errors.Load(), c.late.Load(), c.firstErrors)
	}
	if len(samples) < 4 || samples[0].RSS != float64(rss) {
		t.Fatalf("samples: %+v", samples)
	}
	var out strings.Builder
	if !writeSoakReport(&out, o, samples, c, elapsed) || !strings.Contains(out.String(), "PASS") {
		t.Fatalf("flat memory did not pass:\n%s", out.String())
	}
	for i := range samples {
		samples[i].RSS *= 1 + float64(i)/float64(len(samples)) // grows to double
	}
	out.Reset()
	if writeSoakReport(&out, o, samples, c, elapsed) || !strings.Contains(out.String(), "FAIL") {
		t.Fatalf("growth passed:\n%s", out.String())
	}
}
