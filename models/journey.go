package models

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Journey states: only active journeys enrol members and send steps; a
// paused journey keeps its members where they are.
const (
	JourneyActive = "active"
	JourneyPaused = "paused"
)

// Journey triggers: what a member did (or what happened to them) that starts
// the journey. TriggerValue narrows some of them.
const (
	TriggerFollowed = "followed" // value: a channel's QR scene, "" = any follow
	TriggerTagged   = "tagged"   // value: tag name (keyword interests set tags)
	TriggerStage    = "stage"    // value: the stage reached
	TriggerLevel    = "level"    // value: the level reached
	TriggerRedeemed = "redeemed" // value: gift id, "" = any gift
	TriggerEvent    = "event"    // value: EVENT or EVENT:KEY from the message log (CLICK:RINGTONE)
	TriggerBirthday = "birthday" // no value: on the birthday in the member's profile
	TriggerInactive = "inactive" // value: days without any message
	TriggerResolved = "resolved" // no value: a Close Service conversation was resolved
)

// Triggers lists every trigger, in the order the editor offers them.
var Triggers = []string{TriggerFollowed, TriggerTagged, TriggerEvent, TriggerStage, TriggerLevel, TriggerRedeemed,
	TriggerBirthday, TriggerInactive, TriggerResolved}

// Journey goals: meeting one takes the member out of the journey and counts
// as a conversion.
const (
	GoalNone       = ""
	GoalRedeemed   = "redeemed"   // value: gift id, "" = any gift
	GoalTagged     = "tagged"     // value: tag name
	GoalStage      = "stage"      // value: stage reached (or a later one)
	GoalInteracted = "interacted" // the member wrote or clicked after entering
)

// Goals lists every goal, in the order the editor offers them.
var Goals = []string{GoalNone, GoalRedeemed, GoalTagged, GoalStage, GoalInteracted}

// Re-entry policies. Either way one trigger event enrols a member at most
// once and a member is never in one journey twice at the same time.
const (
	ReEntryOnce      = "once"       // a member goes through the journey once, ever
	ReEntryAfterExit = "after_exit" // a new trigger event after they left enrols them again
)

// Limits of a journey.
const (
	MaxJourneySteps = 20
	maxStepAfter    = 365 * 24 * 60 // minutes
)

// Journey is a triggered care journey: a trigger, timed steps and a goal.
type Journey struct {
	ID           uint64 `gorm:"primaryKey"`
	Name         string `gorm:"size:100;uniqueIndex;not null"`
	State        string `gorm:"size:16;not null;index"`
	Trigger      string `gorm:"size:16;not null"`
	TriggerValue string `gorm:"size:191"`
	Goal         string `gorm:"size:16"`
	GoalValue    string `gorm:"size:191"`
	ReEntry      string `gorm:"size:16;not null"`
	// StartID is the newest source row when the trigger was switched on:
	// only later events count. ScanID is the newest row scanned since.
	// StartAt and ScannedAt play these parts for the triggers that scan by
	// time.
	StartID   uint64 `gorm:"not null;default:0"`
	ScanID    uint64 `gorm:"not null;default:0"`
	StartAt   time.Time
	ScannedAt time.Time
	StaffID   uint64
	CreatedAt time.Time
	UpdatedAt time.Time

	Steps []JourneyStep `gorm:"-"`
}

// JourneyStep is one timed message of a journey.
type JourneyStep struct {
	ID        uint64 `gorm:"primaryKey"`
	JourneyID uint64 `gorm:"not null;index"`
	Position  int    `gorm:"not null"`
	// AfterMinutes is when the step is due, counted from entering the
	// journey ("day 3" = 4320).
	AfterMinutes int64  `gorm:"not null"`
	Content      string `gorm:"type:text;not null"` // Reply as JSON
	// Condition is a SegmentFilter (JSON) the member must match when the
	// step is due; otherwise the step is skipped. "" = always.
	Condition string `gorm:"type:text"`
	// TemplateID and TemplateData reach members whose customer-service
	// window is closed (the delivery engine decides per member).
	TemplateID   string `gorm:"size:64"`
	TemplateData string `gorm:"type:text"`
}

// Reply decodes the step's message.
func (st *JourneyStep) Reply() Reply {
	var r Reply
	_ = json.Unmarshal([]byte(st.Content), &r)
	return r
}

// Filter decodes the step's condition (nil: always).
func (st *JourneyStep) Filter() *SegmentFilter {
	if st.Condition == "" {
		return nil
	}
	var f SegmentFilter
	if json.Unmarshal([]byte(st.Condition), &f) != nil {
		return nil
	}
	return &f
}

// TemplateFields decodes the template data.
func (st *JourneyStep) TemplateFields() map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal([]byte(st.TemplateData), &m)
	return m
}

// Delay is how long after entering the journey the step comes due: the
// one rule for when a step is due (roles.AdvanceJourney sends it then, the
// flow view shows the time).
func (st *JourneyStep) Delay() time.Duration { return time.Duration(st.AfterMinutes) * time.Minute }

// NewJourney is what a marketer fills in.
type NewJourney struct {
	Name                string
	Paused              bool
	Trigger, TriggerVal string
	Goal, GoalVal       string
	ReEntry             string
	Steps               []NewStep
	StaffID             uint64
}

// NewStep is one step as typed: After is "0", "3d", "2h", "1d12h", "90m".
type NewStep struct {
	After        string
	Reply        Reply
	Condition    *SegmentFilter
	TemplateID   string
	TemplateData map[string]string
}

var eventValue = regexp.MustCompile(`^[A-Za-z_]{1,32}(:.{1,120})?$`)

// Validate checks a journey as typed and returns its steps ready to store.
func (n *NewJourney) Validate() ([]JourneyStep, error) {
	n.Name, n.TriggerVal, n.GoalVal = strings.TrimSpace(n.Name), strings.TrimSpace(n.TriggerVal), strings.TrimSpace(n.GoalVal)
	if n.Name == "" || len(n.Name) > 100 {
		return nil, Errorf(EINVALID, "a journey needs a name of 1-100 bytes")
	}
	if n.ReEntry == "" {
		n.ReEntry = ReEntryOnce
	}
	if n.ReEntry != ReEntryOnce && n.ReEntry != ReEntryAfterExit {
		return nil, Errorf(EINVALID, "re-entry must be %q or %q", ReEntryOnce, ReEntryAfterExit)
	}
	if err := validTrigger(n.Trigger, n.TriggerVal); err != nil {
		return nil, err
	}
	if err := validGoal(n.Goal, n.GoalVal); err != nil {
		return nil, err
	}
	if len(n.Steps) == 0 || len(n.Steps) > MaxJourneySteps {
		return nil, Errorf(EINVALID, "a journey needs 1-%d steps", MaxJourneySteps)
	}
	out := make([]JourneyStep, 0, len(n.Steps))
	var last int64
	for i, st := range n.Steps {
		after, err := ParseAfter(st.After)
		if err != nil {
			return nil, Errorf(EINVALID, "step %d: %s", i+1, ErrorMessage(err))
		}
		if after < last {
			return nil, Errorf(EINVALID, "step %d comes before step %d: steps must be in time order", i+1, i)
		}
		last = after
		if err := st.Reply.Validate(); err != nil {
			return nil, Errorf(EINVALID, "step %d: %s", i+1, ErrorMessage(err))
		}
		if st.Reply.Kind == ReplyTransfer {
			return nil, Errorf(EINVALID, "step %d: a care message cannot transfer to customer service", i+1)
		}
		row := JourneyStep{Position: i, AfterMinutes: after, TemplateID: strings.TrimSpace(st.TemplateID)}
		row.Content = mustJSON(st.Reply)
		if st.Condition != nil {
			if err := st.Condition.Validate(); err != nil {
				return nil, Errorf(EINVALID, "step %d condition: %s", i+1, ErrorMessage(err))
			}
			if c := mustJSON(st.Condition); c != "{}" {
				row.Condition = c
			}
		}
		if len(row.TemplateID) > 64 {
			return nil, Errorf(EINVALID, "step %d: template id is at most 64 bytes", i+1)
		}
		if len(st.TemplateData) > 0 {
			if row.TemplateID == "" {
				return nil, Errorf(EINVALID, "step %d: template fields need a template id", i+1)
			}
			row.TemplateData = mustJSON(st.TemplateData)
		}
		out = append(out, row)
	}
	return out, nil
}

func validTrigger(kind, v string) error {
	switch kind {
	case TriggerFollowed:
		if len(v) > 64 {
			return Errorf(EINVALID, "a channel scene is at most 64 bytes")
		}
	case TriggerTagged:
		return ValidTagName(v)
	case TriggerStage:
		if !contains(Stages, v) {
			return Errorf(EINVALID, "the stage trigger needs one of %s", strings.Join(Stages, ", "))
		}
	case TriggerLevel:
		if !contains(Levels, v) {
			return Errorf(EINVALID, "the level trigger needs one of %s", strings.Join(Levels, ", "))
		}
	case TriggerRedeemed:
		return validGiftID(v)
	case TriggerEvent:
		if !eventValue.MatchString(v) {
			return Errorf(EINVALID, "the event trigger needs EVENT or EVENT:KEY, e.g. CLICK:RINGTONE")
		}
	case TriggerInactive:
		if d, err := strconv.Atoi(v); err != nil || d < 1 || d > 3650 {
			return Errorf(EINVALID, "the inactivity trigger needs a number of days (1-3650)")
		}
	case TriggerBirthday, TriggerResolved:
		if v != "" {
			return Errorf(EINVALID, "the %s trigger takes no value", kind)
		}
	default:
		return Errorf(EINVALID, "unknown trigger %q", kind)
	}
	return nil
}

func validGoal(kind, v string) error {
	switch kind {
	case GoalNone, GoalInteracted:
		if v != "" {
			return Errorf(EINVALID, "this goal takes no value")
		}
	case GoalRedeemed:
		return validGiftID(v)
	case GoalTagged:
		return ValidTagName(v)
	case GoalStage:
		if !contains(Stages, v) {
			return Errorf(EINVALID, "the stage goal needs one of %s", strings.Join(Stages, ", "))
		}
	default:
		return Errorf(EINVALID, "unknown goal %q", kind)
	}
	return nil
}

func validGiftID(v string) error {
	if v == "" {
		return nil
	}
	if id, err := strconv.ParseUint(v, 10, 64); err != nil || id == 0 {
		return Errorf(EINVALID, "a gift is given by its number, e.g. 3")
	}
	return nil
}

var afterPart = regexp.MustCompile(`(\d+)\s*([dhm])`)

// ParseAfter reads a step's time after entering the journey: "0", "3d",
// "12h", "90m" or combinations ("1d12h"), in minutes.
func ParseAfter(s string) (int64, error) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if s == "" || s == "0" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil { // a bare number counts days
		s = fmt.Sprintf("%dd", n)
	}
	parts := afterPart.FindAllStringSubmatch(s, -1)
	if len(parts) == 0 || afterPart.ReplaceAllString(s, "") != "" {
		return 0, Errorf(EINVALID, "time %q must look like 0, 3d, 12h, 90m or 1d12h", s)
	}
	var total int64
	for _, p := range parts {
		n, _ := strconv.ParseInt(p[1], 10, 64)
		total += n * map[string]int64{"d": 24 * 60, "h": 60, "m": 1}[p[2]]
		if total > maxStepAfter {
			return 0, Errorf(EINVALID, "a step is at most 365 days after entering")
		}
	}
	return total, nil
}

// FormatAfter writes minutes the way ParseAfter reads them.
func FormatAfter(min int64) string {
	if min == 0 {
		return "0"
	}
	var b strings.Builder
	for _, u := range []struct {
		n int64
		s string
	}{{24 * 60, "d"}, {60, "h"}, {1, "m"}} {
		if min >= u.n {
			fmt.Fprintf(&b, "%d%s", min/u.n, u.s)
			min %= u.n
		}
	}
	return b.String()
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v) // plain values: cannot fail
	return string(b)
}

const careVersionKey = "care_version"

// CareVersion changes whenever a journey or a keyword interest changes;
// every process polls it and reloads what it caches.
func (s *Store) CareVersion(ctx context.Context) (string, error) {
	return s.version(ctx, careVersionKey)
}

// SaveJourney creates (id 0) or replaces a journey and its steps. Switching
// the trigger on (a new journey, a new trigger or a resume) counts only
// events from now on. Members already in the journey continue with the new
// steps at their position.
func (s *Store) SaveJourney(ctx context.Context, id uint64, n NewJourney) (*Journey, error) {
	steps, err := n.Validate()
	if err != nil {
		return nil, err
	}
	state := JourneyActive
	if n.Paused {
		state = JourneyPaused
	}
	j := &Journey{ID: id, Name: n.Name, State: state, Trigger: n.Trigger, TriggerValue: n.TriggerVal,
		Goal: n.Goal, GoalValue: n.GoalVal, ReEntry: n.ReEntry, StaffID: n.StaffID}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		for _, g := range []struct {
			gift  bool
			value string
		}{{j.Trigger == TriggerRedeemed, j.TriggerValue}, {j.Goal == GoalRedeemed, j.GoalValue}} {
			if !g.gift || g.value == "" {
				continue
			}
			var n int64
			if err := tx.Model(&Gift{}).Where("id = ?", g.value).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return Errorf(EINVALID, "there is no gift number %s", g.value)
			}
		}
		var old Journey
		if id != 0 {
			if err := tx.Clauses(lockForUpdate(tx)...).Take(&old, id).Error; err != nil {
				return err
			}
			j.StartID, j.ScanID, j.StartAt, j.ScannedAt, j.CreatedAt = old.StartID, old.ScanID, old.StartAt, old.ScannedAt, old.CreatedAt
		}
		restart := id == 0 || old.Trigger != j.Trigger || old.TriggerValue != j.TriggerValue ||
			(old.State != JourneyActive && j.State == JourneyActive)
		if restart {
			start, err := s.triggerStart(tx, j.Trigger)
			if err != nil {
				return err
			}
			j.StartID, j.ScanID, j.StartAt, j.ScannedAt = start, start, s.now(), s.now()
		}
		j.UpdatedAt = s.now()
		if id == 0 {
			j.CreatedAt = s.now()
			if err := tx.Create(j).Error; err != nil {
				return err
			}
		} else if err := tx.Select("*").Omit("created_at").Updates(j).Error; err != nil {
			return err
		}
		if err := tx.Where("journey_id = ?", j.ID).Delete(&JourneyStep{}).Error; err != nil {
			return err
		}
		for i := range steps {
			steps[i].JourneyID = j.ID
		}
		if err := tx.Create(&steps).Error; err != nil {
			return err
		}
		j.Steps = steps
		return bumpVersion(tx, careVersionKey)
	})
	return j, translate("save journey", err)
}

// triggerStart is the newest row of the table a trigger scans by id (0 for
// the triggers that scan by time).
func (s *Store) triggerStart(tx *gorm.DB, trigger string) (uint64, error) {
	var model any
	switch trigger {
	case TriggerFollowed, TriggerEvent:
		model = &Message{}
	case TriggerStage, TriggerLevel:
		model = &MemberChange{}
	case TriggerRedeemed:
		model = &Redemption{}
	default:
		return 0, nil
	}
	var n struct{ Max uint64 }
	err := tx.Model(model).Select("COALESCE(MAX(id), 0) AS max").Scan(&n).Error
	return n.Max, err
}

// FindJourney returns a journey with its steps.
func (s *Store) FindJourney(ctx context.Context, id uint64) (*Journey, error) {
	var j Journey
	db := s.db.WithContext(ctx)
	if err := db.Take(&j, id).Error; err != nil {
		return nil, translate("journey", err)
	}
	err := db.Where("journey_id = ?", id).Order("position").Find(&j.Steps).Error
	return &j, translate("journey", err)
}

// ListJourneys returns every journey with its steps, by name; activeOnly
// leaves out paused ones.
func (s *Store) ListJourneys(ctx context.Context, activeOnly bool) ([]Journey, error) {
	db := s.db.WithContext(ctx)
	q := db.Order("name")
	if activeOnly {
		q = q.Where("state = ?", JourneyActive)
	}
	var out []Journey
	if err := q.Find(&out).Error; err != nil {
		return nil, translate("list journeys", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]uint64, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	var steps []JourneyStep
	if err := db.Where("journey_id IN ?", ids).Order("journey_id, position").Find(&steps).Error; err != nil {
		return nil, translate("list journeys", err)
	}
	at := map[uint64]int{}
	for i := range out {
		at[out[i].ID] = i
	}
	for _, st := range steps {
		out[at[st.JourneyID]].Steps = append(out[at[st.JourneyID]].Steps, st)
	}
	return out, nil
}

// DeleteJourney removes a journey, its steps and its enrolments. The care
// messages already sent stay in the delivery records and conversations.
func (s *Store) DeleteJourney(ctx context.Context, id uint64) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Delete(&Journey{}, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ENOTFOUND, "journey not found")
		}
		for _, m := range []any{&JourneyStep{}, &JourneyEnrollment{}, &JourneySend{}} {
			if err := tx.Where("journey_id = ?", id).Delete(m).Error; err != nil {
				return err
			}
		}
		return bumpVersion(tx, careVersionKey)
	})
	return translate("delete journey", err)
}
