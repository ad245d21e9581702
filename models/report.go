package models

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Reports: numbers marketers decide from. Every report aggregates in SQL
// (GROUP BY, SUM(CASE …)) so it reads groups, not members, and gives the
// same numbers on SQLite and MySQL; days and hours are cut in the account
// time zone. docs/reports.md says what each number means.

// Report periods a marketer can pick.
const (
	Range7      = "7"
	Range30     = "30"
	Range90     = "90"
	RangeCustom = "custom"
	// MaxReportDays bounds a custom period.
	MaxReportDays = 366
	// ReportTotal marks a table's totals row (every channel, every agent).
	ReportTotal = "*"
)

// Period is a report's time range: whole days [From, To) in Loc.
type Period struct {
	From, To time.Time // local midnights
	Loc      *time.Location
	Range    string // 7, 30, 90 or custom
	Now      time.Time
}

// ReportPeriod reads a period: the last 7, 30 or 90 days (today included),
// or a custom range of days YYYY-MM-DD, both included. rng "" means 7.
func ReportPeriod(now time.Time, loc *time.Location, rng, from, to string) (Period, error) {
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	p := Period{Loc: loc, Range: rng, Now: now.UTC()}
	switch rng {
	case "", Range7, Range30, Range90:
		n := 7
		if rng != "" {
			n, _ = strconv.Atoi(rng)
		}
		p.Range = strconv.Itoa(n)
		p.From, p.To = today.AddDate(0, 0, 1-n), today.AddDate(0, 0, 1)
		return p, nil
	case RangeCustom:
		f, err1 := time.ParseInLocation(time.DateOnly, from, loc)
		t, err2 := time.ParseInLocation(time.DateOnly, to, loc)
		if err1 != nil || err2 != nil {
			return p, Errorf(EINVALID, "from and to must be days like 2026-01-31")
		}
		if t.Before(f) {
			return p, Errorf(EINVALID, "the period ends before it starts")
		}
		p.From, p.To = f, t.AddDate(0, 0, 1)
		if len(p.Days()) > MaxReportDays {
			return p, Errorf(EINVALID, "a period is at most %d days", MaxReportDays)
		}
		return p, nil
	}
	return p, Errorf(EINVALID, "range must be 7, 30, 90 or custom")
}

// Days lists the period's days, oldest first.
func (p Period) Days() []string {
	var out []string
	for d := p.From; d.Before(p.To); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// LastDay is the period's last day (To is the midnight after it).
func (p Period) LastDay() string { return p.To.AddDate(0, 0, -1).Format(time.DateOnly) }

// span is a stretch of the period with one UTC offset: day numbers in SQL
// add the offset to UTC times, so a zone with daylight saving is cut where
// its offset changes (at a local midnight) and queried once per span.
type span struct {
	start, end time.Time
	offset     int // seconds east of UTC
}

func (p Period) spans() []span {
	var out []span
	for d := p.From; d.Before(p.To); d = d.AddDate(0, 0, 1) {
		_, off := d.Zone()
		if len(out) > 0 && out[len(out)-1].offset == off {
			out[len(out)-1].end = d.AddDate(0, 0, 1).UTC()
			continue
		}
		out = append(out, span{start: d.UTC(), end: d.AddDate(0, 0, 1).UTC(), offset: off})
	}
	return out
}

// localFormat is SQL for col (a UTC time) shifted by offset seconds and
// formatted with layout ("%Y-%m-%d" or "%H"; the same codes on both).
func (s *Store) localFormat(col, layout string, offset int) string {
	if s.driver == "mysql" {
		return fmt.Sprintf("DATE_FORMAT(DATE_ADD(%s, INTERVAL %d SECOND), '%s')", col, offset, layout)
	}
	return fmt.Sprintf("strftime('%s', %s, '%+d seconds')", layout, col, offset)
}

// within is SQL for "a is after b by at most d".
func (s *Store) within(a, b string, d time.Duration) string {
	secs := int64(d / time.Second)
	if s.driver == "mysql" {
		return fmt.Sprintf("(%s > %s AND %s <= DATE_ADD(%s, INTERVAL %d SECOND))", a, b, a, b, secs)
	}
	return fmt.Sprintf("(%s > %s AND julianday(%s) <= julianday(%s) + %d / 86400.0)", a, b, a, b, secs)
}

// Ratio is part of a whole (a retention or delivery rate). A zero whole is
// "not measurable yet": shown as —, exported empty, null in JSON.
type Ratio struct{ N, Of int64 }

// Value is the ratio as a fraction, ok false when not measurable.
func (r Ratio) Value() (float64, bool) {
	if r.Of <= 0 {
		return 0, false
	}
	return float64(r.N) / float64(r.Of), true
}

// Table is one table of a report, as the console shows it, the CSV export
// writes it and the API returns it. Columns are stable machine names (the
// console translates them). A cell is a string, an int64, a float64, a
// Ratio, a time.Duration or nil (no value).
type Table struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"-"`
}

// Records returns the rows as JSON objects keyed by column: durations in
// seconds, ratios as fractions (null when not measurable).
func (t Table) Records() []map[string]any {
	out := make([]map[string]any, 0, len(t.Rows))
	for _, row := range t.Rows {
		rec := make(map[string]any, len(row))
		for i, v := range row {
			rec[t.Columns[i]] = jsonCell(v)
		}
		out = append(out, rec)
	}
	return out
}

func jsonCell(v any) any {
	switch x := v.(type) {
	case Ratio:
		if f, ok := x.Value(); ok {
			return round4(f)
		}
		return nil
	case time.Duration:
		return x.Seconds()
	case float64:
		return round4(x)
	}
	return v
}

func round4(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 4, 64), 64)
	return v
}

// WriteTableCSV writes t as CSV for spreadsheets: UTF-8 with a byte-order
// mark (Excel then reads Chinese correctly), header the given column
// titles, durations in seconds, ratios as fractions, text that could run
// as a formula quoted.
func WriteTableCSV(w io.Writer, t Table, header []string) error {
	if _, err := io.WriteString(w, "\xEF\xBB\xBF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	rec := make([]string, len(t.Columns))
	for _, row := range t.Rows {
		for i, v := range row {
			rec[i] = csvCell(v)
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

func csvCell(v any) string {
	switch x := jsonCell(v).(type) {
	case nil:
		return ""
	case string:
		return csvSafe(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}
