package console_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models/modelstest"
)

// TestBrowserReports opens the reports in Chromium and checks that Chart.js
// really drew: the chart holds the table's numbers and its canvas has
// coloured pixels. With FIVEC_SCREENSHOTS=<dir> it keeps a screenshot of
// every area.
func TestBrowserReports(t *testing.T) {
	br := browsertest.New(t, 120*time.Second)
	s := modelstest.MustOpen(t, "sqlite")
	a := reportApp(t, s)
	srv := httptest.NewServer(a.router)
	defer srv.Close()
	ctx := br.Tab()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	br.Do(ctx, "log in", chromedp.Navigate(srv.URL+"/console/reports/growth?"+seedPeriod), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "mia"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#report-tabs")))
	br.Do(ctx, "back to the period", chromedp.Navigate(srv.URL+"/console/reports/growth?"+seedPeriod), chromedp.WaitVisible(css("#table-growth_days")))
	br.Until(ctx, "chart drawn", `document.querySelector('#chart-growth_days').dataset.drawn === 'true'`)
	// The chart holds the table's numbers: follows 1, 1, 0 over the three days.
	br.Until(ctx, "chart data", `(function () {
		var c = Chart.getChart('chart-growth_days');
		return !!c && c.data.labels.join() === '2030-05-08,2030-05-09,2030-05-10' && c.data.datasets[0].data.join() === '1,1,0';
	})()`)
	// And it painted: some pixels of the canvas are not blank.
	br.Until(ctx, "canvas painted", `(function () {
		var cv = document.querySelector('#chart-growth_days');
		var d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
		var n = 0;
		for (var i = 3; i < d.length; i += 4) { if (d[i] > 0) { n++; } }
		return cv.width > 100 && n > 500;
	})()`)
	br.Shot(ctx, "reports-growth")

	// Typing a day of the period picks the custom range.
	br.Do(ctx, "pick 30 days", chromedp.SetValue(css("#report-range"), "30"), chromedp.SetValue(css(`input[name="from"]`), "2030-05-09"))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('input[name="from"]').dispatchEvent(new Event('change'))`)); err != nil {
		t.Fatal(err)
	}
	br.Until(ctx, "custom range", `document.querySelector('#report-range').value === 'custom'`)
	br.Do(ctx, "show", chromedp.Click(css(`#report-period button`)), chromedp.Sleep(time.Second), chromedp.WaitVisible(css("#table-growth_days")))
	br.Until(ctx, "two days", `document.querySelectorAll('#table-growth_days tbody tr').length === 2`)

	// A tab keeps the chosen period: its link carries range=custom&from=…
	// as a query, not the escaped "range%3dcustom" that dropped it.
	br.Until(ctx, "tab link", `document.querySelector('#report-tabs a[href^="/console/reports/funnel"]').getAttribute('href') === '/console/reports/funnel?from=2030-05-09&range=custom&to=2030-05-10'`)
	br.Do(ctx, "funnel tab", chromedp.Click(css(`#report-tabs a[href^="/console/reports/funnel"]`)), chromedp.WaitVisible(css("#report-funnel_stages, #report-period")))
	br.Until(ctx, "period kept", `location.pathname === '/console/reports/funnel' && document.querySelector('#report-range').value === 'custom' && document.querySelector('input[name="from"]').value === '2030-05-09'`)
	for _, w := range []int64{390, 1280} {
		br.Do(ctx, "width", chromedp.EmulateViewport(w, 900))
		br.Shot(ctx, fmt.Sprintf("reports-tabs-%d", w))
	}
	br.Do(ctx, "width back", chromedp.EmulateViewport(1280, 900))

	for _, area := range []string{"funnel", "keywords", "content", "service", "points", "profile"} {
		br.Do(ctx, area, chromedp.Navigate(srv.URL+"/console/reports/"+area+"?"+seedPeriod), chromedp.WaitVisible(css("#report-period")))
		br.Until(ctx, area+" charts drawn", `Array.from(document.querySelectorAll('canvas')).every(function (c) { return c.dataset.drawn === 'true'; })`)
		br.Shot(ctx, "reports-"+area)
	}
	br.Until(ctx, "profile chart data", `Chart.getChart('chart-profile_completeness').data.datasets[0].data.length === 6`)
}
