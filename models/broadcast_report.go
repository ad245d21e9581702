package models

import (
	"context"
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
	// Unfollowed and OverQuota are parts of Unreachable.
	Unfollowed int64 `json:"unfollowed"`
	OverQuota  int64 `json:"over_quota"` // 4 mass messages this month already (服务号)
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
			p.Template += int64(len(reachable)) - open
		} else {
			p.Unreachable += int64(len(reachable)) - open
		}
	}
	p.Unreachable += p.Unfollowed + p.OverQuota
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
	p := BroadcastProgress{RunID: run.ID, State: run.State, StartedAt: run.StartedAt, EndedAt: run.FinishedAt, Error: run.Error}
	if run.PushID == 0 {
		if run.State == RunDone {
			p.Percent = 100 // ended before it had recipients (see Error)
		}
		return p, nil
	}
	counts, err := s.PushProgress(ctx, run.PushID)
	if err != nil {
		return p, err
	}
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
		p.Percent = 100
	}
	err = s.db.WithContext(ctx).Model(&Recipient{}).Where("push_id = ? AND state = ? AND sent_at >= ?", run.PushID, RcptSent, s.now().Add(-time.Minute)).
		Count(&p.PerMinute).Error
	return p, translate("run progress", err)
}

// BroadcastReport is a run's final report.
type BroadcastReport struct {
	BroadcastProgress
	ByChannel map[string]int64 `json:"reached_by_channel"`
	ByErrCode map[int]int64    `json:"failed_by_errcode"`
	ByReason  map[string]int64 `json:"skipped_by_reason"`
	// Unfollows counts recipients who unfollowed within 24 h after the run began.
	Unfollows int64     `json:"unfollows_24h"`
	Mass      []MassJob `json:"mass_jobs,omitempty"`
}

// RunReport builds a run's report: reached by channel, failures by
// errcode, skips by reason, unfollows within 24 h, WeChat's mass counts.
func (s *Store) RunReport(ctx context.Context, run *BroadcastRun) (BroadcastReport, error) {
	r := BroadcastReport{ByChannel: map[string]int64{}, ByErrCode: map[int]int64{}, ByReason: map[string]int64{}}
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
			r.ByErrCode[x.ErrCode] += x.N
		case RcptSkipped:
			r.ByReason[x.Reason] += x.N
		}
	}
	mine := db.Session(&gorm.Session{NewDB: true}).Model(&Recipient{}).Select("member_id").Where("push_id = ? AND state = ?", run.PushID, RcptSent)
	if err := db.Model(&Member{}).Where("id IN (?) AND subscribed = ? AND unsubscribed_at >= ? AND unsubscribed_at < ?", mine, false,
		run.StartedAt, run.StartedAt.Add(24*time.Hour)).Count(&r.Unfollows).Error; err != nil {
		return r, translate("run report", err)
	}
	r.Mass, err = s.MassJobs(ctx, run.PushID)
	return r, err
}
