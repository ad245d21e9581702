package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// What a run amounts to for people (BroadcastProgress.Status). A
// broadcast's own state says what was asked (scheduled, sent = started);
// these say what happened, so that nothing reads 已发送 before a message
// went out.
const (
	RunStatusPlanning  = "planning"  // the audience is being resolved
	RunStatusSending   = "sending"   // recipients left, being sent
	RunStatusWaiting   = "waiting"   // recipients left, held by quiet hours
	RunStatusDone      = "done"      // over: messages went out, none failed
	RunStatusPartial   = "partial"   // over: some went out, some failed
	RunStatusFailed    = "failed"    // over: nothing went out, sends failed (or it could not start)
	RunStatusUnreached = "unreached" // over: nothing went out, every fan was skipped
)

// FirstRun is when a schedule would first run after now: a one-off's time
// (now when it is past), or a cron's next tick in loc.
func (sc BroadcastSchedule) FirstRun(loc *time.Location, now time.Time) (time.Time, error) {
	if sc.Cron == "" && sc.At != nil && sc.At.Before(now) {
		return now, nil
	}
	runs, err := sc.nextRuns(loc, now, now.AddDate(1, 0, 0), 1)
	if err != nil || len(runs) == 0 {
		return time.Time{}, err
	}
	return runs[0], nil
}

// addFailure adds n failures with errcode (or, without one, reason) to list.
func addFailure(list []FailureCount, errcode int, reason string, n int64) []FailureCount {
	if errcode != 0 {
		reason = ""
	}
	for i := range list {
		if list[i].ErrCode == errcode && list[i].Reason == reason {
			list[i].Count += n
			return list
		}
	}
	return append(list, FailureCount{ErrCode: errcode, Reason: reason, Count: n})
}

// LatestRunProgress returns the progress of each broadcast's newest run
// (broadcasts that never ran are missing), with a few queries for all of
// them: the broadcast list shows what each run amounts to. PerMinute is
// not counted.
func (s *Store) LatestRunProgress(ctx context.Context, broadcastIDs []uint64) (map[uint64]BroadcastProgress, error) {
	out := map[uint64]BroadcastProgress{}
	if len(broadcastIDs) == 0 {
		return out, nil
	}
	db := s.db.WithContext(ctx)
	var runs []BroadcastRun
	newest := db.Session(&gorm.Session{NewDB: true}).Model(&BroadcastRun{}).Select("MAX(id)").
		Where("broadcast_id IN ?", broadcastIDs).Group("broadcast_id")
	if err := db.Where("id IN (?)", newest).Find(&runs).Error; err != nil {
		return out, translate("latest runs", err)
	}
	var pushIDs []uint64
	for _, r := range runs {
		if r.PushID != 0 {
			pushIDs = append(pushIDs, r.PushID)
		}
	}
	counts := map[uint64]PushCounts{}
	if len(pushIDs) > 0 {
		var rows []struct {
			PushID uint64
			State  string
			N      int64
		}
		if err := db.Model(&Recipient{}).Select("push_id, state, COUNT(*) AS n").Where("push_id IN ?", pushIDs).
			Group("push_id, state").Scan(&rows).Error; err != nil {
			return out, translate("latest runs", err)
		}
		for _, r := range rows {
			if counts[r.PushID] == nil {
				counts[r.PushID] = PushCounts{}
			}
			counts[r.PushID][r.State] = r.N
		}
	}
	for i := range runs {
		out[runs[i].BroadcastID] = progressOf(&runs[i], counts[runs[i].PushID])
	}
	return out, nil
}
