package console

import (
	"slices"
	"time"

	"github.com/fivec/fivec/models"
)

// reportChart is what reports.js hands to Chart.js for one table: the page
// embeds it as JSON (no inline script runs, so the CSP stays strict).
type reportChart struct {
	Canvas     string        `json:"canvas"` // the <canvas> id
	Type       string        `json:"type"`   // bar, line, doughnut
	Labels     []string      `json:"labels"`
	Series     []chartSeries `json:"series"`
	Horizontal bool          `json:"horizontal,omitempty"`
	Stacked    bool          `json:"stacked,omitempty"`
	Percent    bool          `json:"percent,omitempty"` // values are percentages
}

type chartSeries struct {
	Label string    `json:"label"`
	Data  []float64 `json:"data"`
	Type  string    `json:"type,omitempty"` // a line over bars
	Axis  string    `json:"axis,omitempty"` // "right": its own scale
}

// chartSpec says which columns of a table a chart draws.
type chartSpec struct {
	table, typ string
	x          string
	y          []string
	line       string // drawn as a line on its own scale over the bars
	horizontal bool
	stacked    bool
	percent    bool
}

// reportCharts are the charts of each area, one per table at most.
var reportCharts = map[string][]chartSpec{
	models.AreaGrowth: {
		{table: "growth_days", typ: "line", x: "day", y: []string{"follows", "unfollows", "net"}},
		{table: "growth_channels", typ: "bar", x: "channel", y: []string{"follows", "unfollows"}},
	},
	models.AreaFunnel: {
		{table: "funnel_levels", typ: "bar", x: "level", y: []string{"at_least", "members"}, horizontal: true},
		{table: "funnel_stages", typ: "bar", x: "stage", y: []string{"members", "subscribed"}},
	},
	models.AreaKeywords: {
		{table: "keyword_topics", typ: "bar", x: "rule", y: []string{"hits", "fans"}, horizontal: true},
		{table: "keyword_words", typ: "bar", x: "keyword", y: []string{"messages", "fans"}, horizontal: true},
	},
	models.AreaContent: {
		{table: "content_pushes", typ: "bar", x: "name", y: []string{"sent", "failed", "skipped"}, stacked: true},
		{table: "content_hours", typ: "bar", x: "hour", y: []string{"sent", "responded_24h"}, line: "response_rate"},
	},
	models.AreaService: {
		{table: "service_agents", typ: "bar", x: "agent", y: []string{"conversations", "resolved", "rated"}},
	},
	models.AreaPoints: {
		{table: "points_days", typ: "bar", x: "day", y: []string{"issued", "redeemed", "expired"}, line: "outstanding"},
		{table: "points_sources", typ: "bar", x: "source", y: []string{"earned", "spent"}},
	},
	models.AreaProfile: {
		{table: "profile_completeness", typ: "bar", x: "field", y: []string{"share"}, percent: true},
		{table: "profile_regions", typ: "doughnut", x: "region", y: []string{"members"}},
		{table: "profile_ages", typ: "bar", x: "age_band", y: []string{"members"}},
	},
}

// reportChart builds the chart of table t, if its area draws one. Totals
// rows are left out (they would dwarf the rest).
func (h *Handler) reportChart(lang, area string, t models.Table) (reportChart, bool) {
	i := slices.IndexFunc(reportCharts[area], func(s chartSpec) bool { return s.table == t.Name })
	if i < 0 {
		return reportChart{}, false
	}
	spec := reportCharts[area][i]
	ch := reportChart{Canvas: "chart-" + t.Name, Type: spec.typ, Horizontal: spec.horizontal, Stacked: spec.stacked, Percent: spec.percent}
	xi := slices.Index(t.Columns, spec.x)
	cols := append(slices.Clone(spec.y), spec.line)
	if spec.line == "" {
		cols = cols[:len(cols)-1]
	}
	for _, col := range cols {
		s := chartSeries{Label: h.Pages.T(lang, "reports.col."+col)}
		if col == spec.line {
			s.Type, s.Axis = "line", "right"
		}
		ch.Series = append(ch.Series, s)
	}
	for _, row := range t.Rows {
		if len(row) > 0 && row[0] == models.ReportTotal {
			continue
		}
		ch.Labels = append(ch.Labels, h.reportCell(lang, t, row, xi, row[xi]))
		for k, col := range cols {
			ch.Series[k].Data = append(ch.Series[k].Data, chartValue(row[slices.Index(t.Columns, col)]))
		}
	}
	return ch, true
}

// chartValue is a cell as a number: rates in percent, durations in minutes.
func chartValue(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case models.Ratio:
		f, _ := x.Value()
		return f * 100
	case time.Duration:
		return x.Minutes()
	}
	return 0
}
