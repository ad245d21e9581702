package roles

import (
	"context"
	"time"

	"github.com/fivec/fivec/models"
)

// Care's timer: jobs/care.go calls Tick every FIVEC_CARE_INTERVAL. Every
// step of a tick is idempotent and guarded by the database, so several
// processes may tick at once.

// CareRun is what one Tick did.
type CareRun struct {
	Entered int
	// Exits counts members taken out by the sweep, by reason; Advance.Exited
	// those found leaving when their step came due.
	Exits map[string]int64
	Advance
}

// Tick runs every active journey once at now: it enrols members whose
// recorded events match the journey's trigger (care_enrol.go), takes out
// those who unfollowed, met the goal or finished (at most every
// SweepEvery), and turns due steps into pushes for the delivery engine
// (care_steps.go). A failing journey is logged and the others still run;
// the first error is returned.
func (c *Care) Tick(ctx context.Context, now time.Time) (CareRun, error) {
	run := CareRun{Exits: map[string]int64{}}
	journeys, err := c.Store.ListJourneys(ctx, true)
	if err != nil {
		return run, err
	}
	now = now.UTC().Truncate(time.Millisecond) // as the store stamps rows
	sweep := c.sweepDue(now)
	var first error
	for i := range journeys {
		j := &journeys[i]
		if err := c.tickJourney(ctx, j, now, sweep, &run); err != nil {
			c.Log.Error("care journey", "journey", j.Name, "err", err)
			if first == nil {
				first = err
			}
		}
	}
	return run, first
}

// sweepDue reports whether this tick sweeps exits (SweepEvery since the
// last sweep, a minute when 0) and, if so, notes the sweep.
func (c *Care) sweepDue(now time.Time) bool {
	every := c.SweepEvery
	if every <= 0 {
		every = time.Minute
	}
	c.tickMu.Lock()
	defer c.tickMu.Unlock()
	if now.Sub(c.lastSweep) < every {
		return false
	}
	c.lastSweep = now
	return true
}

func (c *Care) tickJourney(ctx context.Context, j *models.Journey, now time.Time, sweep bool, run *CareRun) error {
	n, err := c.enrolFromTriggers(ctx, j, now, c.Loc)
	run.Entered += n
	if err != nil {
		return err
	}
	if sweep {
		exits, err := c.Store.ExitJourneyMembers(ctx, j)
		for k, v := range exits {
			run.Exits[k] += v
		}
		if err != nil {
			return err
		}
	}
	batch := c.Batch
	if batch <= 0 {
		batch = 500
	}
	adv, err := AdvanceJourney(ctx, c.Store, j, batch)
	run.Pushed += adv.Pushed
	run.Skipped += adv.Skipped
	run.Exited += adv.Exited
	return err
}
