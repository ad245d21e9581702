package console_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// reportApp is the console over SeedReports' history, its clock at
// modelstest.ReportNow.
func reportApp(t *testing.T, s *models.Store) *app {
	modelstest.SeedReports(t, s)
	a := newApp(t, s, false, func(a *app, h *console.Handler) { h.Loc = time.FixedZone("CST", 8*3600) })
	a.now = modelstest.ReportNow
	a.staff("mia", models.RoleMarketer)
	a.staff("alex", models.RoleAgent)
	return a
}

const seedPeriod = "range=custom&from=2030-05-08&to=2030-05-10"

func TestReportPagesAndCSV(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := reportApp(t, s)
		b := a.browser().login("mia")
		r := b.get("/console/reports")
		if r.Code != 302 || r.Header().Get("Location") != "/console/reports/growth" {
			t.Fatalf("home: %d %s", r.Code, r.Header().Get("Location"))
		}
		expect(t, b.get("/console/reports/growth?"+seedPeriod), 200, `id="report-tabs"`, "每日关注与取关", `id="chart-growth_days"`,
			`href="/console/reports/growth/growth_days.csv?from=2030-05-08&amp;range=custom&amp;to=2030-05-10"`,
			"无渠道（搜索、名片等）", "0.0% (0/1)", `id="report-charts"`, `"canvas":"chart-growth_days"`,
			`=HYPERLINK(&#34;x&#34;),门店`)
		// Every area renders, with every text translated (no raw keys).
		rawKey := regexp.MustCompile(`reports\.[a-z_]+\.[a-z0-9_]+`)
		for _, area := range models.ReportAreas {
			for _, lang := range []string{"", "en"} {
				page := b.get("/console/reports/" + area + "?range=30")
				if lang == "en" {
					page = b.do("GET", "/console/reports/"+area+"?range=30", nil, map[string]string{"Cookie": "fivec_lang=en"})
				}
				expect(t, page, 200, `id="report-period"`)
				if m := rawKey.FindString(strings.ReplaceAll(page.body(), "/console/static/reports.", "")); m != "" {
					t.Fatalf("%s: untranslated %q", area, m)
				}
			}
		}

		csv := b.get("/console/reports/growth/growth_channels.csv?" + seedPeriod)
		expect(t, csv, 200)
		if ct := csv.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Fatalf("content type %q", ct)
		}
		if cd := csv.Header().Get("Content-Disposition"); cd != `attachment; filename="growth_channels_20300508-20300510.csv"` {
			t.Fatalf("disposition %q", cd)
		}
		want := "\xEF\xBB\xBF场景值,渠道,关注,取关,净增,1 天留存,7 天留存,30 天留存\n" +
			"无渠道（搜索、名片等）,,1,1,0,0,,\n" + // b: 26 h old, left after 2 h
			`shop,"'=HYPERLINK(""x""),门店",1,0,1,1,,` + "\n" +
			"全部,,2,1,1,0.5,,\n"
		if csv.body() != want {
			t.Fatalf("csv:\n%q\nwant\n%q", csv.body(), want)
		}
		days := b.get("/console/reports/growth/growth_days.csv?" + seedPeriod + "&channel=shop")
		if !strings.HasSuffix(days.body(), "日期,关注,取关,净增\n2030-05-08,1,0,1\n2030-05-09,0,0,0\n2030-05-10,0,0,0\n") {
			t.Fatalf("shop days: %q", days.body())
		}
		svc := b.get("/console/reports/service/service_agents.csv?range=7")
		if !strings.Contains(svc.body(), "平均等待（秒）") {
			t.Fatalf("duration columns say their unit: %q", svc.body())
		}

		// Bad input: a clear error, nothing run.
		expect(t, b.get("/console/reports/growth?range=14"), 400, "range must be 7, 30, 90 or custom")
		expect(t, b.get("/console/reports/growth?range=custom&from=2030-05-09&to=2030-05-01"), 400, "the period ends before it starts")
		expect(t, b.get("/console/reports/growth?range=custom&from=yesterday&to=2030-05-01"), 400, "from and to must be days")
		expect(t, b.get("/console/reports/growth?channel=%3Cx%3E"), 400, "unknown channel")
		expect(t, b.get("/console/reports/sales"), 404)
		expect(t, b.get("/console/reports/growth/nope.csv"), 404)
		expect(t, b.get("/console/reports/growth/growth_days"), 404)
	})
}

// Agents see the service report only; marketers and admins see all.
func TestReportRoles(t *testing.T) {
	t.Parallel()
	s := modelstest.MustOpen(t, "sqlite")
	a := reportApp(t, s)
	b := a.browser().login("alex")
	r := b.get("/console/reports")
	if r.Code != 302 || r.Header().Get("Location") != "/console/reports/service" {
		t.Fatalf("agent home: %d %s", r.Code, r.Header().Get("Location"))
	}
	page := b.get("/console/reports/service")
	expect(t, page, 200, "各客服")
	if strings.Contains(page.body(), `href="/console/reports/growth`) {
		t.Fatal("an agent is offered the growth tab")
	}
	for _, path := range []string{"/console/reports/growth", "/console/reports/points", "/console/reports/growth/growth_days.csv"} {
		expect(t, b.get(path), 403)
	}
	expect(t, b.get("/console/reports/service/service_days.csv"), 200)
	expect(t, a.browser().get("/console/reports/growth"), 303) // not logged in: to the login page
}
