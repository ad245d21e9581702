package models

import (
	"context"
	"slices"
	"sort"
	"time"
)

// AgentMetrics summarises Close Service conversations for one agent, per
// day or over a whole period. A conversation counts for the agent who held
// it last and for the day (account time zone) it was queued.
type AgentMetrics struct {
	Day     string // YYYY-MM-DD; "" for a period's total
	AgentID uint64 // 0: never assigned (resolved while waiting)
	// Conversations queued that day.
	Conversations int
	// Assigned is how many an agent took; AvgWait is their average time
	// from queueing to being taken.
	Assigned int
	AvgWait  time.Duration
	// Responded is how many got an agent reply; first-response times are
	// measured from queueing to that reply: what the fan waited.
	Responded           int
	MedianFirstResponse time.Duration
	AvgFirstResponse    time.Duration
	// Resolved conversations and their average time from queueing.
	Resolved      int
	AvgResolution time.Duration
	// Rated conversations and their average 1–5 satisfaction.
	Rated           int
	AvgSatisfaction float64
}

// ServiceReport is ServiceMetrics' answer.
type ServiceReport struct {
	Days   []AgentMetrics // by day, then agent id
	Agents []AgentMetrics // one per agent over the period, by agent id
	Total  AgentMetrics   // everyone over the period (AgentID 0)
}

// serviceReportPage is how many conversations ServiceMetrics reads per
// query: the period is read page by page, so the report covers every
// conversation however many there are, and no one query holds them all.
const serviceReportPage = 10000

// ServiceMetrics reports on conversations queued in [from, to), with days
// cut in loc.
func (s *Store) ServiceMetrics(ctx context.Context, from, to time.Time, loc *time.Location) (*ServiceReport, error) {
	if !from.Before(to) {
		return nil, Errorf(EINVALID, "the period is empty")
	}
	page := serviceReportPage
	if s.reportPage > 0 {
		page = s.reportPage
	}
	type key struct {
		day   string
		agent uint64
	}
	days := map[key]*acc{}
	agents := map[uint64]*acc{}
	total := &acc{}
	// Pages follow the queue-time index: (queued_at, id) after the last row.
	var lastQ time.Time
	var lastID uint64
	for {
		var convs []Conversation
		q := s.db.WithContext(ctx).
			Select("id, agent_id, state, queued_at, assigned_at, first_response_at, resolved_at, satisfaction").
			Where("queued_at >= ? AND queued_at < ?", from.UTC(), to.UTC())
		if lastID != 0 {
			q = q.Where("queued_at >= ? AND (queued_at > ? OR id > ?)", lastQ, lastQ, lastID)
		}
		err := q.Order("queued_at, id").Limit(page).Find(&convs).Error
		if err != nil {
			return nil, translate("service metrics", err)
		}
		for i := range convs {
			c := &convs[i]
			var agent uint64
			if c.AgentID != nil {
				agent = *c.AgentID
			}
			k := key{c.QueuedAt.In(loc).Format("2006-01-02"), agent}
			if days[k] == nil {
				days[k] = &acc{}
			}
			if agents[agent] == nil {
				agents[agent] = &acc{}
			}
			for _, a := range []*acc{days[k], agents[agent], total} {
				a.add(c)
			}
		}
		if len(convs) < page {
			break
		}
		lastQ, lastID = convs[len(convs)-1].QueuedAt, convs[len(convs)-1].ID
	}
	r := &ServiceReport{Total: total.metrics("", 0)}
	for k, a := range days {
		r.Days = append(r.Days, a.metrics(k.day, k.agent))
	}
	sort.Slice(r.Days, func(i, j int) bool {
		if r.Days[i].Day != r.Days[j].Day {
			return r.Days[i].Day < r.Days[j].Day
		}
		return r.Days[i].AgentID < r.Days[j].AgentID
	})
	for id, a := range agents {
		r.Agents = append(r.Agents, a.metrics("", id))
	}
	sort.Slice(r.Agents, func(i, j int) bool { return r.Agents[i].AgentID < r.Agents[j].AgentID })
	return r, nil
}

// acc accumulates one row of the report.
type acc struct {
	n           int
	assigned    int
	waitSum     time.Duration
	first       []time.Duration
	resolved    int
	resolveSum  time.Duration
	rated, star int
}

func (a *acc) add(c *Conversation) {
	a.n++
	if c.AssignedAt != nil {
		a.assigned++
		a.waitSum += max(0, c.AssignedAt.Sub(c.QueuedAt))
	}
	if c.FirstResponseAt != nil {
		a.first = append(a.first, max(0, c.FirstResponseAt.Sub(c.QueuedAt)))
	}
	if c.State == ConvResolved && c.ResolvedAt != nil {
		a.resolved++
		a.resolveSum += max(0, c.ResolvedAt.Sub(c.QueuedAt))
	}
	if c.Satisfaction != nil {
		a.rated++
		a.star += *c.Satisfaction
	}
}

func (a *acc) metrics(day string, agent uint64) AgentMetrics {
	m := AgentMetrics{Day: day, AgentID: agent, Conversations: a.n, Responded: len(a.first),
		Resolved: a.resolved, Rated: a.rated, Assigned: a.assigned}
	if a.assigned > 0 {
		m.AvgWait = a.waitSum / time.Duration(a.assigned)
	}
	if len(a.first) > 0 {
		sorted := slices.Clone(a.first)
		slices.Sort(sorted)
		var sum time.Duration
		for _, d := range sorted {
			sum += d
		}
		m.AvgFirstResponse = sum / time.Duration(len(sorted))
		mid := len(sorted) / 2
		m.MedianFirstResponse = sorted[mid]
		if len(sorted)%2 == 0 {
			m.MedianFirstResponse = (sorted[mid-1] + sorted[mid]) / 2
		}
	}
	if a.resolved > 0 {
		m.AvgResolution = a.resolveSum / time.Duration(a.resolved)
	}
	if a.rated > 0 {
		m.AvgSatisfaction = float64(a.star) / float64(a.rated)
	}
	return m
}
