package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/cmd/fivec/fivectest"
	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestPortInUseSaidAfterConfigDump: on a first start with the port taken
// (another fivec, another program), fivec printed its whole configuration
// and then "FIVEC_ADDR: listen tcp ...: bind: address already in use".
// It now says so in one line that names FIVEC_ADDR and an address to try,
// before anything else.
func TestPortInUseSaidAfterConfigDump(t *testing.T) {
	bin := buildOnce(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().(*net.TCPAddr)
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"FIVEC_ADDR=" + addr.String(), "FIVEC_METRICS_ADDR=127.0.0.1:0",
		"FIVEC_DB_DSN=" + filepath.Join(cmd.Dir, "fivec.db"), "PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1; output:\n%s", err, out)
	}
	want := fmt.Sprintf("fivec: %s is already in use; set FIVEC_ADDR to another address, e.g. FIVEC_ADDR=127.0.0.1:%d\n", addr, addr.Port+1)
	if string(out) != want {
		t.Errorf("output:\n%s\nwant exactly:\n%s", out, want)
	}
	if _, err := os.Stat(filepath.Join(cmd.Dir, "fivec.db")); err == nil {
		t.Errorf("the database was created although fivec could not start")
	}
}

// TestShutdownWaitedForInboxStreams: an agent's open inbox (its event
// stream) held SIGTERM for the full 15 s shutdown timeout. Streams now end
// as soon as shutdown starts, so the process exits at once.
func TestShutdownWaitedForInboxStreams(t *testing.T) {
	bin := buildOnce(t)
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			driverName, dsn := modelstest.DSN(t, driver)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			store, err := models.Open(ctx, driverName, dsn, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			o := fivectest.Options{Bin: bin, Dir: t.TempDir(), Name: "streams"}
			if driver == "mysql" {
				o.MySQLDSN = dsn
			} else {
				o.SQLitePath = dsn
			}
			s := startSandbox(t, ctx, o, store)
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.p.URL+"/console/inbox/events", nil)
			req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: s.cookie})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "retry:") || resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Fatalf("stream: %d %q %v", resp.StatusCode, line, err)
			}
			took, err := s.p.Terminate(20 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if took > 5*time.Second {
				t.Errorf("SIGTERM with an open inbox stream took %s to exit", took)
			}
			if log := fivectest.Tail(s.p.LogPath, 4000); strings.Contains(log, "http shutdown") || !strings.Contains(log, `"stopped"`) {
				t.Errorf("shutdown was not clean:\n%s", log)
			}
		})
	}
}
