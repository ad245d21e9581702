package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Mass job states. "submitting" is written before the API call: a job
// found submitting after its lease ran out is sent again with the same
// clientmsgid, and WeChat answers 45065 with the first msg_id if it had
// accepted it, so nothing goes out twice.
const (
	MassPending    = "pending"
	MassSubmitting = "submitting"
	MassSubmitted  = "submitted"
	MassFailed     = "failed"
)

// Mass targets.
const (
	MassToAll     = "all"
	MassToTag     = "tag"
	MassToOpenIDs = "openids"
)

// MaxMassOpenIDs is the platform's limit per mass/send call (and 2 the
// minimum, 40130 below it).
const MaxMassOpenIDs = 10000

// MassJob is one mass-send API call of a run: sendall to everyone or a
// WeChat tag, or mass/send to up to 10,000 openids (the recipients with
// ids FirstRcpt..LastRcpt).
type MassJob struct {
	ID           uint64 `gorm:"primaryKey"`
	RunID        uint64 `gorm:"not null;index"`
	PushID       uint64 `gorm:"not null;index"`
	ClientMsgID  string `gorm:"size:64;not null;uniqueIndex"`
	Target       string `gorm:"size:16;not null"`
	TagID        int32
	FirstRcpt    uint64
	LastRcpt     uint64
	State        string    `gorm:"size:16;not null;index"`
	NextAt       time.Time `gorm:"index"`
	ClaimedUntil *time.Time
	Attempts     int    `gorm:"not null;default:0"`
	MsgID        int64  `gorm:"index"`
	ErrCode      int    `gorm:"not null;default:0"`
	Status       string `gorm:"size:64"` // mass/get's msg_status or the event's Status
	Reason       string `gorm:"size:191"`
	TotalCount   int64
	FilterCount  int64
	SentCount    int64
	ErrorCount   int64
	SubmittedAt  *time.Time
	FinishedAt   *time.Time // MASSSENDJOBFINISH arrived
}

// MassRules are the per-fan limits the mass sender applies when it picks
// recipients (the delivery engine's frequency cap, WeChat's monthly quota).
type MassRules struct {
	Policy BroadcastPolicy
	// Cap is the frequency cap (delivery.FrequencyCap); nil: none.
	Cap PushCap
}

// PushCap is a per-fan frequency cap. The rule lives in delivery/policy.go
// (delivery.FrequencyCap); models only counts the pushes it is applied to.
type PushCap interface {
	On() bool
	Since(now time.Time) time.Time
	Over(sent int64) (reason string, over bool)
}

// PlanMassRuns splits every mass run that has no jobs yet into jobs.
// Recipients WeChat would filter (a service account's fan who had 4 mass
// messages this month) are recorded as skipped; for openid lists fans over
// the frequency cap are left out too (sendall cannot leave anyone out).
func (s *Store) PlanMassRuns(ctx context.Context, rules MassRules) error {
	rules.Policy = rules.Policy.withDefaults()
	var runs []BroadcastRun
	db := s.db.WithContext(ctx)
	planned := db.Session(&gorm.Session{NewDB: true}).Model(&MassJob{}).Select("run_id")
	if err := db.Where("state = ? AND channel = ? AND id NOT IN (?)", RunSending, BroadcastMass, planned).Find(&runs).Error; err != nil {
		return translate("mass runs", err)
	}
	for i := range runs {
		if err := s.planMassRun(ctx, &runs[i], rules); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) planMassRun(ctx context.Context, run *BroadcastRun, rules MassRules) error {
	b, err := s.FindBroadcast(ctx, run.BroadcastID)
	if err != nil {
		return err
	}
	now := s.now()
	return translate("plan mass run", s.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&MassJob{}).Where("run_id = ?", run.ID).Count(&n).Error; err != nil || n > 0 {
			return err // another worker planned it
		}
		fresh := func() *gorm.DB { return tx.Session(&gorm.Session{NewDB: true}) }
		mine := fresh().Model(&Recipient{}).Select("member_id").Where("push_id = ?", run.PushID)
		// skip records as skipped the push's queued fans that over, the
		// rule, says are over, given what each was sent (counts). The
		// counts are read first: MySQL cannot update a table it reads in a
		// subquery.
		skip := func(counts []fanCount, over func(sent int64) (string, bool)) error {
			byReason := map[string][]uint64{}
			var reasons []string
			for _, c := range counts {
				if why, ok := over(c.N); ok {
					if byReason[why] == nil {
						reasons = append(reasons, why)
					}
					byReason[why] = append(byReason[why], c.MemberID)
				}
			}
			for _, why := range reasons {
				ids := byReason[why]
				for i := 0; i < len(ids); i += 1000 {
					if err := tx.Model(&Recipient{}).Where("push_id = ? AND state = ? AND member_id IN ?", run.PushID, RcptQueued, ids[i:min(i+1000, len(ids))]).
						Updates(map[string]any{"state": RcptSkipped, "channel": ChannelMass, "reason": truncateUTF8(why, 191)}).Error; err != nil {
						return err
					}
				}
			}
			return nil
		}
		if rules.Policy.perFanMassQuota() {
			counts, err := s.fanMassCounts(fresh(), mine, rules.Policy, now)
			if err != nil {
				return err
			}
			if err := skip(counts, rules.Policy.fanOverMassQuota); err != nil {
				return err
			}
		}
		job := func(target string) MassJob {
			return MassJob{RunID: run.ID, PushID: run.PushID, Target: target, State: MassPending, NextAt: now}
		}
		var jobs []MassJob
		switch {
		case b.Audience == AudienceAll:
			jobs = append(jobs, job(MassToAll))
		case b.Audience == AudienceTag && s.wechatTagID(tx, b.AudienceRef) != nil:
			j := job(MassToTag)
			j.TagID = *s.wechatTagID(tx, b.AudienceRef)
			jobs = append(jobs, j)
		case b.Audience == AudienceTag && rules.Policy.AccountType != AccountService:
			return tx.Model(&Recipient{}).Where("push_id = ? AND state = ?", run.PushID, RcptQueued).
				Updates(map[string]any{"state": RcptFailed, "channel": ChannelMass, "err_code": 45159,
					"reason": "the tag is not on WeChat yet: turn on tag sync (FIVEC_WECHAT_TAG_SYNC)"}).Error
		default:
			if rules.Cap != nil && rules.Cap.On() {
				// Every push counts toward the cap, whatever its channel.
				var counts []fanCount
				if err := fresh().Model(&Recipient{}).Select("member_id, COUNT(*) AS n").
					Where("state = ? AND sent_at >= ? AND member_id IN (?)", RcptSent, rules.Cap.Since(now), mine).
					Group("member_id").Scan(&counts).Error; err != nil {
					return err
				}
				if err := skip(counts, rules.Cap.Over); err != nil {
					return err
				}
			}
			var ids []uint64
			if err := tx.Model(&Recipient{}).Where("push_id = ? AND state = ?", run.PushID, RcptQueued).Order("id").Pluck("id", &ids).Error; err != nil {
				return err
			}
			for _, chunk := range massChunks(ids) {
				j := job(MassToOpenIDs)
				j.FirstRcpt, j.LastRcpt = chunk[0], chunk[len(chunk)-1]
				jobs = append(jobs, j)
			}
		}
		for i := range jobs {
			jobs[i].ClientMsgID = fmt.Sprintf("fivec-b%d-r%d-%d", b.ID, run.ID, i+1)
		}
		if len(jobs) == 0 {
			return tx.Model(&Push{}).Where("id = ?", run.PushID).Updates(map[string]any{"state": PushDone, "updated_at": now}).Error
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&jobs).Error
	}))
}

// massChunks splits ids into calls of at most 10,000, none of them under 2
// when it can be avoided (the last two chunks share out the rest).
func massChunks(ids []uint64) [][]uint64 {
	var out [][]uint64
	for i := 0; i < len(ids); i += MaxMassOpenIDs {
		out = append(out, ids[i:min(i+MaxMassOpenIDs, len(ids))])
	}
	if n := len(out); n >= 2 && len(out[n-1]) < 2 {
		all := append(append([]uint64{}, out[n-2]...), out[n-1]...)
		half := len(all) / 2
		out[n-2], out[n-1] = all[:half], all[half:]
	}
	return out
}

func (s *Store) wechatTagID(tx *gorm.DB, name string) *int32 {
	var t Tag
	if err := tx.Session(&gorm.Session{NewDB: true}).Where("name = ?", name).Take(&t).Error; err != nil {
		return nil
	}
	return t.WeChatID
}

// changeMassPush pauses, resumes or cancels the mass jobs of a run not yet
// submitted (a job WeChat accepted cannot be recalled). A mass push is
// never set to "scheduled": the delivery engine would claim it.
func (s *Store) changeMassPush(ctx context.Context, pushID uint64, state string) error {
	now := s.now()
	return translate("change mass push", s.tx(ctx, func(tx *gorm.DB) error {
		switch state {
		case PushPaused:
			return tx.Model(&Push{}).Where("id = ? AND state = ?", pushID, PushMass).Updates(map[string]any{"state": PushPaused, "updated_at": now}).Error
		case PushScheduled:
			return tx.Model(&Push{}).Where("id = ? AND state = ?", pushID, PushPaused).Updates(map[string]any{"state": PushMass, "updated_at": now}).Error
		}
		if err := tx.Model(&MassJob{}).Where("push_id = ? AND state = ?", pushID, MassPending).
			Updates(map[string]any{"state": MassFailed, "reason": "cancelled"}).Error; err != nil {
			return err
		}
		if err := tx.Model(&Recipient{}).Where("push_id = ? AND state = ?", pushID, RcptQueued).
			Updates(map[string]any{"state": RcptSkipped, "reason": "cancelled"}).Error; err != nil {
			return err
		}
		return tx.Model(&Push{}).Where("id = ? AND state IN ?", pushID, []string{PushMass, PushPaused}).
			Updates(map[string]any{"state": PushCancelled, "updated_at": now}).Error
	}))
}

// PurgeMassFinishEvents forgets MASSSENDJOBFINISH events no job claimed
// within a day (sends made elsewhere, e.g. on the WeChat admin page).
func (s *Store) PurgeMassFinishEvents(ctx context.Context) error {
	return translate("purge mass events", s.db.WithContext(ctx).Where("created_at < ?", s.now().Add(-24*time.Hour)).Delete(&MassFinishEvent{}).Error)
}

// ClaimMassJob leases the next due mass job (a pending one, or one whose
// submitter died mid-call) and marks it submitting; nil when none is due.
func (s *Store) ClaimMassJob(ctx context.Context, lease time.Duration) (*MassJob, error) {
	now := s.now()
	var out *MassJob
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Jobs of a paused or cancelled run wait (or stay) unsent.
		running := tx.Session(&gorm.Session{NewDB: true}).Model(&Push{}).Select("id").Where("state = ?", PushMass)
		q := tx.Where("((state = ? AND next_at <= ?) OR (state = ? AND claimed_until < ?)) AND push_id IN (?)",
			MassPending, now, MassSubmitting, now, running).Order("id").Limit(1)
		if tx.Dialector.Name() == "mysql" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var j MassJob
		if err := q.Take(&j).Error; err != nil {
			if isNotFound(err) {
				return nil
			}
			return err
		}
		until := now.Add(lease)
		if err := tx.Model(&MassJob{}).Where("id = ?", j.ID).
			Updates(map[string]any{"state": MassSubmitting, "claimed_until": until, "attempts": gorm.Expr("attempts + 1")}).Error; err != nil {
			return err
		}
		j.State, j.ClaimedUntil, j.Attempts = MassSubmitting, &until, j.Attempts+1
		out = &j
		return nil
	})
	return out, translate("claim mass job", err)
}

// MassJobOpenIDs returns the openids a mass/send job goes to.
func (s *Store) MassJobOpenIDs(ctx context.Context, j *MassJob) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&Recipient{}).Where("push_id = ? AND id BETWEEN ? AND ? AND state = ?", j.PushID, j.FirstRcpt, j.LastRcpt, RcptQueued).
		Order("id").Pluck("open_id", &ids).Error
	return ids, translate("mass openids", err)
}

// MassOutcome is the result of submitting a mass job.
type MassOutcome struct {
	MsgID   int64
	Status  string // mass/get's msg_status after a 45065
	ErrCode int
	Reason  string
	// RetryAt, when set, queues the job again (a transient error).
	RetryAt *time.Time
}

// FinishMassJob records a submission. Accepted: the job's recipients are
// sent (by mass); refused: failed with the errcode; transient: queued again.
// The push is done once every job has an answer.
func (s *Store) FinishMassJob(ctx context.Context, j *MassJob, o MassOutcome) error {
	now := s.now()
	early := int64(0) // the msg_id, once recorded: WeChat's event may have come first
	err := s.tx(ctx, func(tx *gorm.DB) error {
		rcpts := tx.Model(&Recipient{}).Where("push_id = ? AND state = ?", j.PushID, RcptQueued)
		if j.Target == MassToOpenIDs {
			rcpts = rcpts.Where("id BETWEEN ? AND ?", j.FirstRcpt, j.LastRcpt)
		}
		updates := map[string]any{"claimed_until": nil, "err_code": o.ErrCode, "reason": truncateUTF8(o.Reason, 191), "status": o.Status}
		switch {
		case o.RetryAt != nil:
			updates["state"], updates["next_at"] = MassPending, o.RetryAt.UTC()
		case o.MsgID != 0 && o.Status != "SEND_FAIL":
			updates["state"], updates["msg_id"], updates["submitted_at"] = MassSubmitted, o.MsgID, now
			if err := rcpts.Updates(map[string]any{"state": RcptSent, "channel": ChannelMass, "sent_at": now, "attempts": gorm.Expr("attempts + 1")}).Error; err != nil {
				return err
			}
			early = o.MsgID
		default:
			updates["state"], updates["msg_id"] = MassFailed, o.MsgID
			if err := rcpts.Updates(map[string]any{"state": RcptFailed, "channel": ChannelMass, "err_code": o.ErrCode,
				"reason": truncateUTF8(o.Reason, 191), "attempts": gorm.Expr("attempts + 1")}).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(&MassJob{}).Where("id = ? AND state = ?", j.ID, MassSubmitting).Updates(updates).Error; err != nil {
			return err
		}
		var open int64
		if err := tx.Model(&MassJob{}).Where("push_id = ? AND state IN ?", j.PushID, []string{MassPending, MassSubmitting}).Count(&open).Error; err != nil {
			return err
		}
		if open > 0 {
			return nil
		}
		return tx.Model(&Push{}).Where("id = ? AND state = ?", j.PushID, PushMass).Updates(map[string]any{"state": PushDone, "updated_at": now}).Error
	})
	if err != nil || early == 0 {
		return translate("finish mass job", err)
	}
	var ev MassFinishEvent
	if err := s.db.WithContext(ctx).Take(&ev, early).Error; isNotFound(err) {
		return nil
	} else if err != nil {
		return translate("finish mass job", err)
	}
	_, err = s.RecordMassFinish(ctx, MassFinish{MsgID: ev.MsgID, Status: ev.Status, TotalCount: ev.TotalCount,
		FilterCount: ev.FilterCount, SentCount: ev.SentCount, ErrorCount: ev.ErrorCount})
	return err
}

// MassFinish is a MASSSENDJOBFINISH event.
type MassFinish struct {
	MsgID                                          int64
	Status                                         string // "send success", "send fail", "err(n)"
	TotalCount, FilterCount, SentCount, ErrorCount int64
}

// MassFinishEvent keeps a MASSSENDJOBFINISH whose msg_id no job has yet:
// WeChat may call back before fivec has stored the answer to its send.
// The job picks it up when it records the msg_id.
type MassFinishEvent struct {
	MsgID       int64  `gorm:"primaryKey;autoIncrement:false"`
	Status      string `gorm:"size:64"`
	TotalCount  int64
	FilterCount int64
	SentCount   int64
	ErrorCount  int64
	CreatedAt   time.Time
}

// RecordMassFinish stores WeChat's final counts for a mass job. A failed
// job turns its recipients from sent to failed, with the errcode of
// "err(n)". An event for a msg_id no job has (yet) is kept: it is applied
// when the job records that msg_id, and otherwise belongs to a send made
// elsewhere (the WeChat admin page); the result is false then. A repeat of
// the event changes nothing.
func (s *Store) RecordMassFinish(ctx context.Context, f MassFinish) (bool, error) {
	var j MassJob
	err := s.db.WithContext(ctx).Where("msg_id = ?", f.MsgID).Take(&j).Error
	if isNotFound(err) {
		ev := MassFinishEvent{MsgID: f.MsgID, Status: truncateUTF8(f.Status, 64), TotalCount: f.TotalCount,
			FilterCount: f.FilterCount, SentCount: f.SentCount, ErrorCount: f.ErrorCount, CreatedAt: s.now()}
		return false, translate("mass finish", s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&ev).Error)
	}
	if err != nil {
		return false, translate("mass finish", err)
	}
	return true, translate("mass finish", s.tx(ctx, func(tx *gorm.DB) error { return applyMassFinish(tx, &j, f, s.now()) }))
}

// applyMassFinish writes the event's counts on j and fails its recipients
// when WeChat reports the job failed.
func applyMassFinish(tx *gorm.DB, j *MassJob, f MassFinish, now time.Time) error {
	if err := tx.Model(&MassJob{}).Where("id = ?", j.ID).Updates(map[string]any{"status": truncateUTF8(f.Status, 64),
		"total_count": f.TotalCount, "filter_count": f.FilterCount, "sent_count": f.SentCount, "error_count": f.ErrorCount, "finished_at": now}).Error; err != nil {
		return err
	}
	if f.Status == "send success" || f.Status == "" {
		return nil
	}
	code := 0
	fmt.Sscanf(strings.TrimPrefix(f.Status, "err("), "%d", &code)
	q := tx.Model(&Recipient{}).Where("push_id = ? AND state = ? AND channel = ?", j.PushID, RcptSent, ChannelMass)
	if j.Target == MassToOpenIDs {
		q = q.Where("id BETWEEN ? AND ?", j.FirstRcpt, j.LastRcpt)
	}
	return q.Updates(map[string]any{"state": RcptFailed, "err_code": code, "reason": "WeChat: " + truncateUTF8(f.Status, 100)}).Error
}

// MassJobs returns a push's mass jobs.
func (s *Store) MassJobs(ctx context.Context, pushID uint64) ([]MassJob, error) {
	var out []MassJob
	err := s.db.WithContext(ctx).Where("push_id = ?", pushID).Order("id").Find(&out).Error
	return out, translate("mass jobs", err)
}
