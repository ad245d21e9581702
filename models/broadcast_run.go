package models

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Run states.
const (
	RunPlanning = "planning" // claimed; the push is being created
	RunSending  = "sending"
	RunDone     = "done"
)

// PushMass marks the push of a mass-send run: the delivery engine never
// claims its recipients; the mass sender records their outcome.
const PushMass = "mass"

// massHold is the scheduled time a mass run's push is created with, so the
// engine cannot claim it in the instant before it is marked PushMass.
var massHold = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)

// runLease is how long a worker may take to plan a run before another
// worker resumes it.
const runLease = 10 * time.Minute

// BroadcastRun is one run of a broadcast (a one-off has one, a recurring
// broadcast one per cron tick). DueAt is unique per broadcast, so two
// workers can never start the same run twice.
type BroadcastRun struct {
	ID          uint64    `gorm:"primaryKey"`
	BroadcastID uint64    `gorm:"not null;uniqueIndex:idx_run_due,priority:1"`
	DueAt       time.Time `gorm:"not null;uniqueIndex:idx_run_due,priority:2"`
	Channel     string    `gorm:"size:16;not null"`
	PushID      uint64    `gorm:"not null;default:0;index"`
	State       string    `gorm:"size:16;not null;index"`
	StartedAt   time.Time
	FinishedAt  *time.Time
	// Error says why a run could not start (its segment was deleted).
	Error string `gorm:"size:191"`
}

// BroadcastRuns returns a broadcast's runs, newest first.
func (s *Store) BroadcastRuns(ctx context.Context, broadcastID uint64) ([]BroadcastRun, error) {
	var out []BroadcastRun
	err := s.db.WithContext(ctx).Where("broadcast_id = ?", broadcastID).Order("id DESC").Find(&out).Error
	return out, translate("broadcast runs", err)
}

// FindBroadcastRun returns one run.
func (s *Store) FindBroadcastRun(ctx context.Context, id uint64) (*BroadcastRun, error) {
	var r BroadcastRun
	return &r, translate("broadcast run", s.db.WithContext(ctx).Take(&r, id).Error)
}

// StartDueBroadcasts starts every scheduled broadcast whose time has come:
// it records the run (once, whichever worker gets there first), moves the
// broadcast to its next cron time (skipping ticks missed while the server
// was down) or marks a one-off sent, and creates the run's push. It also
// finishes runs a crashed worker left half-planned. A broadcast whose
// variables cannot be sent (VarsProblem: saved before the check) does not
// start: it goes back to draft. It returns the runs it started or resumed.
func (s *Store) StartDueBroadcasts(ctx context.Context, policy BroadcastPolicy) ([]BroadcastRun, error) {
	policy = policy.withDefaults()
	now := s.now()
	var due []Broadcast
	if err := s.db.WithContext(ctx).Where("state = ? AND next_run_at <= ?", BroadcastScheduled, now).
		Order("next_run_at").Limit(100).Find(&due).Error; err != nil {
		return nil, translate("due broadcasts", err)
	}
	var started []BroadcastRun
	for i := range due {
		if due[i].VarsProblem() != nil {
			// Saved before variables were checked (a mass send with
			// {{.Name}}): it never starts. Back to draft, where its page
			// says why and the marketer can edit it.
			if err := s.db.WithContext(ctx).Model(&Broadcast{}).Where("id = ? AND state = ?", due[i].ID, BroadcastScheduled).
				Updates(map[string]any{"state": BroadcastDraft, "next_run_at": nil, "approved_by": 0, "approved_at": nil, "updated_at": now}).Error; err != nil {
				return started, translate("hold broadcast", err)
			}
			continue
		}
		run, err := s.claimRun(ctx, &due[i], policy, now)
		if err != nil {
			return started, err
		}
		if run != nil {
			started = append(started, *run)
		}
	}
	// Runs whose planner died: plan them again (the push is found by name).
	var stale []BroadcastRun
	if err := s.db.WithContext(ctx).Where("state = ? AND started_at < ?", RunPlanning, now.Add(-runLease)).Find(&stale).Error; err != nil {
		return started, translate("stale runs", err)
	}
	for i := range stale {
		if s.db.WithContext(ctx).Model(&BroadcastRun{}).Where("id = ? AND state = ? AND started_at = ?", stale[i].ID, RunPlanning, stale[i].StartedAt).
			Update("started_at", now).RowsAffected == 1 {
			started = append(started, stale[i])
		}
	}
	for i := range started {
		err := s.planRun(ctx, &started[i], policy)
		if ErrorCode(err) == EINVALID {
			// Nothing to send (the audience is gone): the run ends, saying why.
			started[i].State, started[i].Error = RunDone, ErrorMessage(err)
			err = s.db.WithContext(ctx).Model(&BroadcastRun{}).Where("id = ?", started[i].ID).
				Updates(map[string]any{"state": RunDone, "finished_at": s.now(), "error": truncateUTF8(ErrorMessage(err), 191)}).Error
		}
		if err != nil {
			return started, translate("plan run", err)
		}
	}
	return started, nil
}

// claimRun records the run due now for b and advances b; nil when another
// worker claimed it first.
func (s *Store) claimRun(ctx context.Context, b *Broadcast, policy BroadcastPolicy, now time.Time) (*BroadcastRun, error) {
	run := &BroadcastRun{BroadcastID: b.ID, DueAt: *b.NextRunAt, Channel: b.Channel, State: RunPlanning, StartedAt: now}
	claimed := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		updates := map[string]any{"runs": gorm.Expr("runs + 1"), "updated_at": now}
		if b.Cron == "" {
			updates["state"], updates["next_run_at"] = BroadcastSent, nil
		} else {
			runs, err := BroadcastSchedule{Cron: b.Cron}.nextRuns(policy.Loc, now, now.AddDate(1, 0, 0), 1)
			if err != nil {
				return err
			}
			if len(runs) == 0 {
				updates["state"], updates["next_run_at"] = BroadcastSent, nil
			} else {
				updates["next_run_at"] = runs[0]
			}
		}
		res := tx.Model(&Broadcast{}).Where("id = ? AND state = ? AND next_run_at = ?", b.ID, BroadcastScheduled, *b.NextRunAt).Updates(updates)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		res = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(run)
		claimed = res.Error == nil && res.RowsAffected == 1
		return res.Error
	})
	if err != nil || !claimed {
		return nil, translate("start broadcast", err)
	}
	return run, nil
}

// planRun creates the run's push (recipients from the audience as it is
// now) and hands it to the delivery engine or, for mass runs, to the mass
// sender.
func (s *Store) planRun(ctx context.Context, run *BroadcastRun, policy BroadcastPolicy) error {
	b, err := s.FindBroadcast(ctx, run.BroadcastID)
	if err != nil {
		return err
	}
	name := broadcastRunName(b, run)
	var p Push
	err = s.db.WithContext(ctx).Where("kind = ? AND name = ?", "broadcast", name).Take(&p).Error
	if isNotFound(err) {
		ids, aerr := s.AudienceMemberIDs(ctx, b)
		if aerr != nil {
			return aerr
		}
		reply, rerr := b.Reply()
		if rerr != nil {
			return rerr
		}
		n := NewPush{Kind: "broadcast", Name: name, Reply: reply, TemplateID: b.TemplateID, TemplateData: b.TemplateFields(), StaffID: b.StaffID}
		if run.Channel == BroadcastMass {
			n.ScheduledAt = &massHold
		}
		created, cerr := s.CreatePush(ctx, n, ids)
		if cerr != nil {
			return cerr
		}
		p = *created
	} else if err != nil {
		return translate("find run push", err)
	}
	now := s.now()
	return translate("plan run", s.tx(ctx, func(tx *gorm.DB) error {
		if run.Channel == BroadcastMass {
			if err := tx.Model(&Push{}).Where("id = ?", p.ID).Updates(map[string]any{"state": PushMass, "scheduled_at": now, "updated_at": now}).Error; err != nil {
				return err
			}
		}
		run.PushID, run.State = p.ID, RunSending
		return tx.Model(&BroadcastRun{}).Where("id = ?", run.ID).Updates(map[string]any{"push_id": p.ID, "state": RunSending}).Error
	}))
}

// FinishRuns marks runs done once their push is done or cancelled. A
// direct run whose recipients were all skipped up front (everyone
// unfollowed) is never claimed by the engine, so its push is closed here.
func (s *Store) FinishRuns(ctx context.Context) error {
	// Two workers finishing at once can deadlock on MySQL (each UPDATE reads
	// the other's tables): s.tx retries the victim.
	return translate("finish runs", s.tx(ctx, func(tx *gorm.DB) error {
		open := tx.Session(&gorm.Session{NewDB: true}).Model(&Recipient{}).Select("push_id").
			Where("state IN ?", []string{RcptQueued, RcptClaimed, RcptSending})
		ours := tx.Session(&gorm.Session{NewDB: true}).Model(&BroadcastRun{}).Select("push_id").Where("state = ?", RunSending)
		if err := tx.Model(&Push{}).Where("state IN ? AND id IN (?) AND id NOT IN (?)", []string{PushScheduled, PushSending}, ours, open).
			Updates(map[string]any{"state": PushDone, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		finished := tx.Session(&gorm.Session{NewDB: true}).Model(&Push{}).Select("id").Where("state IN ?", []string{PushDone, PushCancelled})
		return tx.Model(&BroadcastRun{}).Where("state = ? AND push_id IN (?)", RunSending, finished).
			Updates(map[string]any{"state": RunDone, "finished_at": s.now()}).Error
	}))
}

// AudienceMemberIDs resolves a broadcast's audience to member ids now
// (unfollowed members included: the push records them as skipped).
func (s *Store) AudienceMemberIDs(ctx context.Context, b *Broadcast) ([]uint64, error) {
	switch b.Audience {
	case AudienceAll:
		return s.SegmentMemberIDs(ctx, SegmentFilter{})
	case AudienceTag:
		return s.SegmentMemberIDs(ctx, SegmentFilter{TagsAny: []string{b.AudienceRef}})
	case AudienceStage:
		return s.SegmentMemberIDs(ctx, SegmentFilter{Stages: []string{b.AudienceRef}})
	case AudienceSegment:
		id, _ := strconv.ParseUint(b.AudienceRef, 10, 64)
		sg, err := s.FindSegment(ctx, id)
		if err != nil {
			return nil, Errorf(EINVALID, "the broadcast's segment no longer exists")
		}
		f, err := sg.Decode()
		if err != nil {
			return nil, err
		}
		return s.SegmentMemberIDs(ctx, f)
	case AudienceOpenIDs:
		list := b.OpenIDList()
		out := make([]uint64, 0, len(list))
		for i := 0; i < len(list); i += 1000 {
			var ids []uint64
			if err := s.db.WithContext(ctx).Model(&Member{}).Where("open_id IN ?", list[i:min(i+1000, len(list))]).
				Order("id").Pluck("id", &ids).Error; err != nil {
				return nil, translate("audience", err)
			}
			out = append(out, ids...)
		}
		return out, nil
	}
	return nil, Errorf(EINVALID, "unknown audience %q", b.Audience)
}
