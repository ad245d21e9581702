package jobs

import (
	"context"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// MaterialSync continues a requested media library sync every 10 s, up to
// 10 pages (200 materials) a run, and asks for a full sync daily at 03:30,
// so materials made or deleted in WeChat's own console show up in fivec.
func (r *Runner) MaterialSync(lib *roles.Library) []Job {
	step := Job{Name: "material-sync", Spec: "@every 10s", Run: func(ctx context.Context) error {
		return lib.SyncStep(ctx, 10)
	}}
	daily := Job{Name: "material-sync-daily", Spec: "30 3 * * *", Run: func(ctx context.Context) error {
		err := lib.StartSync(ctx)
		if models.ErrorCode(err) == models.ECONFLICT {
			return nil
		}
		return err
	}}
	return []Job{step, daily}
}
