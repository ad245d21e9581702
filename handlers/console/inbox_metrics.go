package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// maxReportDays bounds the period of the agent metrics page.
const maxReportDays = 92

type metricsData struct {
	From, To       string // YYYY-MM-DD, both days included
	ByAgent, ByDay metricsTable
}

// metricsTable is one table of the report.
type metricsTable struct {
	ID    string
	Daily bool
	Rows  []metricsRow
}

// metricsRow is one line of the report, formatted for people.
type metricsRow struct {
	Daily, Total                   bool // a row of the daily table; the totals row
	Day, Agent                     string
	Conversations, Responded       int
	MedianFirst, AvgFirst, AvgDone string
	Resolved, Rated                int
	Satisfaction                   string
}

// serviceMetrics shows, per agent and per day, conversations, first
// response and resolution times and satisfaction. ?from= and ?to= are days
// in the account time zone (default: the last 7 days).
func (h *Handler) serviceMetrics(c *gin.Context) {
	today := h.Now().In(h.Loc)
	day := func(s string, def time.Time) (time.Time, error) {
		if s == "" {
			return time.Date(def.Year(), def.Month(), def.Day(), 0, 0, 0, 0, h.Loc), nil
		}
		t, err := time.ParseInLocation("2006-01-02", s, h.Loc)
		if err != nil {
			return t, models.Errorf(models.EINVALID, "dates are YYYY-MM-DD")
		}
		return t, nil
	}
	from, err := day(c.Query("from"), today.AddDate(0, 0, -6))
	if err != nil {
		web.Error(c, err)
		return
	}
	to, err := day(c.Query("to"), today)
	if err != nil {
		web.Error(c, err)
		return
	}
	if to.Before(from) || to.Sub(from) > maxReportDays*24*time.Hour {
		web.Errorf(c, models.EINVALID, "choose a period of 1-%d days", maxReportDays)
		return
	}
	r, err := h.Store.ServiceMetrics(c.Request.Context(), from, to.AddDate(0, 0, 1), h.Loc)
	if err != nil {
		web.Error(c, err)
		return
	}
	names, err := h.staffNames(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	lang := h.lang(c)
	row := func(m models.AgentMetrics) metricsRow {
		out := metricsRow{Day: m.Day, Conversations: m.Conversations, Responded: m.Responded,
			Resolved: m.Resolved, Rated: m.Rated, MedianFirst: "—", AvgFirst: "—", AvgDone: "—", Satisfaction: "—"}
		out.Agent = names[m.AgentID]
		if m.AgentID == 0 {
			out.Agent = h.Pages.T(lang, "inbox.metrics.unassigned")
		} else if out.Agent == "" {
			out.Agent = "#" + strconv.FormatUint(m.AgentID, 10)
		}
		if m.Responded > 0 {
			out.MedianFirst, out.AvgFirst = h.span(lang, m.MedianFirstResponse), h.span(lang, m.AvgFirstResponse)
		}
		if m.Resolved > 0 {
			out.AvgDone = h.span(lang, m.AvgResolution)
		}
		if m.Rated > 0 {
			out.Satisfaction = strconv.FormatFloat(m.AvgSatisfaction, 'f', 1, 64)
		}
		return out
	}
	d := metricsData{From: from.Format("2006-01-02"), To: to.Format("2006-01-02"),
		ByAgent: metricsTable{ID: "metrics-agents"}, ByDay: metricsTable{ID: "metrics-days", Daily: true}}
	for _, m := range r.Agents {
		d.ByAgent.Rows = append(d.ByAgent.Rows, row(m))
	}
	if len(r.Agents) > 1 {
		total := row(r.Total)
		total.Agent, total.Total = h.Pages.T(lang, "inbox.metrics.everyone"), true
		d.ByAgent.Rows = append(d.ByAgent.Rows, total)
	}
	for i := len(r.Days) - 1; i >= 0; i-- { // newest day first
		day := row(r.Days[i])
		day.Daily = true
		d.ByDay.Rows = append(d.ByDay.Rows, day)
	}
	h.render(c, http.StatusOK, "inbox_metrics", h.page(c, "inbox", "inbox.metrics.title", d))
}
