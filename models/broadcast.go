package models

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Broadcast states. A broadcast is composed as a draft, waits for an admin
// when approval is required, is scheduled (once or by cron), may be paused
// and resumed, and ends sent (a one-off that ran) or cancelled.
const (
	BroadcastDraft     = "draft"
	BroadcastPending   = "pending_approval"
	BroadcastScheduled = "scheduled"
	BroadcastPaused    = "paused"
	BroadcastSent      = "sent"
	BroadcastCancelled = "cancelled"
)

// Broadcast content kinds: text, an image or a news article from the media
// library (by media_id), or a template message.
const (
	BroadcastText     = "text"
	BroadcastImage    = "image"
	BroadcastNews     = "mpnews"
	BroadcastTemplate = "template"
)

// Audiences.
const (
	AudienceAll     = "all"
	AudienceTag     = "tag"
	AudienceSegment = "segment"
	AudienceStage   = "stage"
	AudienceOpenIDs = "openids"
)

// Broadcast channels: "mass" uses WeChat's mass send (sendall by tag or to
// everyone, mass/send by openid list); "direct" reaches each fan through
// the delivery engine (customer-service message inside the 48 h window,
// else the template message).
const (
	BroadcastMass   = "mass"
	BroadcastDirect = "direct"
)

// Account types (FIVEC_ACCOUNT_TYPE): their mass-send quotas differ.
const (
	AccountService      = "service"      // 服务号: each fan receives at most 4 mass messages a month
	AccountSubscription = "subscription" // 订阅号: one mass send a day
)

// MaxPreviewFans is how many test fans one preview may go to (the console
// and the API refuse an empty list and more).
const MaxPreviewFans = 10

// Broadcast is a marketer's intent: what to send, to whom, when. Each run
// creates a Push whose recipients are delivered (see BroadcastRun).
type Broadcast struct {
	ID           uint64     `gorm:"primaryKey"`
	Name         string     `gorm:"size:191;not null"`
	Kind         string     `gorm:"size:16;not null"`
	Content      string     `gorm:"type:text;not null"` // Reply as JSON
	TemplateID   string     `gorm:"size:64"`
	TemplateData string     `gorm:"type:text"` // JSON map
	Audience     string     `gorm:"size:16;not null"`
	AudienceRef  string     `gorm:"size:191"`        // tag name, segment id or stage
	OpenIDs      string     `gorm:"type:mediumtext"` // the uploaded list, one per line, at most MaxOpenIDList (MEDIUMTEXT: migration 22)
	Channel      string     `gorm:"size:16;not null"`
	SendAt       *time.Time // a one-off's time
	Cron         string     `gorm:"size:64"` // a recurring schedule (5 fields, account zone)
	NextRunAt    *time.Time `gorm:"index"`
	State        string     `gorm:"size:16;not null;index"`
	ApprovedBy   uint64
	ApprovedAt   *time.Time
	StaffID      uint64
	Runs         int `gorm:"not null;default:0"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// BroadcastPolicy is the account's broadcast configuration.
type BroadcastPolicy struct {
	Loc         *time.Location
	AccountType string // AccountService or AccountSubscription
	// Approval: a schedule by anyone but an admin waits for an admin.
	Approval bool
	// MonthlyPerFan and DailyMass are the platform's quotas (4 and 1).
	MonthlyPerFan, DailyMass int
	// QuietFrom and QuietTo are the delivery engine's quiet hours ("22:00",
	// "08:00" in Loc; empty: none), and PushCap pushes per fan per
	// CapWindow its frequency cap (0: off): the console and the API use
	// them to say when a run will really send and who it cannot reach.
	QuietFrom, QuietTo string
	PushCap            int
	CapWindow          time.Duration
}

func (p BroadcastPolicy) withDefaults() BroadcastPolicy {
	if p.Loc == nil {
		p.Loc = time.UTC
	}
	if p.AccountType == "" {
		p.AccountType = AccountService
	}
	if p.MonthlyPerFan == 0 {
		p.MonthlyPerFan = 4
	}
	if p.DailyMass == 0 {
		p.DailyMass = 1
	}
	if p.CapWindow == 0 {
		p.CapWindow = 7 * 24 * time.Hour
	}
	return p
}

// Reply decodes the message.
func (b *Broadcast) Reply() (Reply, error) {
	var r Reply
	err := json.Unmarshal([]byte(b.Content), &r)
	return r, err
}

// TemplateFields decodes the template data.
func (b *Broadcast) TemplateFields() map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal([]byte(b.TemplateData), &m)
	return m
}

// OpenIDList returns the uploaded openids.
func (b *Broadcast) OpenIDList() []string { return splitOpenIDs(b.OpenIDs) }

// Editable reports whether the broadcast may still be changed.
func (b *Broadcast) Editable() bool {
	return b.State == BroadcastDraft || b.State == BroadcastPending || b.State == BroadcastPaused
}

// SaveBroadcast creates (id 0) or updates a broadcast. Only drafts, paused
// and pending broadcasts may change; a change needs a new approval, so the
// broadcast goes back to draft.
func (s *Store) SaveBroadcast(ctx context.Context, id uint64, in BroadcastInput, staffID uint64, policy BroadcastPolicy) (*Broadcast, error) {
	policy = policy.withDefaults()
	b := &Broadcast{State: BroadcastDraft, StaffID: staffID}
	if id != 0 {
		var err error
		if b, err = s.FindBroadcast(ctx, id); err != nil {
			return nil, err
		}
		if !b.Editable() {
			return nil, Errorf(ECONFLICT, "a %s broadcast cannot be edited", b.State)
		}
	}
	if err := in.build(b, policy); err != nil {
		return nil, err
	}
	if id == 0 {
		return b, translate("create broadcast", s.db.WithContext(ctx).Create(b).Error)
	}
	prev := b.State
	b.State, b.NextRunAt, b.ApprovedBy, b.ApprovedAt = BroadcastDraft, nil, 0, nil
	res := s.db.WithContext(ctx).Model(&Broadcast{}).Where("id = ? AND state = ?", id, prev).Select("*").Omit("created_at", "runs").Updates(b)
	if res.Error == nil && res.RowsAffected == 0 {
		return nil, Errorf(ECONFLICT, "the broadcast changed meanwhile; reload it")
	}
	return b, translate("update broadcast", res.Error)
}

// FindBroadcast returns one broadcast.
func (s *Store) FindBroadcast(ctx context.Context, id uint64) (*Broadcast, error) {
	var b Broadcast
	return &b, translate("broadcast", s.db.WithContext(ctx).Take(&b, id).Error)
}

// ListBroadcasts returns the newest broadcasts first.
func (s *Store) ListBroadcasts(ctx context.Context, limit int) ([]Broadcast, error) {
	var out []Broadcast
	err := s.db.WithContext(ctx).Omit("open_ids").Order("id DESC").Limit(limit).Find(&out).Error
	return out, translate("list broadcasts", err)
}

// BroadcastSchedule is when a broadcast should run: once at At, or by Cron.
type BroadcastSchedule struct {
	At   *time.Time
	Cron string
}

// cronParser reads the 5-field expressions marketers write.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// nextRuns returns the schedule's runs from after `from` (inclusive for a
// one-off) up to `until`, at most max.
func (sc BroadcastSchedule) nextRuns(loc *time.Location, from, until time.Time, max int) ([]time.Time, error) {
	if sc.Cron == "" {
		if sc.At == nil || sc.At.After(until) {
			return nil, nil
		}
		return []time.Time{sc.At.UTC()}, nil
	}
	sched, err := cronParser.Parse(sc.Cron)
	if err != nil {
		return nil, Errorf(EINVALID, "cron expression %q: %v", sc.Cron, err)
	}
	var out []time.Time
	t := from.In(loc)
	for len(out) < max {
		t = sched.Next(t)
		if t.IsZero() || t.After(until) {
			break
		}
		out = append(out, t.UTC())
	}
	return out, nil
}

// ScheduleBroadcast schedules a draft (or re-schedules a paused one). The
// schedule must lie ahead and respect the account's mass-send quotas; when
// approval is required and the scheduler is not an admin, the broadcast
// waits for one.
func (s *Store) ScheduleBroadcast(ctx context.Context, id uint64, sc BroadcastSchedule, staff *Staff, policy BroadcastPolicy) (*Broadcast, error) {
	policy = policy.withDefaults()
	now := s.now()
	b, err := s.FindBroadcast(ctx, id)
	if err != nil {
		return nil, err
	}
	if b.State != BroadcastDraft && b.State != BroadcastPaused {
		return nil, Errorf(ECONFLICT, "only a draft or a paused broadcast can be scheduled (this one is %s)", b.State)
	}
	if err := b.VarsProblem(); err != nil {
		return nil, err // saved before variables were checked: edit it first
	}
	sc.Cron = strings.TrimSpace(sc.Cron)
	if sc.At != nil {
		at := sc.At.UTC().Truncate(time.Millisecond) // the precision stored
		sc.At = &at
	}
	if sc.Cron != "" {
		sc.At = nil
	} else if sc.At == nil {
		return nil, Errorf(EINVALID, "choose a time or a cron expression")
	} else if sc.At.Before(now.Add(-time.Minute)) {
		return nil, Errorf(EINVALID, "the time %s has passed", sc.At.In(policy.Loc).Format("2006-01-02 15:04"))
	}
	runs, err := sc.nextRuns(policy.Loc, now, now.AddDate(1, 0, 0), 1)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, Errorf(EINVALID, "the schedule never runs within a year")
	}
	b.SendAt, b.Cron = sc.At, sc.Cron
	if err := s.checkMassQuota(ctx, b, policy, now); err != nil {
		return nil, err
	}
	state := BroadcastScheduled
	updates := map[string]any{"send_at": b.SendAt, "cron": b.Cron, "next_run_at": runs[0], "updated_at": now}
	if policy.Approval && (staff == nil || staff.Role != RoleAdmin) {
		state = BroadcastPending
	} else if policy.Approval {
		updates["approved_by"], updates["approved_at"] = staff.ID, now
	}
	updates["state"] = state
	res := s.db.WithContext(ctx).Model(&Broadcast{}).Where("id = ? AND state = ?", id, b.State).Updates(updates)
	if res.Error == nil && res.RowsAffected == 0 {
		return nil, Errorf(ECONFLICT, "the broadcast changed meanwhile; reload it")
	}
	if res.Error != nil {
		return nil, translate("schedule broadcast", res.Error)
	}
	return s.FindBroadcast(ctx, id)
}

// ApproveBroadcast lets a pending broadcast go out (admins only; the
// handlers check the role). The quotas are checked again: other
// broadcasts may have been scheduled meanwhile.
func (s *Store) ApproveBroadcast(ctx context.Context, id uint64, admin *Staff, policy BroadcastPolicy) (*Broadcast, error) {
	policy = policy.withDefaults()
	if admin == nil || admin.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "only an admin can approve a broadcast")
	}
	b, err := s.FindBroadcast(ctx, id)
	if err != nil {
		return nil, err
	}
	if b.State != BroadcastPending {
		return nil, Errorf(ECONFLICT, "the broadcast is not waiting for approval (it is %s)", b.State)
	}
	if err := b.VarsProblem(); err != nil {
		return nil, err
	}
	now := s.now()
	if err := s.checkMassQuota(ctx, b, policy, now); err != nil {
		return nil, err
	}
	res := s.db.WithContext(ctx).Model(&Broadcast{}).Where("id = ? AND state = ?", id, BroadcastPending).
		Updates(map[string]any{"state": BroadcastScheduled, "approved_by": admin.ID, "approved_at": now, "updated_at": now})
	if res.Error == nil && res.RowsAffected == 0 {
		return nil, Errorf(ECONFLICT, "the broadcast changed meanwhile; reload it")
	}
	if res.Error != nil {
		return nil, translate("approve broadcast", res.Error)
	}
	return s.FindBroadcast(ctx, id)
}

// Broadcast actions.
const (
	ActionPause  = "pause"
	ActionResume = "resume"
	ActionCancel = "cancel"
)

// ChangeBroadcast pauses, resumes or cancels a broadcast; the push of a
// run in progress pauses, resumes or stops with it (a mass job WeChat has
// already accepted cannot be recalled).
func (s *Store) ChangeBroadcast(ctx context.Context, id uint64, action string, policy BroadcastPolicy) (*Broadcast, error) {
	policy = policy.withDefaults()
	b, err := s.FindBroadcast(ctx, id)
	if err != nil {
		return nil, err
	}
	runs, err := s.BroadcastRuns(ctx, id)
	if err != nil {
		return nil, err
	}
	// A one-off that has started is "sent" yet may still be delivering:
	// it can be paused or cancelled until its run is done.
	active := false
	for _, r := range runs {
		active = active || r.State != RunDone
	}
	now := s.now()
	updates := map[string]any{"updated_at": now}
	var from []string
	pushState := ""
	switch action {
	case ActionPause:
		from, updates["state"], pushState = []string{BroadcastScheduled}, BroadcastPaused, PushPaused
		if active {
			from = append(from, BroadcastSent)
		}
	case ActionResume:
		from, updates["state"], pushState = []string{BroadcastPaused}, BroadcastScheduled, PushScheduled
		switch {
		case b.Cron == "" && b.Runs > 0:
			updates["state"] = BroadcastSent // its one run goes on
		case b.ApprovedAt == nil && policy.Approval:
			updates["state"] = BroadcastPending
		}
		// A recurring broadcast skips the runs it missed while paused.
		if b.Cron != "" {
			next, err := BroadcastSchedule{Cron: b.Cron}.nextRuns(policy.Loc, now, now.AddDate(1, 0, 0), 1)
			if err != nil {
				return nil, err
			}
			if len(next) == 0 {
				return nil, Errorf(EINVALID, "the schedule never runs within a year")
			}
			updates["next_run_at"] = next[0]
		}
	case ActionCancel:
		from, updates["state"], pushState = []string{BroadcastDraft, BroadcastPending, BroadcastScheduled, BroadcastPaused}, BroadcastCancelled, PushCancelled
		if active {
			from = append(from, BroadcastSent)
		}
		updates["next_run_at"] = nil
	default:
		return nil, Errorf(EINVALID, "unknown action %q", action)
	}
	res := s.db.WithContext(ctx).Model(&Broadcast{}).Where("id = ? AND state IN ?", id, from).Updates(updates)
	if res.Error != nil {
		return nil, translate("change broadcast", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, Errorf(ECONFLICT, "a %s broadcast cannot be %s", b.State, map[string]string{ActionPause: "paused", ActionResume: "resumed", ActionCancel: "cancelled"}[action])
	}
	for _, r := range runs {
		if r.PushID == 0 || r.State == RunDone {
			continue
		}
		if r.Channel == BroadcastMass {
			if err := s.changeMassPush(ctx, r.PushID, pushState); err != nil {
				return nil, err
			}
			continue
		}
		if err := s.SetPushState(ctx, r.PushID, pushState); err != nil && ErrorCode(err) != ECONFLICT {
			return nil, err
		}
	}
	return s.FindBroadcast(ctx, id)
}

// broadcastRunName names a run's push; it is unique, so a run interrupted
// between creating its push and recording it finds the push again.
func broadcastRunName(b *Broadcast, run *BroadcastRun) string {
	return "broadcast " + strconv.FormatUint(b.ID, 10) + " run " + strconv.FormatUint(run.ID, 10) + ": " + truncateUTF8(b.Name, 150)
}
