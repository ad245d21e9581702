package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// JourneyFlow is a journey as the console draws it: how many members
// entered, where the active ones are, how each step went and how many met
// the goal.
type JourneyFlow struct {
	Entered int64            `json:"entered"`
	Active  int64            `json:"active"`
	Exits   map[string]int64 `json:"exits"` // by reason: goal, unfollowed, completed
	// Finished are active members past the last step, waiting for the goal.
	Finished int64      `json:"finished"`
	Steps    []StepFlow `json:"steps"`
}

// Goal is how many members met the goal.
func (f JourneyFlow) Goal() int64 { return f.Exits[ExitGoal] }

// StepFlow is one step's part of the flow.
type StepFlow struct {
	Position     int   `json:"position"`
	AfterMinutes int64 `json:"after_minutes"`
	// Waiting are active members whose next step this is.
	Waiting int64 `json:"waiting"`
	// Reached is how many members the step came due for; of them the
	// condition left out ConditionSkipped, and the delivery engine sent,
	// skipped (frequency cap, unfollowed, unreachable), failed or is still
	// working on (Pending) the rest.
	Reached          int64 `json:"reached"`
	ConditionSkipped int64 `json:"condition_skipped"`
	Sent             int64 `json:"sent"`
	Skipped          int64 `json:"skipped"`
	Failed           int64 `json:"failed"`
	Pending          int64 `json:"pending"`
}

// Flow counts j's members and steps.
func (s *Store) Flow(ctx context.Context, j *Journey) (JourneyFlow, error) {
	db := s.db.WithContext(ctx)
	f := JourneyFlow{Exits: map[string]int64{}}
	var states []struct {
		State, ExitReason string
		N                 int64
	}
	if err := db.Model(&JourneyEnrollment{}).Select("state, exit_reason, COUNT(*) AS n").Where("journey_id = ?", j.ID).
		Group("state, exit_reason").Scan(&states).Error; err != nil {
		return f, translate("journey flow", err)
	}
	for _, r := range states {
		f.Entered += r.N
		if r.State == EnrollActive {
			f.Active += r.N
		} else {
			f.Exits[r.ExitReason] += r.N
		}
	}
	f.Steps = make([]StepFlow, len(j.Steps))
	for i, st := range j.Steps {
		f.Steps[i] = StepFlow{Position: i, AfterMinutes: st.AfterMinutes}
	}
	var at []struct {
		Step int
		N    int64
	}
	if err := db.Model(&JourneyEnrollment{}).Select("step, COUNT(*) AS n").Where("journey_id = ? AND state = ?", j.ID, EnrollActive).
		Group("step").Scan(&at).Error; err != nil {
		return f, translate("journey flow", err)
	}
	for _, r := range at {
		if r.Step < len(f.Steps) {
			f.Steps[r.Step].Waiting = r.N
		} else {
			f.Finished += r.N
		}
	}
	var sends []struct {
		Step           int
		Outcome, State string
		N              int64
	}
	if err := db.Table("journey_sends").Select("journey_sends.step AS step, journey_sends.outcome AS outcome, COALESCE(recipients.state, '') AS state, COUNT(*) AS n").
		Joins("LEFT JOIN recipients ON recipients.push_id = journey_sends.push_id").Where("journey_sends.journey_id = ?", j.ID).
		Group("journey_sends.step, journey_sends.outcome, recipients.state").Scan(&sends).Error; err != nil {
		return f, translate("journey flow", err)
	}
	for _, r := range sends {
		if r.Step >= len(f.Steps) {
			continue // a step removed since
		}
		sf := &f.Steps[r.Step]
		sf.Reached += r.N
		switch {
		case r.Outcome == SendCondition:
			sf.ConditionSkipped += r.N
		case r.State == RcptSent:
			sf.Sent += r.N
		case r.State == RcptSkipped:
			sf.Skipped += r.N
		case r.State == RcptFailed || r.State == RcptUnknown:
			sf.Failed += r.N
		default:
			sf.Pending += r.N
		}
	}
	return f, nil
}

// EnrollmentRow is one member's enrolment as the flow view lists it.
type EnrollmentRow struct {
	ID         uint64     `json:"id"`
	OpenID     string     `json:"openid"`
	State      string     `json:"state"`
	Step       int        `json:"step"`
	EnteredAt  time.Time  `json:"entered_at"`
	LastStepAt *time.Time `json:"last_step_at,omitempty"`
	ExitedAt   *time.Time `json:"exited_at,omitempty"`
	ExitReason string     `json:"exit_reason,omitempty"`
	// NextAt is when the next step is due (active members with a step left).
	NextAt *time.Time `json:"next_at,omitempty" gorm:"-"`
}

// RecentEnrollments returns j's latest enrolments, newest first.
func (s *Store) RecentEnrollments(ctx context.Context, j *Journey, limit int) ([]EnrollmentRow, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var out []EnrollmentRow
	err := s.db.WithContext(ctx).Table("journey_enrollments").
		Select("journey_enrollments.id, members.open_id, journey_enrollments.state, journey_enrollments.step, journey_enrollments.entered_at, journey_enrollments.last_step_at, journey_enrollments.exited_at, journey_enrollments.exit_reason").
		Joins("JOIN members ON members.id = journey_enrollments.member_id").Where("journey_enrollments.journey_id = ?", j.ID).
		Order("journey_enrollments.id DESC").Limit(limit).Scan(&out).Error
	for i := range out {
		if r := &out[i]; r.State == EnrollActive && r.Step < len(j.Steps) {
			at := r.EnteredAt.Add(j.Steps[r.Step].Delay())
			r.NextAt = &at
		}
	}
	return out, translate("journey members", err)
}

// MemberJourney is one of a member's enrolments, for the member page.
type MemberJourney struct {
	JourneyID  uint64     `json:"journey_id"`
	Name       string     `json:"name"`
	Steps      int        `json:"steps"` // the journey's step count
	State      string     `json:"state"`
	Step       int        `json:"step"`
	EnteredAt  time.Time  `json:"entered_at"`
	ExitedAt   *time.Time `json:"exited_at,omitempty"`
	ExitReason string     `json:"exit_reason,omitempty"`
}

// MemberJourneys returns the journeys a member is or was in, newest first.
func (s *Store) MemberJourneys(ctx context.Context, memberID uint64) ([]MemberJourney, error) {
	var out []MemberJourney
	db := s.db.WithContext(ctx)
	steps := db.Session(&gorm.Session{NewDB: true}).Model(&JourneyStep{}).Select("COUNT(*)").Where("journey_steps.journey_id = journeys.id")
	err := db.Table("journey_enrollments").
		Select("journeys.id AS journey_id, journeys.name, (?) AS steps, journey_enrollments.state, journey_enrollments.step, journey_enrollments.entered_at, journey_enrollments.exited_at, journey_enrollments.exit_reason", steps).
		Joins("JOIN journeys ON journeys.id = journey_enrollments.journey_id").Where("journey_enrollments.member_id = ?", memberID).
		Order("journey_enrollments.id DESC").Limit(50).Scan(&out).Error
	return out, translate("member journeys", err)
}
