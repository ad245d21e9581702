package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// Report is one report area's answer: the console's tables, with the same
// numbers.
type Report struct {
	Area     string        `json:"area"`
	Range    string        `json:"range"`
	From     string        `json:"from"` // first day, account time zone
	To       string        `json:"to"`   // last day, included
	TimeZone string        `json:"time_zone"`
	Tables   []ReportTable `json:"tables"`
}

// ReportTable is one table: rows are objects keyed by column; durations
// are seconds, rates fractions (null when not measurable yet).
type ReportTable struct {
	Name    string           `json:"name"`
	Columns []string         `json:"columns"`
	Rows    []map[string]any `json:"rows"`
}

func (h *Handler) registerReports(g *gin.RouterGroup) {
	g.GET("/reports/:area", h.report)
	g.GET("/reports/:area/:table", h.reportCSV)
}

func (h *Handler) runReport(c *gin.Context) (models.Period, []models.Table, bool) {
	return web.RunReport(c, h.Store, h.Now(), h.Loc)
}

// report answers GET /reports/:area with every table of the area.
func (h *Handler) report(c *gin.Context) {
	p, tables, ok := h.runReport(c)
	if !ok {
		return
	}
	out := Report{Area: c.Param("area"), Range: p.Range, From: p.From.Format(time.DateOnly), To: p.LastDay(),
		TimeZone: h.Loc.String(), Tables: make([]ReportTable, 0, len(tables))}
	for _, t := range tables {
		out.Tables = append(out.Tables, ReportTable{Name: t.Name, Columns: t.Columns, Rows: t.Records()})
	}
	c.JSON(http.StatusOK, out)
}

// reportCSV answers GET /reports/:area/:table.csv with one table as CSV
// (machine column names, as in the JSON).
func (h *Handler) reportCSV(c *gin.Context) {
	p, t, ok := web.ReportCSVTable(c, h.Store, h.Now(), h.Loc)
	if ok {
		web.ServeCSV(c, p, t, t.Columns)
	}
}
