package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/models"
)

// RunReport answers the shared part of a report request for the console
// and the API: is the :area one the caller's role may see
// (models.ReportAllowed), the period (?range=7|30|90|custom, ?from=, ?to=,
// days in loc), the growth channel (?channel=), then the report itself.
// On failure it has answered already and ok is false.
func RunReport(c *gin.Context, store *models.Store, now time.Time, loc *time.Location) (p models.Period, tables []models.Table, ok bool) {
	area := c.Param("area")
	if !slices.Contains(models.ReportAreas, area) {
		Errorf(c, models.ENOTFOUND, "no such report")
		return p, nil, false
	}
	if st := CurrentStaff(c); st == nil || !models.ReportAllowed(st.Role, area) {
		Errorf(c, models.EFORBIDDEN, "your role cannot see this report")
		return p, nil, false
	}
	p, err := models.ReportPeriod(now, loc, c.Query("range"), c.Query("from"), c.Query("to"))
	if err == nil {
		tables, err = store.ReportTables(c.Request.Context(), area, p, models.ReportOptions{Channel: c.Query("channel")})
	}
	if err != nil {
		Error(c, err)
		return p, nil, false
	}
	return p, tables, true
}

// ReportCSVTable is RunReport for a CSV export: the :table parameter is
// "<table>.csv", and only that table is returned.
func ReportCSVTable(c *gin.Context, store *models.Store, now time.Time, loc *time.Location) (models.Period, models.Table, bool) {
	name, ok := strings.CutSuffix(c.Param("table"), ".csv")
	if !ok {
		Errorf(c, models.ENOTFOUND, "tables are exported as <name>.csv")
		return models.Period{}, models.Table{}, false
	}
	p, tables, ok := RunReport(c, store, now, loc)
	if !ok {
		return p, models.Table{}, false
	}
	t, err := models.FindTable(tables, name)
	if err != nil {
		Error(c, err)
		return p, models.Table{}, false
	}
	return p, t, true
}

// ServeCSV sends t as a CSV download named after the table and period,
// with header as its first line.
func ServeCSV(c *gin.Context, p models.Period, t models.Table, header []string) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+t.Name+"_"+p.From.Format("20060102")+"-"+
		p.To.AddDate(0, 0, -1).Format("20060102")+`.csv"`)
	c.Status(http.StatusOK)
	if err := models.WriteTableCSV(c.Writer, t, header); err != nil {
		Logger(c).Warn("report export cut short", "table", t.Name, "err", err)
	}
}
