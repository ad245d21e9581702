// Package jobs runs fivec's scheduled work. One Runner owns the cron
// scheduler; each job lives in its own file.
package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/fivec/fivec/models"
)

// Runner schedules the jobs and stops them cleanly.
type Runner struct {
	Store *models.Store
	Log   *slog.Logger
	// Timeout bounds one run of a job.
	Timeout time.Duration

	cron *cron.Cron
}

// Job is one scheduled task.
type Job struct {
	Name string
	Spec string // cron spec, e.g. "@every 1h" or "0 3 * * *"
	Run  func(ctx context.Context) error
}

// Start schedules the jobs. A panicking job is recovered and logged; a run
// still going when its next tick comes is skipped, not doubled.
func (r *Runner) Start(jobs ...Job) error {
	l := cronLogger{r.Log}
	r.cron = cron.New(cron.WithChain(cron.Recover(l), cron.SkipIfStillRunning(l)))
	for _, j := range jobs {
		j := j
		if _, err := r.cron.AddFunc(j.Spec, func() { r.runOnce(j) }); err != nil {
			return err
		}
	}
	r.cron.Start()
	return nil
}

func (r *Runner) runOnce(j Job) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	if err := j.Run(ctx); err != nil {
		r.Log.Error("job failed", "job", j.Name, "err", err, "duration", time.Since(start))
		return
	}
	r.Log.Debug("job done", "job", j.Name, "duration", time.Since(start))
}

// Stop stops scheduling and waits for running jobs until ctx ends.
func (r *Runner) Stop(ctx context.Context) {
	if r.cron == nil {
		return
	}
	select {
	case <-r.cron.Stop().Done():
	case <-ctx.Done():
		r.Log.Warn("jobs still running at shutdown")
	}
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
