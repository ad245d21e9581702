package jobs

import (
	"context"

	"github.com/fivec/fivec/delivery"
)

// Deliver runs the delivery engine every 2 s (a run drains what is due), in
// every process: the processes share the recipients through row claims.
func (r *Runner) Deliver(d *delivery.Engine) Job {
	return Job{Name: "deliver", Spec: "@every 2s", EveryProcess: true, Run: func(ctx context.Context) error {
		_, err := d.RunOnce(ctx)
		return err
	}}
}
