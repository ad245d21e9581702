package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fivec/fivec/config"
	"github.com/fivec/fivec/handlers"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsNotOnMainPort: /metrics (traffic, latencies, job runs) used to
// be served to anyone who reached the public port. It is now only on its
// own listener, loopback by default, which serves nothing else; off means
// not at all.
func TestMetricsNotOnMainPort(t *testing.T) {
	a, base := startApp(t, nil)
	for _, path := range []string{"/metrics", "/metrics/", "/metrics?format=text"} {
		if code, body := httpGet(t, base+path); code != http.StatusNotFound || strings.Contains(body, "fivec_") {
			t.Errorf("main port %s: %d %.80q, want 404", path, code, body)
		}
	}
	for _, r := range a.router.Routes() {
		if r.Path == "/metrics" || strings.HasPrefix(r.Path, "/metrics/") {
			t.Errorf("the router has %s %s", r.Method, r.Path)
		}
	}
	m := "http://" + a.metricsListener.Addr().String()
	if code, body := httpGet(t, m+"/metrics"); code != 200 || !strings.Contains(body, "fivec_http_requests_total") {
		t.Errorf("metrics port: %d %.80q", code, body)
	}
	for _, path := range []string{"/healthz", "/console/", "/wechat", handlers.SandboxAPIPrefix + "/cgi-bin/token"} {
		if code, _ := httpGet(t, m+path); code != http.StatusNotFound {
			t.Errorf("metrics port serves %s: %d", path, code)
		}
	}
	host, _, _ := net.SplitHostPort(config.Defaults().MetricsAddr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("default FIVEC_METRICS_ADDR %q is not loopback", config.Defaults().MetricsAddr)
	}

	off, offBase := startApp(t, map[string]string{"FIVEC_METRICS_ADDR": "off"})
	if off.metricsListener != nil {
		t.Errorf("FIVEC_METRICS_ADDR=off still listens on %s", off.metricsListener.Addr())
	}
	if code, _ := httpGet(t, offBase+"/metrics"); code != http.StatusNotFound {
		t.Errorf("metrics off: main port /metrics %d", code)
	}
}

// TestSandboxFakeAPIBodyLimit: the fake WeChat API is mounted on the
// sandbox's port; a 30 MiB body to it is refused (413, errcode JSON)
// instead of being read into memory.
func TestSandboxFakeAPIBodyLimit(t *testing.T) {
	_, base := startApp(t, nil)
	resp, err := http.Post(base+handlers.SandboxAPIPrefix+"/cgi-bin/message/custom/send?access_token=x",
		"application/json", bytes.NewReader(bytes.Repeat([]byte("a"), 30<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		ErrCode int `json:"errcode"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != 413 || answer.ErrCode != 45002 {
		t.Errorf("30 MiB to the fake API: %d errcode %d (%v), want 413 / 45002", resp.StatusCode, answer.ErrCode, err)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStartLogsListenAddress: the addresses fivec listens on (and its
// connection cap) are in one log line at start, so an operator sees at once
// whether the sandbox is on loopback and where /metrics went.
func TestStartLogsListenAddress(t *testing.T) {
	env := map[string]string{"FIVEC_ADDR": "127.0.0.1:0", "FIVEC_METRICS_ADDR": "127.0.0.1:0", "FIVEC_MAX_CONNS": "77",
		"FIVEC_DB_DSN": filepath.Join(t.TempDir(), "fivec.db"), "FIVEC_ADMIN_PASSWORD": "violet-harbour-42"}
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, envOf(env), io.Discard, &logs) }()
	deadline := time.Now().Add(30 * time.Second)
	var err error
wait:
	for !strings.Contains(logs.String(), `"msg":"listening"`) && time.Now().Before(deadline) {
		select {
		case err = <-done:
			break wait
		case <-time.After(20 * time.Millisecond):
		}
	}
	// Stop it once it serves (cancelling while it loads is an error).
	for err == nil && time.Now().Before(deadline) {
		var rec struct{ Addr string }
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, `"msg":"listening"`) {
				_ = json.Unmarshal([]byte(l), &rec)
			}
		}
		if resp, gerr := http.Get("http://" + rec.Addr + "/readyz"); gerr == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err == nil {
		err = <-done
	}
	if err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	for _, l := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) == nil && rec["msg"] == "listening" {
			lines = append(lines, rec)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d listening lines in %s", len(lines), logs.String())
	}
	l := lines[0]
	if addr, _ := l["addr"].(string); !strings.HasPrefix(addr, "127.0.0.1:") || addr == "127.0.0.1:0" {
		t.Errorf("addr %v", l["addr"])
	}
	if m, _ := l["metrics"].(string); !strings.HasPrefix(m, "127.0.0.1:") {
		t.Errorf("metrics %v", l["metrics"])
	}
	if l["max_conns"] != float64(77) {
		t.Errorf("max_conns %v", l["max_conns"])
	}
}

// TestSlowBodyConnectionsCapped: 24,000 connections that sent headers and
// then trickled their body exhausted the 20k file limit, and /healthz timed
// out. fivec now holds at most FIVEC_MAX_CONNS connections at once (the
// others wait in the kernel's backlog, costing no file), and cuts each slow
// body at ReadTimeout, so the flood drains and /healthz answers.
func TestSlowBodyConnectionsCapped(t *testing.T) {
	const maxConns, slow = 8, 40
	peak := &countingListener{}
	a, base := startAppWith(t, map[string]string{"FIVEC_MAX_CONNS": fmt.Sprint(maxConns)}, func(a *app) {
		a.http.ReadHeaderTimeout, a.http.ReadTimeout = time.Second, time.Second
		peak.Listener = a.listener
		a.listener = peak
	})
	start := time.Now()
	var wg sync.WaitGroup
	var cut atomic.Int64
	for i := 0; i < slow; i++ {
		c, err := net.Dial("tcp", a.listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /wechat?timestamp=1&nonce=n&signature=x HTTP/1.1\r\nHost: fivec\r\nContent-Type: text/xml\r\nContent-Length: 1048576\r\n\r\n<xml>")
		wg.Add(2)
		stop := make(chan struct{})
		go func() { // a byte every 200 ms, never the whole body
			defer wg.Done()
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := c.Write([]byte("a")); err != nil {
						return
					}
				}
			}
		}()
		go func() { // until fivec drops it
			defer wg.Done()
			defer close(stop)
			_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
			if _, err := io.Copy(io.Discard, c); err == nil || !isTimeout(err) {
				cut.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := cut.Load(); n != slow {
		t.Errorf("%d of %d slow connections were cut within 60 s", n, slow)
	}
	if p := peak.peak.Load(); p > maxConns {
		t.Errorf("%d connections open at once, cap %d", p, maxConns)
	}
	// 40 slow bodies, 8 at a time, 1 s each: about 5 s.
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the flood took %s to drain", took)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("/healthz after the flood: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/healthz after the flood: %d", resp.StatusCode)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return err != nil && errors.As(err, &ne) && ne.Timeout()
}

// countingListener records the most connections open at once among those
// the wrapped listener accepted (a connection counts until it is closed).
type countingListener struct {
	net.Listener
	open, peak atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	n := l.open.Add(1)
	for p := l.peak.Load(); n > p && !l.peak.CompareAndSwap(p, n); p = l.peak.Load() {
	}
	return &countedConn{Conn: c, l: l}, nil
}

type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// TestConnLimitLeavesFileHeadroom: the default cap stays below the file
// limit with room for the database, spool and outbound calls, and within a
// memory-sane maximum.
func TestConnLimitLeavesFileHeadroom(t *testing.T) {
	for nofile, want := range map[uint64]int{10000: 9000, 20000: maxDefaultConns, 1024: 768, 0: 768, 4096: 3687, 100: 16, 1 << 20: maxDefaultConns} {
		if got := connLimit(nofile); got != want {
			t.Errorf("connLimit(%d) = %d, want %d", nofile, got, want)
		}
	}
	if n := fileLimit(); n > 0 && uint64(connLimit(n)) >= n {
		t.Errorf("file limit %d: cap %d leaves no headroom", n, connLimit(n))
	}
}
