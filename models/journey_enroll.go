package models

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Enrolment states and exit reasons.
const (
	EnrollActive = "active"
	EnrollExited = "exited"

	ExitGoal       = "goal"
	ExitUnfollowed = "unfollowed"
	ExitCompleted  = "completed"
)

// GoalGrace is how long a member stays in a journey with a goal after its
// last step, so a coupon sent on day 7 and used on day 9 still counts.
const GoalGrace = 7 * 24 * time.Hour

// JourneyEnrollment is one member's way through a journey. The unique key
// (journey, member, trigger event) makes enrolment idempotent; ActiveMemberID
// is the member's id while active (NULL after), so a member is never in one
// journey twice at once.
type JourneyEnrollment struct {
	ID             uint64  `gorm:"primaryKey"`
	JourneyID      uint64  `gorm:"not null;uniqueIndex:idx_jenr_event,priority:1;uniqueIndex:idx_jenr_active,priority:1;index:idx_jenr_due,priority:1"`
	MemberID       uint64  `gorm:"not null;uniqueIndex:idx_jenr_event,priority:2;index"`
	TriggerKey     string  `gorm:"size:64;not null;uniqueIndex:idx_jenr_event,priority:3"`
	ActiveMemberID *uint64 `gorm:"uniqueIndex:idx_jenr_active,priority:2"`
	State          string  `gorm:"size:16;not null;index:idx_jenr_due,priority:2"`
	// Step is the position of the next step to send (len(steps): all sent).
	Step       int       `gorm:"not null;default:0;index:idx_jenr_due,priority:3"`
	EnteredAt  time.Time `gorm:"index:idx_jenr_due,priority:4"`
	LastStepAt *time.Time
	ExitedAt   *time.Time
	ExitReason string `gorm:"size:16"`
}

// Step outcomes recorded in JourneySend.
const (
	SendPushed    = "pushed"    // handed to the delivery engine (its recipient row says what happened)
	SendCondition = "condition" // the member did not match the step's condition
)

// JourneySend records that a step was handled for an enrolment: unique per
// (enrolment, step), written in the transaction that advances the
// enrolment and creates the push, so a step is never sent twice.
type JourneySend struct {
	ID           uint64 `gorm:"primaryKey"`
	JourneyID    uint64 `gorm:"not null;index"`
	EnrollmentID uint64 `gorm:"not null;uniqueIndex:idx_jsend_step,priority:1"`
	Step         int    `gorm:"not null;uniqueIndex:idx_jsend_step,priority:2"`
	MemberID     uint64 `gorm:"not null"`
	Outcome      string `gorm:"size:16;not null"`
	PushID       *uint64
	CreatedAt    time.Time
}

// TriggerHit is one recorded event that may enrol a member in a journey.
// Key names the event for the journey's unique (journey, member, event) key,
// so the same event never enrols twice however often it is read.
type TriggerHit struct {
	ID       uint64 // source row (id-scanned triggers)
	MemberID uint64
	EventAt  time.Time
	Key      string
}

// The trigger scans: the queries behind each trigger, for subscribed
// members only. When to scan, from where and how far is the Care role's
// decision (roles/care_enrol.go); these read the facts and move the cursors.

// ScansByID reports whether a trigger reads a table by row id (the others
// read by time, or, for birthdays, by the calendar).
func ScansByID(trigger string) bool {
	switch trigger {
	case TriggerFollowed, TriggerEvent, TriggerStage, TriggerLevel, TriggerRedeemed:
		return true
	}
	return false
}

// NewestTriggerRow is the id of the newest row of the table an id-scanned
// trigger reads (0 for the other triggers).
func (s *Store) NewestTriggerRow(ctx context.Context, trigger string) (uint64, error) {
	top, err := s.triggerStart(s.db.WithContext(ctx), trigger)
	return top, translate("scan "+trigger, err)
}

// TriggerRows returns (at most limit, by id) the rows with from < id <= to
// of the table behind j's id-scanned trigger that match it.
func (s *Store) TriggerRows(ctx context.Context, j *Journey, from, to uint64, limit int) ([]TriggerHit, error) {
	q, prefix := s.triggerQuery(s.db.WithContext(ctx), j)
	var events []TriggerHit
	if err := q.Where(prefix+".id > ? AND "+prefix+".id <= ?", from, to).Order(prefix + ".id").Limit(limit).Scan(&events).Error; err != nil {
		return nil, translate("scan "+j.Trigger, err)
	}
	for i := range events {
		events[i].Key = prefix[:1] + itoa(events[i].ID)
	}
	return events, nil
}

// TaggedBetween returns the taggings with tag in (from, to].
func (s *Store) TaggedBetween(ctx context.Context, tag string, from, to time.Time) ([]TriggerHit, error) {
	var events []TriggerHit
	err := s.db.WithContext(ctx).Table("member_tags").Select("member_tags.member_id AS member_id, member_tags.created_at AS event_at").
		Joins("JOIN tags ON tags.id = member_tags.tag_id").Joins("JOIN members ON members.id = member_tags.member_id").
		Where("tags.name = ? AND members.subscribed = ? AND member_tags.created_at > ? AND member_tags.created_at <= ?", tag, true, from, to).
		Scan(&events).Error
	for i := range events {
		events[i].Key = "t" + strconv.FormatInt(events[i].EventAt.UnixMilli(), 10)
	}
	return events, translate("scan "+TriggerTagged, err)
}

// ResolvedBetween returns the Close Service conversations resolved in (from, to].
func (s *Store) ResolvedBetween(ctx context.Context, from, to time.Time) ([]TriggerHit, error) {
	var events []TriggerHit
	err := s.db.WithContext(ctx).Table("conversations").Select("conversations.id AS id, conversations.member_id AS member_id, conversations.resolved_at AS event_at").
		Joins("JOIN members ON members.id = conversations.member_id").
		Where("conversations.state = ? AND members.subscribed = ? AND conversations.resolved_at > ? AND conversations.resolved_at <= ?", ConvResolved, true, from, to).
		Scan(&events).Error
	for i := range events {
		events[i].Key = "v" + itoa(events[i].ID)
	}
	return events, translate("scan "+TriggerResolved, err)
}

// LastInteractionBetween returns the members whose last message or click
// was in (from, to]: who has been silent since.
func (s *Store) LastInteractionBetween(ctx context.Context, from, to time.Time) ([]TriggerHit, error) {
	var events []TriggerHit
	err := s.db.WithContext(ctx).Model(&Member{}).Select("id AS member_id, last_interaction_at AS event_at").
		Where("subscribed = ? AND last_interaction_at > ? AND last_interaction_at <= ?", true, from, to).
		Scan(&events).Error
	for i := range events {
		events[i].Key = "i" + strconv.FormatInt(events[i].EventAt.UnixMilli(), 10)
	}
	return events, translate("scan "+TriggerInactive, err)
}

// BirthdayMembers returns the members whose profile birthday falls on one
// of days ("01-02": month and day, any year).
func (s *Store) BirthdayMembers(ctx context.Context, days []string) ([]uint64, error) {
	db := s.db.WithContext(ctx)
	q := db.Table("members").Select("members.id").Joins("JOIN member_profiles ON member_profiles.member_id = members.id").
		Where("members.subscribed = ?", true)
	or := db.Session(&gorm.Session{NewDB: true})
	for _, d := range days {
		or = or.Or("member_profiles.birthday LIKE ?", "%-"+d)
	}
	var ids []uint64
	err := q.Where(or).Pluck("members.id", &ids).Error
	return ids, translate("scan "+TriggerBirthday, err)
}

// MoveScanID moves j's id cursor on to id (never back: another process may
// have scanned further).
func (s *Store) MoveScanID(ctx context.Context, j *Journey, id uint64) error {
	err := s.db.WithContext(ctx).Model(&Journey{}).Where("id = ? AND scan_id < ?", j.ID, id).Update("scan_id", id).Error
	return translate("journey cursor", err)
}

// MoveScannedAt moves j's time cursor on to at (never back).
func (s *Store) MoveScannedAt(ctx context.Context, j *Journey, at time.Time) error {
	err := s.db.WithContext(ctx).Model(&Journey{}).Where("id = ? AND scanned_at < ?", j.ID, at).Update("scanned_at", at).Error
	return translate("journey cursor", err)
}

// triggerQuery selects id, member_id and at of the rows that match an
// id-scanned trigger, for subscribed members; prefix names the table.
func (s *Store) triggerQuery(db *gorm.DB, j *Journey) (*gorm.DB, string) {
	switch j.Trigger {
	case TriggerFollowed, TriggerEvent:
		q := db.Table("messages").Select("messages.id AS id, members.id AS member_id, messages.created_at AS event_at").
			Joins("JOIN members ON members.open_id = messages.open_id").
			Where("messages.direction = ? AND messages.msg_type = ? AND members.subscribed = ?", DirectionIn, "event", true)
		if j.Trigger == TriggerFollowed {
			q = q.Where("messages.event = ?", "subscribe")
			if j.TriggerValue != "" {
				q = q.Where("messages.event_key = ?", "qrscene_"+j.TriggerValue)
			}
			return q, "messages"
		}
		ev, key, _ := strings.Cut(j.TriggerValue, ":")
		q = q.Where("LOWER(messages.event) = ?", strings.ToLower(ev))
		if key != "" {
			q = q.Where("messages.event_key = ?", key)
		}
		return q, "messages"
	case TriggerRedeemed:
		q := db.Table("redemptions").Select("redemptions.id AS id, redemptions.member_id AS member_id, redemptions.created_at AS event_at").
			Joins("JOIN members ON members.id = redemptions.member_id").Where("members.subscribed = ?", true)
		if j.TriggerValue != "" {
			q = q.Where("redemptions.gift_id = ?", j.TriggerValue)
		}
		return q, "redemptions"
	default: // stage, level
		return db.Table("member_changes").Select("member_changes.id AS id, member_changes.member_id AS member_id, member_changes.created_at AS event_at").
			Joins("JOIN members ON members.id = member_changes.member_id").
			Where("members.subscribed = ?", true).
			Where(map[string]any{"member_changes.field": j.Trigger, "member_changes.to": j.TriggerValue}), "member_changes"
	}
}

// mayEnter is the re-entry rule: whether a member whose enrolments in j so
// far are prev enters for the trigger event key, which happened at at. Not
// when they are in the journey now, went through it once (ReEntryOnce),
// entered for this very event, or the event happened while they were in it.
func (j *Journey) mayEnter(prev []JourneyEnrollment, key string, at time.Time) bool {
	for _, p := range prev {
		if p.State == EnrollActive || j.ReEntry != ReEntryAfterExit || p.TriggerKey == key || (p.ExitedAt != nil && !p.ExitedAt.Before(at)) {
			return false
		}
	}
	return true
}

// Enrol puts a member into a journey for the trigger event key (which
// happened at at), following the journey's re-entry policy. It reports
// whether the member entered; the same event never enrols twice.
func (s *Store) Enrol(ctx context.Context, j *Journey, memberID uint64, key string, at time.Time) (bool, error) {
	entered := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var live int64 // paused or deleted since the caller loaded it: nobody enters
		if err := tx.Model(&Journey{}).Where("id = ? AND state = ?", j.ID, JourneyActive).Count(&live).Error; err != nil || live == 0 {
			return err
		}
		var prev []JourneyEnrollment
		if err := tx.Select("id, state, exited_at, trigger_key").Where("journey_id = ? AND member_id = ?", j.ID, memberID).
			Find(&prev).Error; err != nil {
			return err
		}
		if !j.mayEnter(prev, key, at) {
			return nil
		}
		mid := memberID
		e := JourneyEnrollment{JourneyID: j.ID, MemberID: memberID, TriggerKey: key, ActiveMemberID: &mid,
			State: EnrollActive, EnteredAt: s.now()}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&e)
		entered = res.Error == nil && res.RowsAffected == 1
		return res.Error
	})
	return entered, translate("enrol", err)
}

// exitCond is a condition under which an active enrolment leaves.
type exitCond struct {
	reason string
	where  string
	args   []any
}

// exitConds lists j's exit conditions, in order: unfollow, then the goal
// (completion is handled apart).
func exitConds(j *Journey) []exitCond {
	const member = "journey_enrollments.member_id"
	out := []exitCond{{ExitUnfollowed, "EXISTS (SELECT 1 FROM members WHERE members.id = " + member + " AND members.subscribed = ?)", []any{false}}}
	goal := exitCond{reason: ExitGoal}
	switch j.Goal {
	case GoalRedeemed:
		goal.where = "EXISTS (SELECT 1 FROM redemptions WHERE redemptions.member_id = " + member + " AND redemptions.created_at >= journey_enrollments.entered_at"
		if j.GoalValue != "" {
			goal.where += " AND redemptions.gift_id = ?"
			goal.args = []any{j.GoalValue}
		}
		goal.where += ")"
	case GoalTagged:
		goal.where = "EXISTS (SELECT 1 FROM member_tags JOIN tags ON tags.id = member_tags.tag_id WHERE member_tags.member_id = " + member + " AND tags.name = ?)"
		goal.args = []any{j.GoalValue}
	case GoalStage:
		goal.where = "EXISTS (SELECT 1 FROM members WHERE members.id = " + member + " AND members.stage IN ?)"
		goal.args = []any{Stages[max(0, slices.Index(Stages, j.GoalValue)):]}
	case GoalInteracted:
		goal.where = "EXISTS (SELECT 1 FROM members WHERE members.id = " + member + " AND members.last_interaction_at > journey_enrollments.entered_at)"
	default:
		return out
	}
	return append(out, goal)
}

func (s *Store) exitUpdates(reason string) map[string]any {
	return map[string]any{"state": EnrollExited, "exit_reason": reason, "exited_at": s.now(), "active_member_id": nil}
}

// ExitJourneyMembers takes out of j the members who unfollowed, met the
// goal, or finished (all steps done, and the goal's grace period over). It
// returns how many left, by reason.
func (s *Store) ExitJourneyMembers(ctx context.Context, j *Journey) (map[string]int64, error) {
	db := s.db.WithContext(ctx)
	out := map[string]int64{}
	active := func() *gorm.DB {
		return db.Model(&JourneyEnrollment{}).Where("journey_id = ? AND state = ?", j.ID, EnrollActive)
	}
	for _, c := range exitConds(j) {
		res := active().Where(c.where, c.args...).Updates(s.exitUpdates(c.reason))
		if res.Error != nil {
			return out, translate("exit journey", res.Error)
		}
		out[c.reason] += res.RowsAffected
	}
	done := active().Where("step >= ?", len(j.Steps))
	if j.Goal != GoalNone {
		done = done.Where("last_step_at <= ?", s.now().Add(-GoalGrace))
	}
	res := done.Updates(s.exitUpdates(ExitCompleted))
	out[ExitCompleted] += res.RowsAffected
	return out, translate("exit journey", res.Error)
}

// ExitAllJourneys takes a member out of every journey (they unfollowed).
func (s *Store) ExitAllJourneys(ctx context.Context, memberID uint64, reason string) (int64, error) {
	res := s.db.WithContext(ctx).Model(&JourneyEnrollment{}).Where("member_id = ? AND state = ?", memberID, EnrollActive).
		Updates(s.exitUpdates(reason))
	return res.RowsAffected, translate("exit journeys", res.Error)
}

// DueEnrollments lists (at most limit, oldest first) the active enrolments
// of j waiting for step p that entered at or before enteredBy. When a step
// is due is the Care role's decision (roles.AdvanceJourney).
func (s *Store) DueEnrollments(ctx context.Context, j *Journey, p int, enteredBy time.Time, limit int) ([]uint64, error) {
	var ids []uint64
	err := s.db.WithContext(ctx).Model(&JourneyEnrollment{}).
		Where("journey_id = ? AND state = ? AND step = ? AND entered_at <= ?", j.ID, EnrollActive, p, enteredBy).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	return ids, translate("due steps", err)
}

// StepOutcome is what AdvanceEnrollment did with a due step.
type StepOutcome int

// Step outcomes.
const (
	StepNone    StepOutcome = iota // already handled by another worker, or the journey is gone
	StepExited                     // the member unfollowed or met the goal, and left
	StepSkipped                    // the member did not match the step's condition
	StepPushed                     // push was created for the member
)

// AdvanceEnrollment handles step p of enrolment id in one transaction: a
// member who unfollowed or met the goal leaves; otherwise push (for this
// member) is created unless the member does not match the step's
// condition, the step is recorded (JourneySend) and the enrolment moves on.
// The enrolment row is locked, so two workers never handle a step twice.
func (s *Store) AdvanceEnrollment(ctx context.Context, j *Journey, p int, id uint64, push NewPush) (StepOutcome, error) {
	st := &j.Steps[p]
	var result StepOutcome
	err := s.tx(ctx, func(tx *gorm.DB) error {
		result = StepNone
		now := s.now()
		var e JourneyEnrollment
		if err := tx.Clauses(lockForUpdate(tx)...).Take(&e, id).Error; isNotFound(err) {
			return nil // the journey was deleted meanwhile
		} else if err != nil {
			return err
		}
		if e.State != EnrollActive || e.Step != p {
			return nil // another worker handled it
		}
		for _, c := range exitConds(j) {
			res := tx.Model(&JourneyEnrollment{}).Where("id = ?", id).Where(c.where, c.args...).Updates(s.exitUpdates(c.reason))
			if res.Error != nil || res.RowsAffected == 1 {
				result = StepExited
				return res.Error
			}
		}
		send := JourneySend{JourneyID: j.ID, EnrollmentID: id, Step: p, MemberID: e.MemberID, Outcome: SendPushed, CreatedAt: now}
		if f := st.Filter(); f != nil {
			var n int64
			if err := f.apply(tx, now).Where("members.id = ?", e.MemberID).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				send.Outcome = SendCondition
			}
		}
		result = StepSkipped
		if send.Outcome == SendPushed {
			// The push is created inside this transaction (CreatePush nests
			// as a savepoint), so a crash leaves neither or both.
			created, err := s.inTx(tx).CreatePush(ctx, push, []uint64{e.MemberID})
			if err != nil {
				return err
			}
			send.PushID, result = &created.ID, StepPushed
		}
		if err := tx.Create(&send).Error; err != nil {
			return err
		}
		return tx.Model(&JourneyEnrollment{}).Where("id = ?", id).Updates(map[string]any{"step": p + 1, "last_step_at": now}).Error
	})
	if err != nil {
		return StepNone, translate("send step", err)
	}
	return result, nil
}
