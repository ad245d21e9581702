package models_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestJobLeaseOneHolderPerTickAcrossProcesses(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2, clk := modelstest.MustOpenSharedWithClock(t, driver, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
			ctx := context.Background()
			tick := clk.Now()
			var won atomic.Int32
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := []*models.Store{s1, s2}[i%2]
					l, err := s.TakeJobLease(ctx, "purge", tick, fmt.Sprintf("p%d", i), 30*time.Second)
					switch {
					case err == nil && l != nil:
						won.Add(1)
					case err != models.ErrLeaseTaken:
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("take: %v", err)
			}
			if won.Load() != 1 {
				t.Fatalf("%d holders for one tick, want 1", won.Load())
			}
			rows, err := s2.JobLeases(ctx, "purge", tick)
			if err != nil || len(rows) != 1 || rows[0].FinishedAt != nil {
				t.Fatalf("lease rows: %+v %v", rows, err)
			}
			// Another job on the same tick is independent.
			if _, err := s1.TakeJobLease(ctx, "other", tick, "p0", time.Minute); err != nil {
				t.Fatalf("other job: %v", err)
			}
			if _, err := s1.TakeJobLease(ctx, "", tick, "p0", time.Minute); models.ErrorCode(err) != models.EINVALID {
				t.Fatalf("no job name: %v", err)
			}
		})
	}
}

func TestJobLeaseSkipsWhileEarlierRunsAndTakesOverFromTheDead(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2, clk := modelstest.MustOpenSharedWithClock(t, driver, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
			ctx := context.Background()
			t0 := clk.Now()
			held, err := s1.TakeJobLease(ctx, "sync", t0, "a", 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			// Tick 2 while a's run is live (renewed): b takes the tick but
			// skips it, recording why.
			clk.Add(20 * time.Second)
			if ok, err := s1.RenewJobLease(ctx, held, 30*time.Second); !ok || err != nil {
				t.Fatalf("renew: %v %v", ok, err)
			}
			clk.Add(20 * time.Second)
			if _, err := s2.TakeJobLease(ctx, "sync", t0.Add(40*time.Second), "b", 30*time.Second); err != models.ErrLeaseBusy {
				t.Fatalf("tick while an earlier run is live: %v", err)
			}
			// a dies (no more renewals): once its lease lapses, the next
			// tick runs on b.
			clk.Add(15 * time.Second)
			l, err := s2.TakeJobLease(ctx, "sync", t0.Add(60*time.Second), "b", 30*time.Second)
			if err != nil || l.Holder != "b" {
				t.Fatalf("tick after the holder died: %+v %v", l, err)
			}
			if err := s2.FinishJobLease(ctx, l, models.LeaseRan, ""); err != nil {
				t.Fatal(err)
			}
			// A finished lease cannot be renewed, and a finished tick is not
			// taken again.
			if ok, _ := s2.RenewJobLease(ctx, l, time.Minute); ok {
				t.Fatal("renewed a finished lease")
			}
			if _, err := s1.TakeJobLease(ctx, "sync", t0.Add(60*time.Second), "a", time.Minute); err != models.ErrLeaseTaken {
				t.Fatalf("finished tick taken again: %v", err)
			}
			rows, _ := s1.JobLeases(ctx, "sync", t0)
			var outcomes []string
			for _, r := range rows {
				outcomes = append(outcomes, r.Holder+":"+r.Outcome)
			}
			if fmt.Sprint(outcomes) != "[a: b:skipped b:ran]" {
				t.Fatalf("leases: %v", outcomes)
			}
		})
	}
}

func TestPurgeJobLeasesKeepsLiveOnes(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		clk := modelstest.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
		s.Now = clk.Now
		ctx := context.Background()
		t0 := clk.Now()
		live, _ := s.TakeJobLease(ctx, "long", t0, "a", time.Hour)
		done, _ := s.TakeJobLease(ctx, "short", t0, "a", time.Minute)
		if err := s.FinishJobLease(ctx, done, models.LeaseFailed, "boom"); err != nil {
			t.Fatal(err)
		}
		lapsed, _ := s.TakeJobLease(ctx, "dead", t0, "a", time.Minute)
		clk.Add(30 * time.Minute)
		recent, _ := s.TakeJobLease(ctx, "short", clk.Now(), "a", time.Minute)
		if live == nil || lapsed == nil || recent == nil {
			t.Fatal("setup: a lease was not taken")
		}
		n, err := s.PurgeJobLeases(ctx, clk.Now().Add(-time.Minute))
		if err != nil || n != 2 {
			t.Fatalf("purged %d (%v), want the finished and the lapsed one", n, err)
		}
		for job, want := range map[string]int{"long": 1, "short": 1, "dead": 0} {
			if rows, _ := s.JobLeases(ctx, job, t0); len(rows) != want {
				t.Errorf("%s: %d leases left, want %d", job, len(rows), want)
			}
		}
	})
}
