package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The mass quota rule lives in this file, once: what period a mass message
// counts in (massPeriod), how many the period allows (massLimit), whether a
// schedule fits (massQuota) and whether a service account's fan may receive
// another (fanOverMassQuota). The queries that feed it read the facts in
// batches: checkMassQuota for schedules, fanMassCounts for fans (mass
// planning, the audience plan).

// quotaHorizon is how far ahead schedules are checked against the quotas.
const quotaHorizon = 62 * 24 * time.Hour

// massPeriod is the period a mass message sent at t counts in, in the
// account's time zone: the day for a subscription account (订阅号), the
// calendar month for a service account (服务号).
func (p BroadcastPolicy) massPeriod(t time.Time) string {
	if p.AccountType == AccountSubscription {
		return t.In(p.Loc).Format("2006-01-02")
	}
	return t.In(p.Loc).Format("2006-01")
}

// massPeriodStart is when the period that holds now began.
func (p BroadcastPolicy) massPeriodStart(now time.Time) time.Time {
	l := now.In(p.Loc)
	if p.AccountType == AccountSubscription {
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, p.Loc)
	}
	return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, p.Loc)
}

// massLimit is how many mass messages a period allows: per account and day
// for a subscription account, per fan and month for a service account.
func (p BroadcastPolicy) massLimit() int {
	if p.AccountType == AccountSubscription {
		return p.DailyMass
	}
	return p.MonthlyPerFan
}

// perFanMassQuota reports whether mass messages count per fan (a service
// account's), so fans at the limit are left out of a send.
func (p BroadcastPolicy) perFanMassQuota() bool {
	return p.AccountType == AccountService && p.massLimit() > 0
}

// fanOverMassQuota reports whether a service account's fan who was sent
// sent mass messages this period may receive no more (WeChat filters them),
// and says why for the recipient's row.
func (p BroadcastPolicy) fanOverMassQuota(sent int64) (string, bool) {
	if !p.perFanMassQuota() || sent < int64(p.massLimit()) {
		return "", false
	}
	return fmt.Sprintf("WeChat filters it: %d mass messages this month already", p.massLimit()), true
}

// fanCount is how many messages a fan was sent (a grouped count).
type fanCount struct {
	MemberID uint64
	N        int64
}

// fanMassCounts counts, for the fans of members (a subquery or a list of
// ids), the mass messages sent to each in the period that holds now: one
// grouped query, for fanOverMassQuota to judge.
func (s *Store) fanMassCounts(db *gorm.DB, members any, policy BroadcastPolicy, now time.Time) ([]fanCount, error) {
	var counts []fanCount
	err := db.Model(&Recipient{}).Select("member_id, COUNT(*) AS n").
		Where("member_id IN (?) AND channel = ? AND state = ? AND sent_at >= ?", members, ChannelMass, RcptSent, policy.massPeriodStart(now).UTC()).
		Group("member_id").Scan(&counts).Error
	return counts, err
}

// massRunAt is a mass run already made (or started): its broadcast and when.
type massRunAt struct {
	BroadcastID uint64
	DueAt       time.Time
}

// checkMassQuota refuses a mass schedule the account's quota cannot carry
// (massQuota is the rule). It reads the facts in three queries whatever
// their number: the other scheduled mass broadcasts, the mass runs made
// since the start of the month, and, in one batch, the broadcasts of those
// runs that are no longer scheduled.
func (s *Store) checkMassQuota(ctx context.Context, b *Broadcast, policy BroadcastPolicy, now time.Time) error {
	if b.Channel != BroadcastMass {
		return nil
	}
	var others []Broadcast
	if err := s.db.WithContext(ctx).Omit("open_ids").Where("id <> ? AND channel = ? AND state IN ?", b.ID, BroadcastMass,
		[]string{BroadcastScheduled, BroadcastPending, BroadcastPaused}).Find(&others).Error; err != nil {
		return translate("mass quota", err)
	}
	// Runs since the start of the month: a subscription account's day is
	// inside it, and runs outside the periods concerned are not counted.
	first := BroadcastPolicy{Loc: policy.Loc, AccountType: AccountService}.massPeriodStart(now)
	var past []massRunAt
	if err := s.db.WithContext(ctx).Model(&BroadcastRun{}).Select("broadcast_id, due_at").
		Where("channel = ? AND due_at >= ?", BroadcastMass, first.UTC()).Scan(&past).Error; err != nil {
		return translate("mass quota", err)
	}
	known := map[uint64]bool{b.ID: true}
	for _, o := range others {
		known[o.ID] = true
	}
	var missing []uint64
	for _, r := range past {
		if !known[r.BroadcastID] {
			known[r.BroadcastID] = true
			missing = append(missing, r.BroadcastID)
		}
	}
	var done []Broadcast // broadcasts whose runs count but which are no longer scheduled
	if len(missing) > 0 {
		if err := s.db.WithContext(ctx).Omit("open_ids").Where("id IN (" + idList(missing) + ")").Find(&done).Error; err != nil {
			return translate("mass quota", err)
		}
	}
	return massQuota(b, policy, now, others, done, past)
}

// massQuota is the account's mass quota rule, a pure function of the
// facts: a subscription account (订阅号) may mass-send once a day, a service
// account's (服务号) fan receives at most 4 mass messages a calendar month.
// b's next runs, the runs other scheduled mass broadcasts (others) will
// make and the runs already made (past, of b, others or done) are counted;
// broadcasts overlap when either goes to everyone or both go to the same
// tag, segment, stage or list. A run of a broadcast that is in neither
// list (deleted) is not counted.
func massQuota(b *Broadcast, policy BroadcastPolicy, now time.Time, others, done []Broadcast, past []massRunAt) error {
	loc := policy.Loc
	until := now.Add(quotaHorizon)
	mine, err := BroadcastSchedule{At: b.SendAt, Cron: b.Cron}.nextRuns(loc, now, until, 2000)
	if err != nil {
		return err
	}
	period, limit := policy.massPeriod, policy.massLimit()
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
	byID := map[uint64]*Broadcast{b.ID: b}
	for i := range others {
		byID[others[i].ID] = &others[i]
	}
	for i := range done {
		byID[done[i].ID] = &done[i]
	}
	for _, r := range past {
		o := byID[r.BroadcastID]
		if o == nil {
			continue
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
