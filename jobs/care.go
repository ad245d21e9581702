package jobs

import (
	"context"
	"time"

	"github.com/fivec/fivec/roles"
)

// Care runs the care journeys (客户关怀) every interval at the time now
// gives: roles.Care.Tick enrols, sweeps exits and turns due steps into
// pushes for the delivery engine.
func (r *Runner) Care(c *roles.Care, interval time.Duration, now func() time.Time) Job {
	return Job{Name: "care", Spec: "@every " + interval.String(), Run: func(ctx context.Context) error {
		_, err := c.Tick(ctx, now())
		return err
	}}
}
