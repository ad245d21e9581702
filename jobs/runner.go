// Package jobs runs fivec's scheduled work. One Runner owns the cron
// scheduler; each job lives in its own file.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
)

// Runner schedules the jobs and stops them cleanly. With several fivec
// processes on one database, each tick of a job runs in one process only:
// the process that takes the tick's lease (models.JobLease).
type Runner struct {
	Store *models.Store
	Log   *slog.Logger
	// Timeout bounds one run of a job.
	Timeout time.Duration
	// Holder names this process in leases (default host-pid-random).
	Holder string
	// LeaseTTL is how long a lease lasts without renewal (default 30 s); the
	// holder renews it every LeaseTTL/3 while the job runs, so a process
	// that dies mid-run blocks its job for at most LeaseTTL.
	LeaseTTL time.Duration
	// Now is the clock of the leases (default time.Now).
	Now func() time.Time
	// Metrics, when set, counts runs by job and outcome.
	Metrics *metrics.Metrics
	// Schedules overrides the Spec of jobs by name (FIVEC_JOB_SCHEDULES).
	Schedules map[string]string

	cron *cron.Cron
	once sync.Once
}

// Job is one scheduled task.
type Job struct {
	Name string
	Spec string // cron spec, e.g. "@every 1h" or "0 3 * * *"
	Run  func(ctx context.Context) error
	// EveryProcess runs the job in every process on every tick, without a
	// lease: for per-process work (recompiling rules into this process's
	// memory) and work that processes share through row claims (delivery).
	EveryProcess bool
}

// Run outcomes, as counted in fivec_job_runs_total.
const (
	OutcomeRan       = models.LeaseRan
	OutcomeFailed    = models.LeaseFailed
	OutcomeSkipped   = models.LeaseSkipped // an earlier tick is still running (anywhere)
	OutcomeElsewhere = "elsewhere"         // another process holds this tick
)

// Start schedules the jobs. A panicking job is recovered and logged; a run
// still going when its next tick comes is skipped, not doubled, in this
// process and across processes.
func (r *Runner) Start(jobs ...Job) error {
	r.defaults()
	l := cronLogger{r.Log}
	r.cron = cron.New(cron.WithChain(cron.Recover(l), cron.SkipIfStillRunning(l)))
	known := map[string]bool{}
	for _, j := range jobs {
		known[j.Name] = true
		if spec, ok := r.Schedules[j.Name]; ok {
			j.Spec = spec
		}
		sched, err := parseSchedule(j.Spec)
		if err != nil {
			return fmt.Errorf("job %s: %w", j.Name, err)
		}
		r.cron.Schedule(sched, cron.FuncJob(func() { r.Fire(j, sched.tick(time.Now())) }))
	}
	for name := range r.Schedules {
		if !known[name] {
			names := slices.Sorted(maps.Keys(known))
			return fmt.Errorf("FIVEC_JOB_SCHEDULES: no job is called %q (jobs: %s)", name, strings.Join(names, ", "))
		}
	}
	r.cron.Start()
	return nil
}

func (r *Runner) defaults() {
	r.once.Do(func() {
		if r.Holder == "" {
			r.Holder = ProcessName()
		}
		if r.LeaseTTL <= 0 {
			r.LeaseTTL = 30 * time.Second
		}
		if r.Now == nil {
			r.Now = time.Now
		}
		if r.Timeout <= 0 {
			r.Timeout = 10 * time.Minute
		}
	})
}

// ProcessName names this process in leases and locks: host, pid and a
// random suffix (pids repeat across containers).
func ProcessName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), models.RandomToken(3))
}

// Fire runs tick of j: at once for an EveryProcess job, otherwise only if
// this process takes the tick's lease. It returns the outcome.
func (r *Runner) Fire(j Job, tick time.Time) string {
	r.defaults()
	ctx, cancel := context.WithTimeout(context.Background(), r.Timeout)
	defer cancel()
	if j.EveryProcess {
		if err := r.run(ctx, j); err != nil {
			return r.count(j, OutcomeFailed)
		}
		return r.count(j, OutcomeRan)
	}
	lease, err := r.Store.TakeJobLease(ctx, j.Name, tick, r.Holder, r.LeaseTTL)
	switch {
	case err == models.ErrLeaseTaken:
		return r.count(j, OutcomeElsewhere)
	case err == models.ErrLeaseBusy:
		r.Log.Warn("job skipped: its previous run is still going", "job", j.Name, "tick", tick)
		return r.count(j, OutcomeSkipped)
	case err != nil:
		r.Log.Error("job lease", "job", j.Name, "err", err)
		return r.count(j, OutcomeFailed)
	}
	stop := r.keepAlive(lease)
	outcome, errText := OutcomeRan, ""
	if err := r.run(ctx, j); err != nil {
		outcome, errText = OutcomeFailed, err.Error()
	}
	stop()
	if err := r.Store.FinishJobLease(context.WithoutCancel(ctx), lease, outcome, errText); err != nil {
		r.Log.Error("finish job lease", "job", j.Name, "err", err)
	}
	return r.count(j, outcome)
}

// keepAlive renews lease every LeaseTTL/3 until the returned stop is called.
func (r *Runner) keepAlive(lease *models.JobLease) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(r.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), r.LeaseTTL/3)
				if ok, err := r.Store.RenewJobLease(ctx, lease, r.LeaseTTL); err != nil || !ok {
					r.Log.Warn("job lease not renewed", "job", lease.Job, "err", err)
				}
				cancel()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// run runs j once; a panic becomes its error, so the lease is still
// finished (and its renewal stopped).
func (r *Runner) run(ctx context.Context, j Job) (err error) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
			r.Log.Error("job panicked", "job", j.Name, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	if err = j.Run(ctx); err != nil {
		r.Log.Error("job failed", "job", j.Name, "err", err, "duration", time.Since(start))
		return err
	}
	r.Log.Debug("job done", "job", j.Name, "duration", time.Since(start))
	return nil
}

func (r *Runner) count(j Job, outcome string) string {
	if r.Metrics != nil {
		r.Metrics.JobRuns.WithLabelValues(j.Name, outcome).Inc()
	}
	return outcome
}

// PurgeLeases deletes job leases older than a day, every hour.
func (r *Runner) PurgeLeases() Job {
	return Job{Name: "purge-leases", Spec: "@every 1h", Run: func(ctx context.Context) error {
		r.defaults()
		n, err := r.Store.PurgeJobLeases(ctx, r.Now().Add(-24*time.Hour))
		if n > 0 {
			r.Log.Info("purged old job leases", "count", n)
		}
		return err
	}}
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
