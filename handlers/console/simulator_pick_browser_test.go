package console_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestBrowserSimulatorPickFanWidth: with no fan chosen, the empty phone
// said "请在左侧选择" also at phone width, where the fan list stands above
// it. In Chromium (zh-CN) it points left at 1280 px and up at 390 px, and
// the fan list really is there.
func TestBrowserSimulatorPickFanWidth(t *testing.T) {
	br := browsertest.New(t, 60*time.Second)
	s := modelstest.MustOpen(t, "sqlite")
	a := newApp(t, s, true)
	a.staff("ann", models.RoleAdmin)
	srv := httptest.NewServer(a.router)
	defer srv.Close()
	ctx := br.Tab()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	br.Do(ctx, "log in", chromedp.Navigate(srv.URL+"/console/simulator"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "ann"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#new-fan")))
	for _, c := range []struct {
		width      int64
		want, not  string
		listBeside bool
	}{
		{1280, "请在左侧选择或新建一位粉丝。", "上方", true},
		{390, "请在上方选择或新建一位粉丝。", "左侧", false},
	} {
		br.Do(ctx, "width", chromedp.EmulateViewport(c.width, 900), chromedp.Navigate(srv.URL+"/console/simulator"),
			chromedp.WaitVisible(css("#sim-pick")))
		br.Shot(ctx, fmt.Sprintf("simulator-pick-%d", c.width))
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#sim-pick').innerText`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(shown) != c.want || strings.Contains(shown, c.not) {
			t.Errorf("%d px: the empty phone says %q, want %q", c.width, shown, c.want)
		}
		// Where the text points: the fan list's box against the phone's.
		beside, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
			const l = document.querySelector('.sim .fans').getBoundingClientRect();
			const p = document.querySelector('#sim-pick').getBoundingClientRect();
			return l.right <= p.left;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if beside != c.listBeside {
			t.Errorf("%d px: fan list beside the phone = %v, want %v", c.width, beside, c.listBeside)
		}
	}
}
