package jobs

import "context"

// PurgeSessions removes expired console sessions every hour.
func (r *Runner) PurgeSessions() Job {
	return Job{Name: "purge-sessions", Spec: "@every 1h", Run: func(ctx context.Context) error {
		n, err := r.Store.PurgeSessions(ctx)
		if n > 0 {
			r.Log.Info("purged expired sessions", "count", n)
		}
		return err
	}}
}
