package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
