package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fivec/fivec/jobs"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// runners plays n fivec processes on one database: each runner has its own
// holder name, and they alternate between two stores (two connection pools).
func runners(t *testing.T, driver string, n int, clk *modelstest.Clock) []*jobs.Runner {
	s1, s2 := modelstest.MustOpenShared(t, driver)
	s1.Now, s2.Now = clk.Now, clk.Now // the runners share the caller's clock
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	var out []*jobs.Runner
	for i := range n {
		out = append(out, &jobs.Runner{Store: []*models.Store{s1, s2}[i%2], Log: log, Now: clk.Now,
			Holder: fmt.Sprintf("proc-%d", i), LeaseTTL: 30 * time.Second, Metrics: metrics.New()})
	}
	return out
}

func TestOneTickRunsOnceAcrossRunners(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			clk := modelstest.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
			rs := runners(t, driver, 5, clk)
			var leased, everywhere atomic.Int32
			job := jobs.Job{Name: "settle", Spec: "@every 10m", Run: func(context.Context) error { leased.Add(1); return nil }}
			reload := jobs.Job{Name: "reload", Spec: "@every 2s", EveryProcess: true,
				Run: func(context.Context) error { everywhere.Add(1); return nil }}
			for tick := range 3 {
				at := clk.Now()
				var wg sync.WaitGroup
				for _, r := range rs {
					wg.Add(1)
					go func() { defer wg.Done(); r.Fire(job, at); r.Fire(reload, at) }()
				}
				wg.Wait()
				if got := leased.Load(); got != int32(tick+1) {
					t.Fatalf("after tick %d the leased job ran %d times, want %d", tick, got, tick+1)
				}
				clk.Add(10 * time.Minute)
			}
			if everywhere.Load() != 15 {
				t.Fatalf("the every-process job ran %d times, want 5 processes × 3 ticks", everywhere.Load())
			}
			ran, elsewhere := 0.0, 0.0
			for _, r := range rs {
				ran += jobRuns(t, r.Metrics, "settle", jobs.OutcomeRan)
				elsewhere += jobRuns(t, r.Metrics, "settle", jobs.OutcomeElsewhere)
			}
			if ran != 3 || elsewhere != 12 {
				t.Fatalf("metrics: ran %v, elsewhere %v", ran, elsewhere)
			}
			leases, err := rs[0].Store.JobLeases(context.Background(), "settle", time.Time{})
			if err != nil || len(leases) != 3 {
				t.Fatalf("leases: %d %v", len(leases), err)
			}
			for _, l := range leases {
				if l.Outcome != models.LeaseRan || l.FinishedAt == nil {
					t.Errorf("lease %+v", l)
				}
			}
		})
	}
}

func TestDeadHolderLosesTheNextTick(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			clk := modelstest.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
			rs := runners(t, driver, 2, clk)
			ctx := context.Background()
			// proc-0 took tick 1 and died mid-run: its lease is never
			// renewed nor finished.
			t1 := clk.Now()
			if _, err := rs[0].Store.TakeJobLease(ctx, "sync", t1, rs[0].Holder, rs[0].LeaseTTL); err != nil {
				t.Fatal(err)
			}
			var runs []string
			var mu sync.Mutex
			job := func(r *jobs.Runner) jobs.Job {
				return jobs.Job{Name: "sync", Spec: "@every 10s", Run: func(context.Context) error {
					mu.Lock()
					defer mu.Unlock()
					runs = append(runs, r.Holder)
					return nil
				}}
			}
			// Tick 2 comes within the lease's life: skipped (as if still running).
			clk.Add(10 * time.Second)
			if got := rs[1].Fire(job(rs[1]), clk.Now()); got != jobs.OutcomeSkipped {
				t.Fatalf("tick 2: %s", got)
			}
			// Tick 4 comes after it lapsed: proc-1 runs it.
			clk.Add(25 * time.Second)
			if got := rs[1].Fire(job(rs[1]), clk.Now()); got != jobs.OutcomeRan {
				t.Fatalf("tick 4: %s", got)
			}
			if strings.Join(runs, ",") != "proc-1" {
				t.Fatalf("runs: %v", runs)
			}
		})
	}
}

func TestFailingAndPanickingJobsReleaseTheirLease(t *testing.T) {
	clk := modelstest.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	r := runners(t, "sqlite", 1, clk)[0]
	fail := jobs.Job{Name: "fail", Spec: "@every 1m", Run: func(context.Context) error { return fmt.Errorf("no luck") }}
	boom := jobs.Job{Name: "boom", Spec: "@every 1m", Run: func(context.Context) error { panic("boom") }}
	if got := r.Fire(fail, clk.Now()); got != jobs.OutcomeFailed {
		t.Fatalf("failing job: %s", got)
	}
	if got := r.Fire(boom, clk.Now()); got != jobs.OutcomeFailed {
		t.Fatalf("panicking job: %s", got)
	}
	for job, want := range map[string]string{"fail": "no luck", "boom": "panic: boom"} {
		ls, _ := r.Store.JobLeases(context.Background(), job, time.Time{})
		if len(ls) != 1 || ls[0].FinishedAt == nil || ls[0].Outcome != models.LeaseFailed || ls[0].Err != want {
			t.Errorf("%s lease: %+v", job, ls)
		}
	}
	// The next tick runs again: nothing was left holding the job.
	clk.Add(time.Minute)
	if got := r.Fire(fail, clk.Now()); got != jobs.OutcomeFailed {
		t.Fatalf("next tick: %s", got)
	}
}

func TestLongRunRenewsItsLease(t *testing.T) {
	clk := modelstest.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	rs := runners(t, "sqlite", 2, clk)
	rs[0].LeaseTTL = 300 * time.Millisecond
	started, release := make(chan struct{}), make(chan struct{})
	long := jobs.Job{Name: "long", Spec: "@every 1m", Run: func(context.Context) error {
		close(started)
		<-release
		return nil
	}}
	done := make(chan string)
	t0 := clk.Now()
	go func() { done <- rs[0].Fire(long, t0) }()
	<-started
	// Twice the lease's life later (in the injected clock), the holder has
	// renewed it: another process's next tick is skipped.
	for range 3 {
		time.Sleep(150 * time.Millisecond)
		clk.Add(200 * time.Millisecond)
	}
	if got := rs[1].Fire(long, t0.Add(time.Minute)); got != jobs.OutcomeSkipped {
		close(release)
		t.Fatalf("tick during a renewed run: %s", got)
	}
	close(release)
	if got := <-done; got != jobs.OutcomeRan {
		t.Fatalf("long run: %s", got)
	}
}

func TestRunnerStartRunsTicksOnAlignedSchedule(t *testing.T) {
	clk := modelstest.NewClock(time.Now())
	rs := runners(t, "sqlite", 2, clk)
	for _, r := range rs {
		r.Now = time.Now
		r.Schedules = map[string]string{"tick": "@every 1s"} // FIVEC_JOB_SCHEDULES
	}
	var runs atomic.Int32
	job := jobs.Job{Name: "tick", Spec: "@every 1h", Run: func(context.Context) error { runs.Add(1); return nil }}
	start := time.Now()
	for _, r := range rs {
		if err := r.Start(job); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2500 * time.Millisecond)
	for _, r := range rs {
		r.Stop(context.Background())
	}
	leases, err := rs[0].Store.JobLeases(context.Background(), "tick", start.Add(-time.Second))
	if err != nil || len(leases) < 2 || int(runs.Load()) != len(leases) {
		t.Fatalf("%d runs for %d leases (%v); want one run per tick", runs.Load(), len(leases), err)
	}
	for _, l := range leases {
		if l.Tick.Nanosecond() != 0 {
			t.Errorf("tick %s is not on a whole second", l.Tick)
		}
	}
	if err := (&jobs.Runner{Store: rs[0].Store, Log: rs[0].Log}).Start(jobs.Job{Name: "bad", Spec: "every day"}); err == nil || !strings.Contains(err.Error(), "job bad") {
		t.Fatalf("bad spec: %v", err)
	}
	typo := &jobs.Runner{Store: rs[0].Store, Log: rs[0].Log, Schedules: map[string]string{"tik": "@every 1s"}}
	if err := typo.Start(job); err == nil || !strings.Contains(err.Error(), `FIVEC_JOB_SCHEDULES: no job is called "tik" (jobs: tick)`) {
		t.Fatalf("unknown job in schedules: %v", err)
	}
}

// jobRuns reads fivec_job_runs_total{job,outcome} from m.
func jobRuns(t *testing.T, m *metrics.Metrics, job, outcome string) float64 {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "fivec_job_runs_total" {
			continue
		}
		for _, mt := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["job"] == job && labels["outcome"] == outcome {
				return mt.GetCounter().GetValue()
			}
		}
	}
	return 0
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestPurgeLeasesJobDropsDayOldLeases(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			clk := modelstest.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
			r := runners(t, driver, 1, clk)[0]
			job := jobs.Job{Name: "hourly", Spec: "@every 1h", Run: func(context.Context) error { return nil }}
			for range 3 {
				r.Fire(job, clk.Now())
				clk.Add(time.Hour)
			}
			clk.Add(22*time.Hour + time.Minute) // the first two ticks are now over a day old
			if err := r.PurgeLeases().Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			left, _ := r.Store.JobLeases(context.Background(), "hourly", time.Time{})
			if len(left) != 1 || !left[0].Tick.Equal(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)) {
				t.Fatalf("left after purge: %+v", left)
			}
		})
	}
}
