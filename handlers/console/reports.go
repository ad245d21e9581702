package console

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// Reports: one page per area (tabs), each table with its chart and a CSV
// link. Admins and marketers see every area, agents the service report
// only (models.ReportAllowed).

func (h *Handler) registerReports(a *gin.RouterGroup) {
	a.GET("/reports", h.reportsHome)
	a.GET("/reports/:area", h.reportPage)
	a.GET("/reports/:area/:table", h.reportCSV)
}

// reportsHome opens the first area the staff member may see.
func (h *Handler) reportsHome(c *gin.Context) {
	c.Redirect(http.StatusFound, Base+"/reports/"+h.reportAreas(c)[0])
}

// reportAreas are the tabs the current staff member sees.
func (h *Handler) reportAreas(c *gin.Context) []string {
	var out []string
	for _, a := range models.ReportAreas {
		if models.ReportAllowed(web.CurrentStaff(c).Role, a) {
			out = append(out, a)
		}
	}
	return out
}

type reportData struct {
	Area, Range, From, To string
	Areas                 []string
	// Query is the period as an encoded query string for the tabs. It is a
	// template.URL: as a plain string html/template escapes it again inside
	// the href's query ("range%3d30"), and the tabs dropped the period.
	Query    template.URL
	Channel  string
	Channels []models.Channel // growth: the channel picker
	Tables   []reportTable
	Charts   []reportChart // drawn by reports.js from JSON
	TimeZone string
}

// reportTable is a table formatted for people.
type reportTable struct {
	Name    string
	Columns []string
	Num     []bool // right-aligned number columns
	Rows    [][]string
	Total   []bool // the row is a totals row
	CSV     string
	Chart   bool
}

// runReport checks the area and the role, reads the period and runs the
// area's report.
func (h *Handler) runReport(c *gin.Context) (models.Period, []models.Table, bool) {
	return web.RunReport(c, h.Store, h.Now(), h.Loc)
}

func (h *Handler) reportPage(c *gin.Context) {
	p, tables, ok := h.runReport(c)
	if !ok {
		return
	}
	area, lang := c.Param("area"), h.lang(c)
	q := url.Values{"range": {p.Range}}
	if p.Range == models.RangeCustom {
		q.Set("from", p.From.Format(time.DateOnly))
		q.Set("to", p.LastDay())
	}
	d := reportData{Area: area, Range: p.Range, From: p.From.Format(time.DateOnly), To: p.LastDay(), Areas: h.reportAreas(c),
		Query: template.URL(q.Encode()), Channel: c.DefaultQuery("channel", models.AllChannels), TimeZone: h.Loc.String()}
	if area == models.AreaGrowth {
		list, err := h.Store.ListChannels(c.Request.Context())
		if err != nil {
			web.Error(c, err)
			return
		}
		d.Channels = list
		if d.Channel != models.AllChannels {
			q.Set("channel", d.Channel)
		}
	}
	for _, t := range tables {
		rt := reportTable{Name: t.Name, CSV: Base + "/reports/" + area + "/" + t.Name + ".csv?" + q.Encode()}
		for _, col := range t.Columns {
			rt.Columns = append(rt.Columns, h.Pages.T(lang, "reports.col."+col))
		}
		rt.Num = make([]bool, len(t.Columns))
		for _, row := range t.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = h.reportCell(lang, t, row, i, v)
				if _, isText := v.(string); !isText && v != nil {
					rt.Num[i] = true
				}
			}
			rt.Rows = append(rt.Rows, cells)
			rt.Total = append(rt.Total, len(row) > 0 && row[0] == models.ReportTotal)
		}
		if ch, ok := h.reportChart(lang, area, t); ok {
			d.Charts = append(d.Charts, ch)
			rt.Chart = true
		}
		d.Tables = append(d.Tables, rt)
	}
	h.render(c, http.StatusOK, "reports", h.page(c, "reports", "reports.area."+area, d))
}

// reportCSV exports one table: translated column titles (durations in
// seconds, rates as fractions), codes in the staff member's language.
func (h *Handler) reportCSV(c *gin.Context) {
	p, t, ok := web.ReportCSVTable(c, h.Store, h.Now(), h.Loc)
	if !ok {
		return
	}
	lang := h.lang(c)
	header := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		header[i] = h.Pages.T(lang, "reports.col."+col)
		if models.DurationColumns[col] {
			header[i] += h.Pages.T(lang, "reports.seconds")
		}
	}
	out := models.Table{Name: t.Name, Columns: t.Columns}
	for _, row := range t.Rows {
		cells := slices.Clone(row)
		for i, v := range cells {
			if s, isText := v.(string); isText && codeColumns[t.Columns[i]] {
				cells[i] = h.codeLabel(lang, t.Columns[i], s)
			}
		}
		out.Rows = append(out.Rows, cells)
	}
	web.ServeCSV(c, p, out, header)
}

// codeColumns hold codes (levels, kinds, sources…) shown translated.
var codeColumns = map[string]bool{"level": true, "stage": true, "field": true, "from": true, "to": true, "kind": true, "source": true,
	"age_band": true, "scene": true, "segment": true, "agent": true, "region": true}

// runName is the name a broadcast run gives its push (models'
// broadcastRunName): "broadcast 1 run 2: <name>".
var runName = regexp.MustCompile(`^broadcast (\d+) run (\d+): (.*)$`)

// codeLabel translates a code of column col; other values show as they are.
func (h *Handler) codeLabel(lang, col, v string) string {
	key := ""
	switch {
	case v == models.ReportTotal:
		key = "total"
	case col == "agent" && v == "":
		key = "unassigned"
	case v == models.ChannelNone && col == "scene":
		key = "none"
	case v == models.ChannelReferral && col == "scene":
		key = "referral_codes"
	case v == models.RegionOther && col == "region":
		key = "other"
	case col == "segment" && strings.HasPrefix(v, "stage:"):
		return h.Pages.T(lang, "reports.v.stage") + ": " + h.codeLabel(lang, "stage", strings.TrimPrefix(v, "stage:"))
	case col == "scene" || col == "region" || col == "agent" || col == "segment":
		return v // a channel's scene, a region, a name: free text
	case slices.Contains(models.Stages, v) && (col == "stage" || col == "from" || col == "to"):
		return h.Pages.T(lang, "crm.stage."+v) // one name per stage across the console
	default:
		key = v
	}
	if s := h.Pages.T(lang, "reports.v."+key); s != "reports.v."+key {
		return s
	}
	return v
}

// reportCell formats one cell for the page.
func (h *Handler) reportCell(lang string, t models.Table, row []any, i int, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if t.Name == "growth_channels" && t.Columns[i] == "channel" && x == "" {
			return h.codeLabel(lang, "scene", row[0].(string))
		}
		if codeColumns[t.Columns[i]] {
			return h.codeLabel(lang, t.Columns[i], x)
		}
		if m := runName.FindStringSubmatch(x); m != nil {
			return h.Pages.T(lang, "reports.v.broadcast_run", m[3], m[2])
		}
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', 2, 64)
	case time.Duration:
		return h.span(lang, x)
	case models.Ratio:
		f, ok := x.Value()
		if !ok {
			return "—"
		}
		return strconv.FormatFloat(f*100, 'f', 1, 64) + "% (" + strconv.FormatInt(x.N, 10) + "/" + strconv.FormatInt(x.Of, 10) + ")"
	}
	return ""
}
