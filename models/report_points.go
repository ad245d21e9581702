package models

import (
	"context"
	"sort"
)

// PointsDay is one day of the points ledger.
type PointsDay struct {
	Day      string
	Issued   int64 // points earned (every positive entry)
	Redeemed int64 // spent on gifts and coupons
	Expired  int64
	Deducted int64 // staff corrections and reversals that took points
	// Outstanding is every member's balance together at the end of the day:
	// the account's liability.
	Outstanding int64
}

// PointsSource is one source's points over the period.
type PointsSource struct {
	Source  string
	Entries int64
	Earned  int64
	Spent   int64 // as a positive number
}

// PointsEarner is a member who earned the most in the period (staff
// corrections and reversals are not earning).
type PointsEarner struct {
	MemberID uint64
	OpenID   string
	Earned   int64
	Balance  int64
}

// PointsReport is the Points tab.
type PointsReport struct {
	Period  Period
	Days    []PointsDay
	Sources []PointsSource
	Top     []PointsEarner
	// Outstanding is the balance of every member now; Holders how many
	// members hold any.
	Outstanding int64
	Holders     int64
}

// Points reports points issued and redeemed per day, the outstanding
// balance (liability) at each day's end and now, points by source and the
// top earners.
func (s *Store) Points(ctx context.Context, p Period, top int) (*PointsReport, error) {
	if top <= 0 || top > 200 {
		top = 20
	}
	r := &PointsReport{Period: p}
	db := s.db.WithContext(ctx)
	var now struct{ Outstanding, Holders int64 }
	if err := db.Model(&Member{}).Select("COALESCE(SUM(points), 0) AS outstanding, COALESCE(SUM(CASE WHEN points > 0 THEN 1 ELSE 0 END), 0) AS holders").
		Scan(&now).Error; err != nil {
		return nil, translate("points report", err)
	}
	r.Outstanding, r.Holders = now.Outstanding, now.Holders
	// The balance at the period's end is now's minus what moved since.
	var since struct{ Net int64 }
	if err := db.Model(&PointsEntry{}).Select("COALESCE(SUM(delta), 0) AS net").Where("created_at >= ?", p.To.UTC()).
		Scan(&since).Error; err != nil {
		return nil, translate("points report", err)
	}
	byDay := map[string]PointsDay{}
	net := map[string]int64{}
	for _, sp := range p.spans() {
		var rows []struct {
			Day                                 string
			Issued, Redeemed, Expired, Deducted int64
			Net                                 int64
		}
		err := db.Model(&PointsEntry{}).Select(s.localFormat("created_at", "%Y-%m-%d", sp.offset)+" AS day"+
			", SUM(CASE WHEN delta > 0 THEN delta ELSE 0 END) AS issued"+
			", SUM(CASE WHEN delta < 0 AND source = 'redemption' THEN -delta ELSE 0 END) AS redeemed"+
			", SUM(CASE WHEN delta < 0 AND source = 'expiry' THEN -delta ELSE 0 END) AS expired"+
			", SUM(CASE WHEN delta < 0 AND source NOT IN ('redemption', 'expiry') THEN -delta ELSE 0 END) AS deducted"+
			", SUM(delta) AS net").
			Where("created_at >= ? AND created_at < ?", sp.start, sp.end).Group("day").Scan(&rows).Error
		if err != nil {
			return nil, translate("points days", err)
		}
		for _, row := range rows {
			byDay[row.Day] = PointsDay{Day: row.Day, Issued: row.Issued, Redeemed: row.Redeemed, Expired: row.Expired, Deducted: row.Deducted}
			net[row.Day] = row.Net
		}
	}
	days := p.Days()
	r.Days = make([]PointsDay, len(days))
	balance := r.Outstanding - since.Net
	for i := len(days) - 1; i >= 0; i-- { // walk back from the period's end
		d := byDay[days[i]]
		d.Day, d.Outstanding = days[i], balance
		r.Days[i] = d
		balance -= net[days[i]]
	}
	err := db.Model(&PointsEntry{}).Select("source, COUNT(*) AS entries, SUM(CASE WHEN delta > 0 THEN delta ELSE 0 END) AS earned"+
		", SUM(CASE WHEN delta < 0 THEN -delta ELSE 0 END) AS spent").
		Where("created_at >= ? AND created_at < ?", p.From.UTC(), p.To.UTC()).Group("source").Scan(&r.Sources).Error
	if err != nil {
		return nil, translate("points sources", err)
	}
	sort.Slice(r.Sources, func(i, j int) bool { return r.Sources[i].Source < r.Sources[j].Source })
	err = db.Table("points_entries").Select("points_entries.member_id, members.open_id, SUM(points_entries.delta) AS earned, members.points AS balance").
		Joins("JOIN members ON members.id = points_entries.member_id").
		Where("points_entries.delta > 0 AND points_entries.source NOT IN ? AND points_entries.created_at >= ? AND points_entries.created_at < ?",
			[]string{SourceStaff, SourceReversal}, p.From.UTC(), p.To.UTC()).
		Group("points_entries.member_id, members.open_id, members.points").Order("earned DESC, points_entries.member_id").
		Limit(top).Scan(&r.Top).Error
	return r, translate("top earners", err)
}

// Tables returns points_days, points_sources and points_top.
func (r *PointsReport) Tables() []Table {
	days := Table{Name: "points_days", Columns: []string{"day", "issued", "redeemed", "expired", "deducted", "outstanding"}}
	for _, d := range r.Days {
		days.Rows = append(days.Rows, []any{d.Day, d.Issued, d.Redeemed, d.Expired, d.Deducted, d.Outstanding})
	}
	src := Table{Name: "points_sources", Columns: []string{"source", "entries", "earned", "spent"}}
	for _, s := range r.Sources {
		src.Rows = append(src.Rows, []any{s.Source, s.Entries, s.Earned, s.Spent})
	}
	top := Table{Name: "points_top", Columns: []string{"rank", "openid", "earned", "balance"}}
	for i, e := range r.Top {
		top.Rows = append(top.Rows, []any{int64(i + 1), e.OpenID, e.Earned, e.Balance})
	}
	return []Table{days, src, top}
}
