// Package browsertest drives fivec's web pages in headless Chromium for
// tests, with the flags this closed network needs, screenshots on request
// (FIVEC_SCREENSHOTS=<dir>) and a clean skip when Chromium is missing.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium is where Debian's chromium package installs the browser;
// FIVEC_TEST_CHROMIUM overrides it.
func Chromium() string {
	if p := os.Getenv("FIVEC_TEST_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// Browser is one headless Chromium for one test.
type Browser struct {
	t     *testing.T
	alloc context.Context
	shots string
}

// New starts Chromium for t, bounded by timeout, or skips t with a one-line
// hint when Chromium is not installed. extra adds allocator flags.
func New(t *testing.T, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) *Browser {
	t.Helper()
	if _, err := os.Stat(Chromium()); err != nil {
		t.Skip("browser tests skipped: install chromium (see .ci/run)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium()), chromedp.NoSandbox, chromedp.DisableGPU,
		// Without these Chromium's background connections pile up on a
		// network that reaches nothing.
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	opts = append(opts, extra...)
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	alloc, cancelT := context.WithTimeout(alloc, timeout)
	t.Cleanup(cancelT)
	return &Browser{t: t, alloc: alloc, shots: os.Getenv("FIVEC_SCREENSHOTS")}
}

// Tab opens the browser's first tab (the first call starts Chromium).
func (b *Browser) Tab() context.Context {
	ctx, cancel := chromedp.NewContext(b.alloc)
	b.t.Cleanup(cancel)
	return ctx
}

// Session opens a tab in a new browser context of parent's browser: its
// own cookies, so a second person can be logged in at the same time.
func (b *Browser) Session(parent context.Context) context.Context {
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	return ctx
}

// Do runs actions in ctx and fails the test naming step.
func (b *Browser) Do(ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// Until waits (up to 15 s) for a JavaScript condition to hold.
func (b *Browser) Until(ctx context.Context, step, js string) {
	b.t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// Shots reports whether screenshots were asked for.
func (b *Browser) Shots() bool { return b.shots != "" }

// Shot saves a full-page screenshot as <dir>/<name>.png when
// FIVEC_SCREENSHOTS=<dir> is set.
func (b *Browser) Shot(ctx context.Context, name string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644)
	}
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
}
