package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/net/netutil"

	"github.com/fivec/fivec/config"
	"github.com/fivec/fivec/metrics"
)

// Room left under the file limit for what fivec opens besides connections
// on FIVEC_ADDR: the database pool (32), the SQLite file and its WAL, the
// spool, outbound HTTP to WeChat and Redis, the metrics port, logs.
const (
	minFileHeadroom = 256
	// maxDefaultConns bounds the derived default: each open connection
	// costs a goroutine and buffers (about 20 KiB), and a process with a
	// million-file limit should not accept a million slow clients.
	maxDefaultConns = 16384
	// metricsConns caps the metrics port: a scraper or two, never a crowd.
	metricsConns = 32
)

// connLimit is the default cap on connections open at once on FIVEC_ADDR for
// a file limit of nofile: the limit less max(256, a tenth of it), within
// [16, maxDefaultConns]. 0 (limit unknown) gives the cap for 1024 files.
func connLimit(nofile uint64) int {
	if nofile == 0 {
		nofile = 1024
	}
	room := max(minFileHeadroom, nofile/10)
	if nofile <= room+16 {
		return 16
	}
	return int(min(nofile-room, maxDefaultConns))
}

// listeners opens the public listener, capped at maxConns connections (the
// rest wait in the kernel's backlog and cost no file), and the metrics
// listener unless FIVEC_METRICS_ADDR is off (then nil).
func listeners(cfg config.Config, maxConns int) (public, metricsLn net.Listener, err error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, nil, listenError("FIVEC_ADDR", cfg.Addr, err)
	}
	if cfg.MetricsAddr == "" {
		return netutil.LimitListener(ln, maxConns), nil, nil
	}
	ml, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		ln.Close()
		return nil, nil, listenError("FIVEC_METRICS_ADDR", cfg.MetricsAddr, err)
	}
	return netutil.LimitListener(ln, maxConns), netutil.LimitListener(ml, metricsConns), nil
}

// listenError says what to do when addr, set by the variable env, cannot
// be listened on; for a port in use it names another one to try.
func listenError(env, addr string, err error) error {
	if !errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s: %v", env, err)
	}
	try := "another port"
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if n, err := strconv.Atoi(port); err == nil && n > 0 && n < 65535 {
			try = env + "=" + net.JoinHostPort(host, strconv.Itoa(n+1))
		}
	}
	return fmt.Errorf("%s is already in use; set %s to another address, e.g. %s", addr, env, try)
}

// newHTTPServer is the public server. Its timeouts cut slow clients: headers
// within 5 s, the whole request (a callback is at most 1 MiB, a rules file
// 8 MiB) within 30 s. IdleTimeout stays above a reverse proxy's upstream
// keep-alive (nginx: 60 s) so the proxy never reuses a connection fivec is
// closing.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}

// newMetricsServer serves GET /metrics and nothing else.
func newMetricsServer(m *metrics.Metrics) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}
