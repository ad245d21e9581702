package models

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// JobLease says which process runs one tick of a scheduled job. With
// several fivec processes on one database, every process's cron fires on
// the same tick; the one whose insert lands holds the lease and runs the
// job, the others see the unique key and stand aside.
type JobLease struct {
	ID     uint64    `gorm:"primaryKey"`
	Job    string    `gorm:"size:64;not null;uniqueIndex:idx_job_leases_job_tick,priority:1"`
	Tick   time.Time `gorm:"not null;uniqueIndex:idx_job_leases_job_tick,priority:2;index"`
	Holder string    `gorm:"size:128;not null"`
	// ExpiresAt is when the lease lapses unless its holder renews it; the
	// holder renews it while the job runs, so a lapsed, unfinished lease
	// means the holder died.
	ExpiresAt  time.Time `gorm:"not null"`
	FinishedAt *time.Time
	// Outcome: ran, failed, or skipped (an earlier tick was still running).
	Outcome string `gorm:"size:16"`
	Err     string `gorm:"size:191"`
}

// Lease outcomes.
const (
	LeaseRan     = "ran"
	LeaseFailed  = "failed"
	LeaseSkipped = "skipped"
)

// Reasons TakeJobLease gives for not handing out a lease.
var (
	// ErrLeaseTaken: another process holds this tick.
	ErrLeaseTaken = Errorf(ECONFLICT, "another process holds this tick")
	// ErrLeaseBusy: the run of an earlier tick is still going (its holder
	// renews its lease), so this tick is skipped, as SkipIfStillRunning does
	// within one process.
	ErrLeaseBusy = Errorf(ECONFLICT, "the run of an earlier tick is still going")
)

// TakeJobLease claims tick of job for holder, for ttl. One INSERT under the
// unique (job, tick) key decides between processes: exactly one gets the
// lease, the others get ErrLeaseTaken. The winner gets ErrLeaseBusy instead
// when an earlier tick's run is still live; that tick is then recorded as
// skipped.
func (s *Store) TakeJobLease(ctx context.Context, job string, tick time.Time, holder string, ttl time.Duration) (*JobLease, error) {
	if job == "" || holder == "" || ttl <= 0 {
		return nil, Errorf(EINVALID, "a job lease needs a job, a holder and a positive ttl")
	}
	now := s.now()
	l := &JobLease{Job: job, Tick: tick.UTC().Truncate(time.Millisecond), Holder: holder, ExpiresAt: now.Add(ttl)}
	res := s.db.WithContext(ctx).Clauses(s.insertIgnore()).Create(l)
	if res.Error != nil {
		return nil, translate("take job lease", res.Error)
	}
	if res.RowsAffected != 1 {
		return nil, ErrLeaseTaken
	}
	var live int64
	err := s.db.WithContext(ctx).Model(&JobLease{}).
		Where("job = ? AND tick < ? AND finished_at IS NULL AND expires_at > ?", job, l.Tick, now).
		Count(&live).Error
	if err != nil {
		return nil, translate("take job lease", err)
	}
	if live > 0 {
		if err := s.FinishJobLease(ctx, l, LeaseSkipped, ErrLeaseBusy.Message); err != nil {
			return nil, err
		}
		return nil, ErrLeaseBusy
	}
	return l, nil
}

// RenewJobLease extends a running lease to now+ttl. It returns false when
// the lease is no longer the holder's to renew (finished).
func (s *Store) RenewJobLease(ctx context.Context, l *JobLease, ttl time.Duration) (bool, error) {
	until := s.now().Add(ttl)
	res := s.db.WithContext(ctx).Model(&JobLease{}).
		Where("id = ? AND holder = ? AND finished_at IS NULL", l.ID, l.Holder).
		Update("expires_at", until)
	if res.Error != nil {
		return false, translate("renew job lease", res.Error)
	}
	if res.RowsAffected == 1 {
		l.ExpiresAt = until
	}
	return res.RowsAffected == 1, nil
}

// FinishJobLease records how the run went and releases the lease.
func (s *Store) FinishJobLease(ctx context.Context, l *JobLease, outcome, errText string) error {
	now := s.now()
	err := s.db.WithContext(ctx).Model(&JobLease{}).Where("id = ? AND holder = ?", l.ID, l.Holder).
		Updates(map[string]any{"finished_at": now, "expires_at": now, "outcome": outcome, "err": truncateUTF8(errText, 191)}).Error
	if err == nil {
		l.FinishedAt, l.ExpiresAt, l.Outcome = &now, now, outcome
	}
	return translate("finish job lease", err)
}

// JobLeases lists the leases of job with a tick at or after since, oldest
// first (what ran where; the replicas test reads it).
func (s *Store) JobLeases(ctx context.Context, job string, since time.Time) ([]JobLease, error) {
	var out []JobLease
	err := s.db.WithContext(ctx).Where("job = ? AND tick >= ?", job, since.UTC()).Order("tick, id").Find(&out).Error
	return out, translate("list job leases", err)
}

// PurgeJobLeases deletes leases of ticks before cutoff that are finished or
// lapsed; a live one stays, because it still guards its job.
func (s *Store) PurgeJobLeases(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("tick < ? AND (finished_at IS NOT NULL OR expires_at <= ?)", cutoff.UTC(), s.now()).
		Delete(&JobLease{})
	return res.RowsAffected, translate("purge job leases", res.Error)
}

// insertIgnore makes an INSERT that hits a unique key do nothing and report
// no affected row. gorm's OnConflict{DoNothing} becomes "ON DUPLICATE KEY
// UPDATE id=id" on MySQL, which still reports a row; INSERT IGNORE does not.
func (s *Store) insertIgnore() clause.Expression {
	if s.driver == "mysql" {
		return clause.Insert{Modifier: "IGNORE"}
	}
	return clause.OnConflict{DoNothing: true}
}
