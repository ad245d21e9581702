package main

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
)

// visibleJS lists the text a person sees on the page: text nodes of
// rendered elements (not scripts, code or .mono values), placeholders,
// titles and confirmation questions.
const visibleJS = `(() => {
  const out = [];
  const skip = el => el.closest('script,style,code,pre,textarea,.mono,[hidden]');
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = w.nextNode());) {
    const el = n.parentElement;
    if (!el || skip(el) || el.getClientRects().length === 0) continue;
    if (n.data.trim()) out.push(n.data);
  }
  for (const el of document.querySelectorAll('[placeholder],[title],[data-confirm]')) {
    if (skip(el)) continue;
    for (const a of ['placeholder', 'title', 'data-confirm']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
  }
  return JSON.stringify(out);
})()`

// zhBrowser logs role in to the app's console in a fresh browser session.
func zhBrowser(t *testing.T, br *browsertest.Browser, parent context.Context, base, role string) context.Context {
	t.Helper()
	ctx := br.Session(parent)
	br.Do(ctx, "log in as "+role, chromedp.Navigate(base+"/console/login"), chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "crawl-"+role), chromedp.SendKeys(chromedp.CSS("#password"), "crawl-pass-123"),
		chromedp.Click(chromedp.CSS("#login")), chromedp.WaitReady(chromedp.CSS("#account")))
	return ctx
}

// TestConsoleChineseInBrowser opens the main console pages in Chromium at
// 1280 px and 390 px, as admin, agent and marketer in zh-CN with seeded
// data, and fails on visible English (the same detector as
// TestConsoleSpeaksChinese, on what the browser renders). With
// FIVEC_SCREENSHOTS=<dir> it keeps screenshots of each page at each width.
func TestConsoleChineseInBrowser(t *testing.T) {
	// Chromium in Chinese, as staff run it: its own widgets (the file
	// picker's "Choose File") follow the browser's language.
	br := browsertest.New(t, 4*time.Minute, chromedp.Flag("lang", "zh-CN"))
	c := newCrawler(t, "sqlite")
	sd := seedZH(t, c)
	if dir := os.Getenv("FIVEC_SCREENSHOTS"); dir != "" {
		_ = os.MkdirAll(dir, 0o755)
	}
	base := c.a.baseURL
	root := br.Tab()
	br.Do(root, "start", chromedp.Navigate("about:blank"))
	pages := map[string][]string{
		models.RoleAdmin: {"/console/members", "/console/members/" + sd.openID, "/console/inbox?filter=open",
			"/console/inbox/" + sd.params["/console/inbox/:id"], "/console/broadcasts/" + itoa(sd.broadcast),
			"/console/broadcasts/" + sd.params["/console/broadcasts/:id/runs/:run"],
			"/console/reports/content", "/console/staff", "/console/audit", "/console/menu", "/console/rules", "/console/tokens"},
		models.RoleAgent: {"/console/broadcasts/new", "/console/broadcasts/" + itoa(sd.broadcast) + "/edit", "/console/canned",
			"/console/inbox/" + sd.params["/console/inbox/:id"], "/console/staff", "/console/media"},
		models.RoleMarketer: {"/console/members/" + sd.openID, "/console/broadcasts", "/console/segments/" + sd.params["/console/segments/:id"], "/console/media"},
	}
	for _, role := range anyStaff {
		ctx := zhBrowser(t, br, root, base, role)
		for _, width := range []int64{1280, 390} {
			br.Do(ctx, "viewport", chromedp.EmulateViewport(width, 900))
			for i, p := range pages[role] {
				br.Do(ctx, "open "+p, chromedp.Navigate(base+p), chromedp.WaitReady(chromedp.CSS("#account")))
				raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](visibleJS))
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				var texts []string
				if err := json.Unmarshal([]byte(raw), &texts); err != nil {
					t.Fatal(err)
				}
				if len(texts) < 5 {
					t.Errorf("%s %s at %d px: almost no text (%q)", role, p, width, texts)
				}
				for _, s := range texts {
					if e := englishSentence(s); e != "" {
						t.Errorf("%s %s at %d px: English on a Chinese page: %q", role, p, width, e)
					}
				}
				br.Shot(ctx, role+"-"+strconv.Itoa(i)+"-"+strconv.FormatInt(width, 10))
			}
		}
	}
}
