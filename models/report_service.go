package models

import "time"

// DurationColumns are the columns holding times (seconds in CSV and JSON).
var DurationColumns = map[string]bool{"avg_wait": true, "median_first_response": true, "avg_first_response": true, "avg_resolution": true}

// Tables returns the service report as service_agents and service_days;
// names maps staff ids to the names shown (id 0: never assigned).
func (r *ServiceReport) Tables(names map[uint64]string) []Table {
	cols := []string{"agent", "conversations", "assigned", "avg_wait", "responded", "median_first_response",
		"avg_first_response", "resolved", "avg_resolution", "rated", "avg_satisfaction"}
	dur := func(d time.Duration, n int) any {
		if n == 0 {
			return nil
		}
		return d
	}
	row := func(m AgentMetrics, agent string) []any {
		var sat any
		if m.Rated > 0 {
			sat = m.AvgSatisfaction
		}
		return []any{agent, int64(m.Conversations), int64(m.Assigned), dur(m.AvgWait, m.Assigned), int64(m.Responded),
			dur(m.MedianFirstResponse, m.Responded), dur(m.AvgFirstResponse, m.Responded), int64(m.Resolved),
			dur(m.AvgResolution, m.Resolved), int64(m.Rated), sat}
	}
	agents := Table{Name: "service_agents", Columns: cols}
	for _, m := range r.Agents {
		agents.Rows = append(agents.Rows, row(m, names[m.AgentID]))
	}
	agents.Rows = append(agents.Rows, row(r.Total, ReportTotal))
	days := Table{Name: "service_days", Columns: append([]string{"day"}, cols...)}
	for _, m := range r.Days {
		days.Rows = append(days.Rows, append([]any{m.Day}, row(m, names[m.AgentID])...))
	}
	return []Table{agents, days}
}
