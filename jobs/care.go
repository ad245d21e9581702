package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// Care runs the care journeys (客户关怀): it enrols members whose recorded
// events match a journey's trigger, takes out those who unfollowed or met
// the goal, and turns due steps into pushes for the delivery engine. Every
// step of that is idempotent and guarded by the database, so several
// processes may run it at once.
type Care struct {
	Store *models.Store
	Log   *slog.Logger
	// Loc is the account time zone (birthdays).
	Loc *time.Location
	// Batch bounds the members handled per step and run.
	Batch int
	// SweepEvery spaces out the exit sweep (goal met, unfollowed,
	// completed: time.Minute when 0). Due steps check the member's goal
	// and follow anyway before anything is sent, so the sweep only keeps
	// the console's counts current, and a rarer sweep keeps long
	// statements away from the callback's database.
	SweepEvery time.Duration
	// Now is the clock (the store's when nil).
	Now func() time.Time

	lastSweep time.Time
}

// CareRun is what one run did.
type CareRun struct {
	Entered int
	// Exits counts members taken out by the sweep, by reason; Advance.Exited
	// those found leaving when their step came due.
	Exits map[string]int64
	models.Advance
}

// Care runs the journeys every interval.
func (r *Runner) Care(c *Care, interval time.Duration) Job {
	return Job{Name: "care", Spec: "@every " + interval.String(), Run: func(ctx context.Context) error {
		_, err := c.RunOnce(ctx)
		return err
	}}
}

// RunOnce handles every active journey once. A failing journey is logged
// and the others still run; the first error is returned.
func (c *Care) RunOnce(ctx context.Context) (CareRun, error) {
	run := CareRun{Exits: map[string]int64{}}
	journeys, err := c.Store.ListJourneys(ctx, true)
	if err != nil {
		return run, err
	}
	batch := c.Batch
	if batch <= 0 {
		batch = 500
	}
	now := c.Store.Now
	if c.Now != nil {
		now = c.Now
	}
	every := c.SweepEvery
	if every <= 0 {
		every = time.Minute
	}
	sweep := now().Sub(c.lastSweep) >= every
	if sweep {
		c.lastSweep = now()
	}
	var first error
	for i := range journeys {
		j := &journeys[i]
		if err := c.runJourney(ctx, j, batch, sweep, &run); err != nil {
			c.Log.Error("care journey", "journey", j.Name, "err", err)
			if first == nil {
				first = err
			}
		}
	}
	return run, first
}

func (c *Care) runJourney(ctx context.Context, j *models.Journey, batch int, sweep bool, run *CareRun) error {
	n, err := c.Store.EnrolFromTriggers(ctx, j, c.Loc)
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
	adv, err := roles.AdvanceJourney(ctx, c.Store, j, batch)
	run.Pushed += adv.Pushed
	run.Skipped += adv.Skipped
	run.Exited += adv.Exited
	return err
}
