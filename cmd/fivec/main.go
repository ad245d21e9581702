// Command fivec runs the fivec server: the WeChat callback, the staff
// console, the JSON API and the scheduled jobs. With no WeChat credentials it
// starts in sandbox mode with a built-in fake WeChat and a fan simulator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		// One line, naming what is wrong (config errors name the variable).
		fmt.Fprintln(os.Stderr, "fivec:", oneLine(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "healthcheck":
			return healthcheck(ctx, getenv)
		case "rules":
			return rulesCommand(ctx, args[1:], getenv, stdout, stderr)
		case "deliver":
			return deliverCommand(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("fivec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "optional YAML file with FIVEC_* keys (the environment wins)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr)
	a, err := newApp(ctx, *configPath, getenv, stdout, log)
	if err != nil {
		return err
	}
	return a.serve(ctx)
}

// newLogger logs JSON unless stderr is a terminal.
func newLogger(w io.Writer) *slog.Logger {
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
		}
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func oneLine(err error) string {
	var parts []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	if len(parts) == 0 {
		return errors.Unwrap(err).Error()
	}
	return strings.Join(parts, "; ")
}

// healthcheck asks the local server's /healthz (for Docker's HEALTHCHECK,
// where the image has no curl).
func healthcheck(ctx context.Context, getenv func(string) string) error {
	addr := getenv("FIVEC_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("FIVEC_ADDR: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %s", resp.Status)
	}
	return nil
}
