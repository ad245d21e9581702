package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// ServiceTimeouts runs every minute: through the agent desk (roles.Service)
// it resolves conversations idle longer than idle (telling the fan),
// apologises once to fans queued longer than waitLimit, and assigns queued
// chats to agents who have room.
func (r *Runner) ServiceTimeouts(desk *roles.Service, idle, waitLimit time.Duration, now func() time.Time) Job {
	return Job{Name: "service-timeouts", Spec: "@every 1m", Run: func(ctx context.Context) error {
		return r.serviceTick(ctx, desk, idle, waitLimit, now())
	}}
}

func (r *Runner) serviceTick(ctx context.Context, desk *roles.Service, idle, waitLimit time.Duration, now time.Time) error {
	var errs []error
	stale, err := r.Store.IdleConversations(ctx, now.Add(-idle))
	errs = append(errs, err)
	for _, c := range stale {
		if _, err := desk.Resolve(ctx, c.ID, "timeout"); err != nil && models.ErrorCode(err) != models.ECONFLICT {
			errs = append(errs, err)
		}
	}
	long, err := r.Store.LongWaiting(ctx, now.Add(-waitLimit))
	errs = append(errs, err)
	for _, c := range long {
		errs = append(errs, desk.Apologize(ctx, c))
	}
	if n, err := desk.AssignWaiting(ctx); err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		r.Log.Info("assigned waiting conversations", "count", n)
	}
	return errors.Join(errs...)
}

// RunServiceTick runs one tick now (tests drive it with their own clock).
func (r *Runner) RunServiceTick(ctx context.Context, desk *roles.Service, idle, waitLimit time.Duration, now time.Time) error {
	return r.serviceTick(ctx, desk, idle, waitLimit, now)
}
