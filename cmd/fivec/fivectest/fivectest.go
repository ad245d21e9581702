// Package fivectest builds the fivec binary and runs it as child processes
// against the fake WeChat API, for the load benchmark and for tests that
// need real separate processes (several replicas on one database).
package fivectest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fivec/fivec/wechat/fake"
)

// AdminPassword seeds fivec's first console user (FIVEC_ADMIN_PASSWORD),
// so fivec does not print a generated one.
const AdminPassword = "bench-console-passphrase"

// Build compiles ./cmd/fivec of the module in dir into out.
func Build(ctx context.Context, dir, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/fivec")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/fivec: %v\n%s", err, b)
	}
	return nil
}

// ModuleRoot finds the directory holding fivec's go.mod, from the working
// directory upwards.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.Contains(string(b), "module github.com/fivec/fivec\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the fivec module (no go.mod of github.com/fivec/fivec found)")
		}
		dir = parent
	}
}

// Options says how to start one fivec process.
type Options struct {
	Bin      string
	Dir      string       // scratch directory: the SQLite file and the log
	Name     string       // file name prefix in Dir, e.g. "fivec-safe"
	Acct     fake.Account // FIVEC_WECHAT_*; safe mode when EncodingAESKey is set
	APIBase  string       // the fake WeChat API
	MySQLDSN string       // empty: SQLite
	// SQLitePath is the SQLite file (default Dir/Name.db); processes given
	// the same file share it.
	SQLitePath string
	// Env adds FIVEC_* settings (KEY=value), after the ones above.
	Env []string
	// Sandbox starts fivec without WeChat credentials (Acct and APIBase
	// are ignored): sandbox mode, with its built-in fake WeChat.
	Sandbox bool
}

// Proc is a running fivec binary.
type Proc struct {
	URL string // base URL
	// MetricsURL is the process's /metrics, on its own port
	// (FIVEC_METRICS_ADDR), not under URL.
	MetricsURL string
	LogPath    string
	cmd        *exec.Cmd
	exited     chan struct{}
	err        error // the process's exit status, once exited is closed
}

// Start starts the binary on a free loopback port and waits until
// /readyz answers 200.
func Start(ctx context.Context, o Options) (*Proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	metricsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	env := []string{
		"FIVEC_ADDR=127.0.0.1:" + strconv.Itoa(port),
		"FIVEC_METRICS_ADDR=127.0.0.1:" + strconv.Itoa(metricsPort),
		"FIVEC_ADMIN_PASSWORD=" + AdminPassword,
	}
	if !o.Sandbox {
		env = append(env, "FIVEC_WECHAT_APPID="+o.Acct.AppID, "FIVEC_WECHAT_APPSECRET="+o.Acct.AppSecret,
			"FIVEC_WECHAT_TOKEN="+o.Acct.Token, "FIVEC_WECHAT_API_BASE="+o.APIBase)
	}
	if o.Acct.EncodingAESKey != "" && !o.Sandbox {
		env = append(env, "FIVEC_WECHAT_AES_KEY="+o.Acct.EncodingAESKey)
	}
	if o.MySQLDSN != "" {
		env = append(env, "FIVEC_DB_DRIVER=mysql", "FIVEC_DB_DSN="+o.MySQLDSN)
	} else {
		path := o.SQLitePath
		if path == "" {
			path = filepath.Join(o.Dir, o.Name+".db")
		}
		env = append(env, "FIVEC_DB_DRIVER=sqlite", "FIVEC_DB_DSN="+path)
	}
	// Media files in Dir, shared by the processes started there (with
	// MySQL the default is the working directory, i.e. the checkout).
	if dir, err := filepath.Abs(filepath.Join(o.Dir, "media")); err == nil {
		env = append(env, "FIVEC_MEDIA_URL=file://"+filepath.ToSlash(dir))
	}
	env = append(env, o.Env...)
	// Keep PATH, HOME, GOMAXPROCS and the like, but no FIVEC_* of the caller.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FIVEC_") {
			env = append(env, kv)
		}
	}
	logPath := filepath.Join(o.Dir, o.Name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644) // a restart appends
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd := exec.Command(o.Bin)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start fivec: %w", err)
	}
	p := &Proc{URL: "http://127.0.0.1:" + strconv.Itoa(port), MetricsURL: "http://127.0.0.1:" + strconv.Itoa(metricsPort) + "/metrics",
		LogPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	if err := p.waitReady(ctx, 60*time.Second); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w (log: %s)\n%s", err, logPath, Tail(logPath, 2000))
	}
	return p, nil
}

// waitReady polls /readyz until it answers 200, the process exits or the
// timeout passes.
func (p *Proc) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("fivec exited before it was ready: %v", p.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := client.Get(p.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("fivec not ready after %s", timeout)
}

// Stop sends SIGTERM and waits for a clean shutdown, killing the process
// if it takes longer than 20 s.
func (p *Proc) Stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return errors.New("fivec did not stop within 20 s after SIGTERM; killed")
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return fmt.Errorf("fivec exited with %v (log: %s)", p.err, p.LogPath)
	}
	return p.err
}

// Kill ends the process with SIGKILL (no shutdown at all) and waits for it.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Terminate sends SIGTERM and returns how long the process took to exit,
// or an error if it did not within limit (it is then killed).
func (p *Proc) Terminate(limit time.Duration) (time.Duration, error) {
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return time.Since(start), nil
	case <-time.After(limit):
		p.Kill()
		return time.Since(start), fmt.Errorf("fivec did not exit within %s after SIGTERM; killed", limit)
	}
}

// CPU returns the user + system CPU time the process has used so far, from
// /proc/<pid>/stat (Linux; clock ticks of 1/100 s, the kernel's USER_HZ).
func (p *Proc) CPU() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name: state is field 3, utime
	// and stime are fields 14 and 15.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, errors.New("unexpected /proc stat format")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before fivec binds it; Start then fails and says so.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Tail returns the last n bytes of the file at path.
func Tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
