package api_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

const seedPeriod = "range=custom&from=2030-05-08&to=2030-05-10"

func TestReportsAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		modelstest.SeedReports(t, s)
		e := newEnv(t, s)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		e.router = (&handlers.Server{Store: s, Metrics: metrics.New(), Log: log, Callback: &callback.Handler{},
			API: &api.Handler{Store: s, Log: log, Loc: time.FixedZone("CST", 8*3600), Now: func() time.Time { return modelstest.ReportNow }}}).Router()
		marketer, agent := e.token("mia", models.RoleMarketer), e.token("alex", models.RoleAgent)

		r := e.call(marketer, "GET", "/api/v1/reports/growth?"+seedPeriod, "")
		var rep api.Report
		r.decode(t, &rep)
		if r.status != 200 || rep.From != "2030-05-08" || rep.To != "2030-05-10" || rep.Range != "custom" || len(rep.Tables) != 2 {
			t.Fatalf("%d %+v", r.status, rep)
		}
		days := rep.Tables[0]
		if days.Name != "growth_days" || len(days.Rows) != 3 || days.Rows[1]["day"] != "2030-05-09" ||
			days.Rows[1]["follows"] != 1.0 || days.Rows[1]["unfollows"] != 1.0 || days.Rows[1]["net"] != 0.0 {
			t.Fatalf("days %+v", days)
		}
		// The same numbers as the console: shop kept its follower, the
		// search follower left within a day, 7-day retention not measurable.
		ch := rep.Tables[1].Rows
		if len(ch) != 3 || ch[1]["scene"] != "shop" || ch[1]["retained_1d"] != 1.0 || ch[0]["retained_1d"] != 0.0 ||
			ch[2]["scene"] != "*" || ch[2]["retained_1d"] != 0.5 || ch[2]["retained_7d"] != nil {
			t.Fatalf("channels %+v", ch)
		}
		csv := e.call(marketer, "GET", "/api/v1/reports/points/points_days.csv?"+seedPeriod, "")
		if csv.status != 200 || csv.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			csv.body != "\xEF\xBB\xBFday,issued,redeemed,expired,deducted,outstanding\n2030-05-08,30,0,0,0,30\n2030-05-09,0,0,0,0,30\n2030-05-10,0,0,0,0,30\n" {
			t.Fatalf("csv %d %v %q", csv.status, csv.header, csv.body)
		}
		kw := e.call(marketer, "GET", "/api/v1/reports/keywords?"+seedPeriod, "")
		if !strings.Contains(kw.body, `{"fans":1,"keyword":"价格","messages":1}`) || !strings.Contains(kw.body, `"question":"价格多少"`) {
			t.Fatalf("keywords %s", kw.body)
		}

		e.run(t, []check{
			{name: "agent growth", token: agent, method: "GET", path: "/api/v1/reports/growth", status: 403, code: "forbidden"},
			{name: "agent service", token: agent, method: "GET", path: "/api/v1/reports/service", status: 200, contains: `"name":"service_agents"`},
			{name: "no token", method: "GET", path: "/api/v1/reports/growth", status: 401, code: "unauthorized"},
			{name: "bad range", token: marketer, method: "GET", path: "/api/v1/reports/growth?range=14", status: 400, code: "invalid"},
			{name: "bad day", token: marketer, method: "GET", path: "/api/v1/reports/funnel?range=custom&from=1&to=2", status: 400, code: "invalid"},
			{name: "too long", token: marketer, method: "GET", path: "/api/v1/reports/funnel?range=custom&from=2020-01-01&to=2030-01-01", status: 400, code: "invalid"},
			{name: "unknown area", token: marketer, method: "GET", path: "/api/v1/reports/sales", status: 404, code: "not_found"},
			{name: "unknown table", token: marketer, method: "GET", path: "/api/v1/reports/growth/nope.csv", status: 404, code: "not_found"},
			{name: "profile", token: marketer, method: "GET", path: "/api/v1/reports/profile", status: 200, contains: `"name":"profile_ages"`},
		})
	})
}
