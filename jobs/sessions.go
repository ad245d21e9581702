package jobs

import (
	"context"

	"github.com/fivec/fivec/models"
)

// PurgeSessions removes expired console sessions, fan-page sessions and
// authorisations, and failed-login counters with nothing left to say, every
// hour.
func (r *Runner) PurgeSessions() Job {
	return Job{Name: "purge-sessions", Spec: "@every 1h", Run: func(ctx context.Context) error {
		n, err := r.Store.PurgeSessions(ctx)
		if n > 0 {
			r.Log.Info("purged expired sessions", "count", n)
		}
		if err != nil {
			return err
		}
		if err := r.Store.DeleteExpiredFanRows(ctx); err != nil {
			return err
		}
		n, err = r.Store.PurgeLoginThrottles(ctx, models.DefaultLoginPolicy)
		if n > 0 {
			r.Log.Info("purged old login counters", "count", n)
		}
		return err
	}}
}
