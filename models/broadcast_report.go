package models

import (
	"cmp"
	"context"
	"slices"
	"time"

	"gorm.io/gorm"
)

// AudiencePlan is how a broadcast would reach its audience if it ran now.
type AudiencePlan struct {
	Total       int64 `json:"total"`
	Mass        int64 `json:"mass"`
	Custom      int64 `json:"custom"`   // window open now (the window rule; the engine checks again at send time)
	Template    int64 `json:"template"` // window closed, template message set
	Unreachable int64 `json:"unreachable"`
	// Unfollowed and OverQuota are parts of Unreachable (the sum of the
	// four reasons below).
	Unfollowed int64 `json:"unfollowed"`
	OverQuota  int64 `json:"over_quota"` // 4 mass messages this month already (服务号)
	// OutsideWindow (direct, no template message: the 48 h window is
	// closed) and OverCap (the frequency cap is reached) are parts of
	// Unreachable too.
	OutsideWindow int64 `json:"outside_window"`
	OverCap       int64 `json:"over_cap"`
	// UnknownOpenIDs counts uploaded openids that are not members.
	UnknownOpenIDs int `json:"unknown_openids"`
}

// PlanDraft is PlanAudience for a broadcast still being composed: only its
// audience, channel, kind and template id are read, and nothing is saved.
func (s *Store) PlanDraft(ctx context.Context, in BroadcastInput, policy BroadcastPolicy, window WindowRules) (AudiencePlan, error) {
	b := &Broadcast{State: BroadcastDraft}
	if err := in.buildAudience(b, policy.withDefaults()); err != nil {
		return AudiencePlan{}, err
	}
	return s.PlanAudience(ctx, b, policy, window)
}

// PlanAudience counts the broadcast's audience by channel.
func (s *Store) PlanAudience(ctx context.Context, b *Broadcast, policy BroadcastPolicy, window WindowRules) (AudiencePlan, error) {
	policy = policy.withDefaults()
	var p AudiencePlan
	ids, err := s.AudienceMemberIDs(ctx, b)
	if err != nil {
		return p, err
	}
	if b.Audience == AudienceOpenIDs {
		p.UnknownOpenIDs = len(b.OpenIDList()) - len(ids)
	}
	now := s.now()
	db := s.db.WithContext(ctx)
	for i := 0; i < len(ids); i += 1000 {
		part := ids[i:min(i+1000, len(ids))]
		var members []Member
		if err := db.Select("id, open_id, subscribed").Where("id IN ?", part).Find(&members).Error; err != nil {
			return p, translate("plan audience", err)
		}
		var reachable []uint64
		var openIDs []string
		for _, m := range members {
			p.Total++
			if !m.Subscribed {
				p.Unfollowed++
				continue
			}
			reachable = append(reachable, m.ID)
			openIDs = append(openIDs, m.OpenID)
		}
		if b.Channel == BroadcastMass {
			over := int64(0)
			if policy.perFanMassQuota() && len(reachable) > 0 {
				counts, err := s.fanMassCounts(db, reachable, policy, now)
				if err != nil {
					return p, translate("plan audience", err)
				}
				for _, c := range counts {
					if _, full := policy.fanOverMassQuota(c.N); full {
						over++
					}
				}
			}
			p.OverQuota += over
			p.Mass += int64(len(reachable)) - over
			continue
		}
		// Fans the frequency cap holds back get nothing, whatever their window.
		direct := int64(len(reachable))
		if pushCap := (PushCapRule{Max: policy.PushCap, Window: policy.CapWindow}); pushCap.On() && len(reachable) > 0 {
			counts, err := s.RecentPushCounts(ctx, reachable, pushCap.Since(now))
			if err != nil {
				return p, translate("plan audience", err)
			}
			var full []uint64
			for id, n := range counts {
				if pushCap.Full(n) {
					full = append(full, id)
				}
			}
			if len(full) > 0 {
				capped := map[uint64]bool{}
				for _, id := range full {
					capped[id] = true
				}
				openIDs = openIDs[:0]
				for _, m := range members {
					if m.Subscribed && !capped[m.ID] {
						openIDs = append(openIDs, m.OpenID)
					}
				}
			}
			p.OverCap += int64(len(full))
			direct -= int64(len(full))
		}
		// Fans whose customer-service window is open now, by the window
		// rule (WindowRules.Of) over their log, read in two queries.
		windows, err := s.windowsFromLog(ctx, openIDs, window)
		if err != nil {
			return p, err
		}
		var open int64
		for _, w := range windows {
			if w.Open {
				open++
			}
		}
		p.Custom += open
		if b.TemplateID != "" {
			p.Template += direct - open
		} else {
			p.OutsideWindow += direct - open
		}
	}
	p.Unreachable += p.Unfollowed + p.OverQuota + p.OverCap + p.OutsideWindow
	return p, nil
}

// BroadcastProgress is a run's live progress.
type BroadcastProgress struct {
	RunID     uint64     `json:"run_id"`
	State     string     `json:"state"`
	Total     int64      `json:"total"`
	Sent      int64      `json:"sent"`
	Failed    int64      `json:"failed"`
	Skipped   int64      `json:"skipped"`
	Unknown   int64      `json:"unknown"`
	Remaining int64      `json:"remaining"`
	Percent   int        `json:"percent"`
	PerMinute int64      `json:"per_minute"` // sent in the last minute
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"finished_at,omitempty"`
	Error     string     `json:"error,omitempty"` // why the run could not start
	// Status is what the run amounts to for people (RunStatus*): set by
	// delivery.RunStatus, which knows the quiet hours. While quiet hours
	// hold the run, Waiting counts the recipients they hold (the rest of
	// Remaining) and ResumeAt is when they end.
	Status   string     `json:"status,omitempty"`
	Waiting  int64      `json:"waiting"`
	ResumeAt *time.Time `json:"resume_at,omitempty"`
}

// RecentRuns is how many of a broadcast's runs its page shows.
const RecentRuns = 20

// RecentRunProgress returns the progress of a broadcast's newest runs (at
// most RecentRuns), newest first. On an error it returns the runs counted so
// far with the error.
func (s *Store) RecentRunProgress(ctx context.Context, broadcastID uint64) ([]BroadcastProgress, error) {
	runs, err := s.BroadcastRuns(ctx, broadcastID)
	var out []BroadcastProgress
	for i := 0; err == nil && i < len(runs) && i < RecentRuns; i++ {
		var p BroadcastProgress
		if p, err = s.RunProgress(ctx, &runs[i]); err == nil {
			out = append(out, p)
		}
	}
	return out, err
}

// RunProgress counts a run's recipients by outcome.
func (s *Store) RunProgress(ctx context.Context, run *BroadcastRun) (BroadcastProgress, error) {
	if run.PushID == 0 {
		return progressOf(run, nil), nil
	}
	counts, err := s.PushProgress(ctx, run.PushID)
	if err != nil {
		return progressOf(run, nil), err
	}
	p := progressOf(run, counts)
	err = s.db.WithContext(ctx).Model(&Recipient{}).Where("push_id = ? AND state = ? AND sent_at >= ?", run.PushID, RcptSent, s.now().Add(-time.Minute)).
		Count(&p.PerMinute).Error
	return p, translate("run progress", err)
}

// progressOf is a run's progress from its recipients counted by state.
func progressOf(run *BroadcastRun, counts PushCounts) BroadcastProgress {
	p := BroadcastProgress{RunID: run.ID, State: run.State, StartedAt: run.StartedAt, EndedAt: run.FinishedAt, Error: run.Error}
	for st, n := range counts {
		p.Total += n
		switch st {
		case RcptSent:
			p.Sent += n
		case RcptFailed:
			p.Failed += n
		case RcptSkipped:
			p.Skipped += n
		case RcptUnknown:
			p.Unknown += n
		default:
			p.Remaining += n
		}
	}
	if p.Total > 0 {
		p.Percent = int((p.Total - p.Remaining) * 100 / p.Total)
	} else if run.State == RunDone {
		p.Percent = 100 // ended before it had recipients (see Error)
	}
	p.Status = p.outcome()
	return p
}

// outcome is what the run amounts to from its counts alone (quiet hours
// aside: delivery.RunStatus adds them). A run is over when its state is
// done or nothing is left to send; then it failed when nothing went out
// and sends failed (or it never started), and reached nobody when
// every fan was skipped.
func (p BroadcastProgress) outcome() string {
	switch {
	case p.State == RunPlanning:
		return RunStatusPlanning
	case p.State != RunDone && (p.Remaining > 0 || p.Total == 0):
		return RunStatusSending
	case p.Error != "" && p.Sent == 0:
		return RunStatusFailed
	case p.Sent == 0 && p.Unknown == 0 && p.Failed > 0:
		return RunStatusFailed
	case p.Failed > 0:
		return RunStatusPartial
	case p.Sent == 0 && p.Unknown == 0 && p.Total > 0:
		return RunStatusUnreached
	}
	return RunStatusDone
}

// BroadcastReport is a run's final report.
type BroadcastReport struct {
	BroadcastProgress
	ByChannel map[string]int64 `json:"reached_by_channel"`
	ByErrCode map[int]int64    `json:"failed_by_errcode"`
	// ByTemplateStatus counts template messages WeChat accepted and then
	// reported as not delivered, by TEMPLATESENDJOBFINISH status.
	ByTemplateStatus map[string]int64 `json:"failed_by_template_status,omitempty"`
	ByReason         map[string]int64 `json:"skipped_by_reason"`
	// Unfollows counts recipients who unfollowed within 24 h after the run began.
	Unfollows int64     `json:"unfollows_24h"`
	Mass      []MassJob `json:"mass_jobs,omitempty"`
	// Failures groups the failed recipients by errcode, and those with no
	// errcode by their reason, most first (transports put them in words).
	Failures []FailureCount `json:"-"`
}

// FailureCount is how many recipients of a run failed one way.
type FailureCount struct {
	ErrCode int
	Reason  string // only when ErrCode is 0
	Count   int64
}

// RunReport builds a run's report: reached by channel, failures by
// errcode, skips by reason, unfollows within 24 h, WeChat's mass counts.
func (s *Store) RunReport(ctx context.Context, run *BroadcastRun) (BroadcastReport, error) {
	r := BroadcastReport{ByChannel: map[string]int64{}, ByErrCode: map[int]int64{}, ByReason: map[string]int64{}, ByTemplateStatus: map[string]int64{}}
	var err error
	if r.BroadcastProgress, err = s.RunProgress(ctx, run); err != nil || run.PushID == 0 {
		return r, err
	}
	db := s.db.WithContext(ctx)
	var rows []struct {
		State, Channel, Reason string
		ErrCode                int
		N                      int64
	}
	if err := db.Model(&Recipient{}).Select("state, channel, reason, err_code, COUNT(*) AS n").Where("push_id = ? AND state IN ?", run.PushID,
		[]string{RcptSent, RcptFailed, RcptSkipped}).Group("state, channel, reason, err_code").Scan(&rows).Error; err != nil {
		return r, translate("run report", err)
	}
	for _, x := range rows {
		switch x.State {
		case RcptSent:
			r.ByChannel[x.Channel] += x.N
		case RcptFailed:
			if status, ok := TemplateFailureStatus(x.Reason); ok && x.ErrCode == 0 {
				r.ByTemplateStatus[status] += x.N
				continue
			}
			r.ByErrCode[x.ErrCode] += x.N
			r.Failures = addFailure(r.Failures, x.ErrCode, x.Reason, x.N)
		case RcptSkipped:
			r.ByReason[x.Reason] += x.N
		}
	}
	mine := db.Session(&gorm.Session{NewDB: true}).Model(&Recipient{}).Select("member_id").Where("push_id = ? AND state = ?", run.PushID, RcptSent)
	if err := db.Model(&Member{}).Where("id IN (?) AND subscribed = ? AND unsubscribed_at >= ? AND unsubscribed_at < ?", mine, false,
		run.StartedAt, run.StartedAt.Add(24*time.Hour)).Count(&r.Unfollows).Error; err != nil {
		return r, translate("run report", err)
	}
	slices.SortStableFunc(r.Failures, func(a, b FailureCount) int { return cmp.Compare(b.Count, a.Count) })
	r.Mass, err = s.MassJobs(ctx, run.PushID)
	return r, err
}
