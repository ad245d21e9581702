package jobs

import (
	"context"
	"time"

	"github.com/fivec/fivec/roles"
)

// ServiceTimeouts runs the agent desk's minute (roles.Service.Tick): idle
// conversations resolved, long waits apologised for, queued chats assigned.
func (r *Runner) ServiceTimeouts(desk *roles.Service, idle, waitLimit time.Duration, now func() time.Time) Job {
	return Job{Name: "service-timeouts", Spec: "@every 1m", Run: func(ctx context.Context) error {
		return desk.Tick(ctx, idle, waitLimit, now())
	}}
}
