package roles

import (
	"context"
	"strconv"
	"time"

	"github.com/fivec/fivec/models"
)

// This is how Care finds who enters a journey (Tick runs it): each trigger
// reads its facts since the journey's cursor (models' trigger scans), and
// every event found enrols its member under the journey's re-entry policy
// (models.Store.Enrol, idempotent per event).

// Scanning: id-scanned triggers look again at the last idLookback rows
// (a transaction may commit a lower id after a higher one) and time-scanned
// ones at the last timeLookback; enrolment is idempotent, so overlaps are
// harmless. An id scan reads at most scanBatches batches of scanBatch rows
// a run, and goes on from there on the next run.
const (
	scanBatch    = 500
	scanBatches  = 20
	idLookback   = 200
	timeLookback = 2 * time.Minute
)

// enrolFromTriggers enrols the members whose events, recorded since j's
// cursor, match its trigger, and moves the cursor on. now is the run's time
// (as the store stamps rows), loc the account time zone (birthdays). It
// returns how many members entered.
func (c *Care) enrolFromTriggers(ctx context.Context, j *models.Journey, now time.Time, loc *time.Location) (int, error) {
	if j.State != models.JourneyActive {
		return 0, nil
	}
	if models.ScansByID(j.Trigger) {
		return c.enrolByID(ctx, j)
	}
	var events []models.TriggerHit
	var err error
	switch j.Trigger {
	case models.TriggerTagged:
		events, err = c.Store.TaggedBetween(ctx, j.TriggerValue, timeFrom(j), now)
	case models.TriggerResolved:
		events, err = c.Store.ResolvedBetween(ctx, timeFrom(j), now)
	case models.TriggerInactive:
		days, _ := strconv.Atoi(j.TriggerValue)
		idle := time.Duration(days) * 24 * time.Hour
		events, err = c.Store.LastInteractionBetween(ctx, timeFrom(j).Add(-idle), now.Add(-idle))
	case models.TriggerBirthday:
		var scanned bool
		if events, scanned, err = c.birthdays(ctx, j, now, loc); !scanned && err == nil {
			return 0, nil // scanned this hour already
		}
	default:
		return 0, models.Errorf(models.EINVALID, "unknown trigger %q", j.Trigger)
	}
	if err != nil {
		return 0, err
	}
	n, err := c.enrolAll(ctx, j, events)
	if err != nil {
		return n, err
	}
	j.ScannedAt = now
	return n, c.Store.MoveScannedAt(ctx, j, now)
}

// timeFrom is where a time-scanned trigger looks from.
func timeFrom(j *models.Journey) time.Time {
	from := j.ScannedAt.Add(-timeLookback)
	if from.Before(j.StartAt) {
		from = j.StartAt
	}
	return from
}

// birthdays finds the members whose birthday is today in loc. It scans at
// most hourly (scanned says whether it did); the event is the birthday of
// this year, so a member enters once a year.
func (c *Care) birthdays(ctx context.Context, j *models.Journey, now time.Time, loc *time.Location) (events []models.TriggerHit, scanned bool, err error) {
	if loc == nil {
		loc = time.UTC
	}
	today, last := now.In(loc), j.ScannedAt.In(loc)
	if !j.ScannedAt.Equal(j.StartAt) && today.Format(time.DateOnly) == last.Format(time.DateOnly) && now.Sub(j.ScannedAt) < time.Hour {
		return nil, false, nil
	}
	ids, err := c.Store.BirthdayMembers(ctx, birthdayDays(today))
	for _, id := range ids {
		events = append(events, models.TriggerHit{MemberID: id, EventAt: now, Key: "b" + strconv.Itoa(today.Year())})
	}
	return events, true, err
}

// birthdayDays are the birthdays ("01-02") celebrated on today: 29
// February counts on the 28th in other years.
func birthdayDays(today time.Time) []string {
	days := []string{today.Format("01-02")}
	if today.Month() == time.February && today.Day() == 28 && time.Date(today.Year(), 2, 29, 0, 0, 0, 0, today.Location()).Day() != 29 {
		days = append(days, "02-29")
	}
	return days
}

// enrolByID scans the table behind an id-scanned trigger in batches, up to
// its newest row when the scan began.
func (c *Care) enrolByID(ctx context.Context, j *models.Journey) (int, error) {
	top, err := c.Store.NewestTriggerRow(ctx, j.Trigger) // the cursor ends here
	if err != nil {
		return 0, err
	}
	total := 0
	from := j.StartID
	if j.ScanID > j.StartID+idLookback {
		from = j.ScanID - idLookback
	}
	for b := 0; b < scanBatches; b++ {
		events, err := c.Store.TriggerRows(ctx, j, from, top, scanBatch)
		if err != nil {
			return total, err
		}
		n, err := c.enrolAll(ctx, j, events)
		total += n
		if err != nil {
			return total, err
		}
		cursor := top
		if len(events) == scanBatch {
			cursor = events[len(events)-1].ID
		}
		if err := c.Store.MoveScanID(ctx, j, cursor); err != nil {
			return total, err
		}
		j.ScanID, from = max(j.ScanID, cursor), cursor
		if len(events) < scanBatch {
			break
		}
	}
	return total, nil
}

// enrolAll enrols each event's member; it returns how many entered.
func (c *Care) enrolAll(ctx context.Context, j *models.Journey, events []models.TriggerHit) (int, error) {
	n := 0
	for _, ev := range events {
		ok, err := c.Store.Enrol(ctx, j, ev.MemberID, ev.Key, ev.EventAt)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}
