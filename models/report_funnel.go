package models

import (
	"context"
	"slices"
	"sort"
)

// FunnelStep is one rung of the level ladder or one lifecycle stage, now.
type FunnelStep struct {
	Key        string // a level or stage
	Members    int64  // members on this rung now
	Subscribed int64  // of them, still following
	// AtLeast counts members on this rung or a higher one: the funnel.
	AtLeast int64
}

// FunnelMove counts members who moved from one level (or stage) to another
// in the period, from the member_changes history.
type FunnelMove struct {
	Field    string // level or stage
	From, To string
	Members  int64 // distinct members
	Moves    int64 // changes (a member may move more than once)
}

// FunnelDay counts the period's moves into each rung per day.
type FunnelDay struct {
	Day   string
	Field string
	To    string
	Moves int64
}

// FunnelReport is the Funnel tab.
type FunnelReport struct {
	Period Period
	Levels []FunnelStep // lowest rung first
	Stages []FunnelStep
	Moves  []FunnelMove
	Days   []FunnelDay
}

// Funnel counts members by interaction level and lifecycle stage now, and
// the moves between them during the period.
func (s *Store) Funnel(ctx context.Context, p Period) (*FunnelReport, error) {
	r := &FunnelReport{Period: p}
	var err error
	if r.Levels, err = s.funnelSteps(ctx, "level", Levels); err != nil {
		return nil, err
	}
	if r.Stages, err = s.funnelSteps(ctx, "stage", Stages); err != nil {
		return nil, err
	}
	err = s.db.WithContext(ctx).Model(&MemberChange{}).
		Select("field, `from` AS `from`, `to` AS `to`, COUNT(DISTINCT member_id) AS members, COUNT(*) AS moves").
		Where("created_at >= ? AND created_at < ?", p.From.UTC(), p.To.UTC()).
		Group("field, `from`, `to`").Scan(&r.Moves).Error
	if err != nil {
		return nil, translate("funnel moves", err)
	}
	rank := func(field, v string) int {
		if field == "stage" {
			return slices.Index(Stages, v)
		}
		return slices.Index(Levels, v)
	}
	sort.Slice(r.Moves, func(i, j int) bool {
		a, b := r.Moves[i], r.Moves[j]
		if a.Field != b.Field {
			return a.Field > b.Field // stage, then level
		}
		if a.To != b.To {
			return rank(a.Field, a.To) < rank(b.Field, b.To)
		}
		return rank(a.Field, a.From) < rank(b.Field, b.From)
	})
	for _, sp := range p.spans() {
		var rows []FunnelDay
		err := s.db.WithContext(ctx).Model(&MemberChange{}).
			Select(s.localFormat("created_at", "%Y-%m-%d", sp.offset)+" AS day, field, `to` AS `to`, COUNT(*) AS moves").
			Where("created_at >= ? AND created_at < ?", sp.start, sp.end).
			Group("day, field, `to`").Scan(&rows).Error
		if err != nil {
			return nil, translate("funnel days", err)
		}
		r.Days = append(r.Days, rows...)
	}
	sort.Slice(r.Days, func(i, j int) bool {
		a, b := r.Days[i], r.Days[j]
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		if a.Field != b.Field {
			return a.Field > b.Field
		}
		return rank(a.Field, a.To) < rank(b.Field, b.To)
	})
	return r, nil
}

// funnelSteps counts members per value of col (an indexed column), in
// ladder order, with the cumulative "at least" count from the top.
func (s *Store) funnelSteps(ctx context.Context, col string, ladder []string) ([]FunnelStep, error) {
	var rows []struct {
		Key        string
		Members    int64
		Subscribed int64
	}
	err := s.db.WithContext(ctx).Model(&Member{}).
		Select(col + " AS `key`, COUNT(*) AS members, SUM(CASE WHEN subscribed THEN 1 ELSE 0 END) AS subscribed").
		Group(col).Scan(&rows).Error
	if err != nil {
		return nil, translate("funnel", err)
	}
	out := make([]FunnelStep, len(ladder))
	for i, k := range ladder {
		out[i].Key = k
	}
	for _, row := range rows {
		if i := slices.Index(ladder, row.Key); i >= 0 {
			out[i].Members, out[i].Subscribed = row.Members, row.Subscribed
		}
	}
	var above int64
	for i := len(out) - 1; i >= 0; i-- {
		above += out[i].Members
		out[i].AtLeast = above
	}
	return out, nil
}

// Tables returns funnel_levels, funnel_stages, funnel_moves and funnel_days.
func (r *FunnelReport) Tables() []Table {
	steps := func(name, col string, list []FunnelStep) Table {
		t := Table{Name: name, Columns: []string{col, "members", "subscribed", "at_least", "share_of_top"}}
		var top int64
		if len(list) > 0 {
			top = list[0].AtLeast
		}
		for _, st := range list {
			t.Rows = append(t.Rows, []any{st.Key, st.Members, st.Subscribed, st.AtLeast, Ratio{st.AtLeast, top}})
		}
		return t
	}
	moves := Table{Name: "funnel_moves", Columns: []string{"field", "from", "to", "members", "moves"}}
	for _, m := range r.Moves {
		moves.Rows = append(moves.Rows, []any{m.Field, m.From, m.To, m.Members, m.Moves})
	}
	days := Table{Name: "funnel_days", Columns: []string{"day", "field", "to", "moves"}}
	for _, d := range r.Days {
		days.Rows = append(days.Rows, []any{d.Day, d.Field, d.To, d.Moves})
	}
	return []Table{steps("funnel_levels", "level", r.Levels), steps("funnel_stages", "stage", r.Stages), moves, days}
}
