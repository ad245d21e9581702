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

// FanMedia fetches the files fans sent (media/get) every 5 s, 20 a run,
// retrying failures with backoff (roles.FanFiles), and deletes files past
// the retention period hourly, 500 a run, saying so in the log.
func (r *Runner) FanMedia(files *roles.FanFiles) []Job {
	fetch := Job{Name: "fan-media-fetch", Spec: "@every 5s", Run: func(ctx context.Context) error {
		_, err := files.Fetch(ctx, 20)
		return err
	}}
	sweep := Job{Name: "fan-media-retention", Spec: "@every 1h", Run: func(ctx context.Context) error {
		_, err := files.Sweep(ctx, 500)
		return err
	}}
	return []Job{fetch, sweep}
}
