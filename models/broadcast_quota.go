package models

import (
	"context"
	"time"
)

// quotaHorizon is how far ahead schedules are checked against the quotas.
const quotaHorizon = 62 * 24 * time.Hour

// checkMassQuota refuses a mass schedule the account's quota cannot carry:
// a subscription account (订阅号) may mass-send once a day, a service
// account's (服务号) fan receives at most 4 mass messages a calendar month.
// Runs already made and those other scheduled mass broadcasts will make are
// counted; broadcasts overlap when either goes to everyone or both go to
// the same tag, segment, stage or list.
func (s *Store) checkMassQuota(ctx context.Context, b *Broadcast, policy BroadcastPolicy, now time.Time) error {
	if b.Channel != BroadcastMass {
		return nil
	}
	loc := policy.Loc
	until := now.Add(quotaHorizon)
	mine, err := BroadcastSchedule{At: b.SendAt, Cron: b.Cron}.nextRuns(loc, now, until, 2000)
	if err != nil {
		return err
	}
	var others []Broadcast
	if err := s.db.WithContext(ctx).Omit("open_ids").Where("id <> ? AND channel = ? AND state IN ?", b.ID, BroadcastMass,
		[]string{BroadcastScheduled, BroadcastPending, BroadcastPaused}).Find(&others).Error; err != nil {
		return translate("mass quota", err)
	}
	// Periods: days for a subscription account, months for a service one.
	period := func(t time.Time) string {
		if policy.AccountType == AccountSubscription {
			return t.In(loc).Format("2006-01-02")
		}
		return t.In(loc).Format("2006-01")
	}
	limit := policy.MonthlyPerFan
	if policy.AccountType == AccountSubscription {
		limit = policy.DailyMass
	}
	counts := map[string]int{}
	for _, t := range mine {
		counts[period(t)]++
	}
	overlaps := func(o *Broadcast) bool {
		return policy.AccountType == AccountSubscription || o.Audience == AudienceAll || b.Audience == AudienceAll ||
			(o.Audience == b.Audience && o.AudienceRef == b.AudienceRef)
	}
	for i := range others {
		o := &others[i]
		if !overlaps(o) {
			continue
		}
		runs, err := BroadcastSchedule{At: o.SendAt, Cron: o.Cron}.nextRuns(loc, now, until, 2000)
		if err != nil {
			continue // a broken schedule elsewhere does not block this one
		}
		for _, t := range runs {
			if _, ok := counts[period(t)]; ok {
				counts[period(t)]++
			}
		}
	}
	// Runs already made in the periods concerned.
	first := now.In(loc)
	first = time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, loc)
	var past []struct {
		BroadcastID uint64
		DueAt       time.Time
	}
	if err := s.db.WithContext(ctx).Model(&BroadcastRun{}).Select("broadcast_id, due_at").
		Where("channel = ? AND due_at >= ?", BroadcastMass, first.UTC()).Scan(&past).Error; err != nil {
		return translate("mass quota", err)
	}
	byID := map[uint64]*Broadcast{b.ID: b}
	for i := range others {
		byID[others[i].ID] = &others[i]
	}
	for _, r := range past {
		o := byID[r.BroadcastID]
		if o == nil {
			var err error
			if o, err = s.FindBroadcast(ctx, r.BroadcastID); err != nil {
				continue
			}
			byID[o.ID] = o
		}
		if o.ID != b.ID && !overlaps(o) {
			continue
		}
		if _, ok := counts[period(r.DueAt)]; ok {
			counts[period(r.DueAt)]++
		}
	}
	for p, n := range counts {
		if n <= limit {
			continue
		}
		if policy.AccountType == AccountSubscription {
			return Errorf(EINVALID, "a subscription account (订阅号) may mass-send %d time(s) a day; on %s this schedule would make it %d", limit, p, n)
		}
		return Errorf(EINVALID, "a service account's (服务号) fan receives at most %d mass messages a month; in %s this audience would get %d", limit, p, n)
	}
	return nil
}
