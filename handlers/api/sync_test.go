package api_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestFollowerSyncStartsOnce sends simultaneous start requests to two
// processes on one database (two stores, two routers): exactly one answers
// 202, the others 409 with "同步已在进行中".
func TestFollowerSyncStartsOnce(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Drivers() {
		t.Run(d, func(t *testing.T) {
			a, b := modelstest.MustOpenShared(t, d)
			envs := []*env{newEnv(t, a), newEnv(t, b)}
			ann := envs[0].token("ann", "admin")
			const n = 6
			res := make([]result, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					<-start
					res[i] = envs[i%2].call(ann, "POST", "/api/v1/sync/followers", "")
				}(i)
			}
			close(start)
			wg.Wait()
			started := 0
			for _, r := range res {
				switch {
				case r.status == 202:
					started++
				case r.status != 409 || r.errorCode() != "conflict" || !strings.Contains(r.body, "同步已在进行中"):
					t.Fatalf("a simultaneous start answered %d: %s (want 202 once, else 409 同步已在进行中)", r.status, r.body)
				}
			}
			if started != 1 {
				t.Fatalf("%d of %d simultaneous starts answered 202, want exactly 1", started, n)
			}
		})
	}
}

// TestFollowerSyncProgressLeavesOutEmptyFields reads the progress through
// the router: while a sync runs the JSON has no finished_at (not
// 0001-01-01…) and never the job's internal page cursor "next"; a finished
// sync shows finished_at.
func TestFollowerSyncProgressLeavesOutEmptyFields(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Drivers() {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, modelstest.MustOpen(t, d))
			ann := e.token("ann", "admin")
			ctx := context.Background()
			start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

			r := e.call(ann, "POST", "/api/v1/sync/followers", "")
			if r.status != 202 {
				t.Fatalf("start: %d %s", r.status, r.body)
			}
			fields := func(r result) map[string]any {
				t.Helper()
				var m map[string]any
				r.decode(t, &m)
				return m
			}
			if m := fields(r); m["running"] != true || m["finished_at"] != nil || m["next"] != nil {
				t.Fatalf("202 answer of a started sync: %s (want running, no finished_at, no next)", r.body)
			}

			running := models.SyncState{Running: true, Next: "o-cursor-openid", Done: 10000, Total: 25000, StartedAt: start}
			if err := e.store.SaveSyncState(ctx, running); err != nil {
				t.Fatal(err)
			}
			r = e.call(ann, "GET", "/api/v1/sync/followers", "")
			m := fields(r)
			if r.status != 200 || m["running"] != true || m["done"] != float64(10000) || m["started_at"] == nil {
				t.Fatalf("running sync: %d %s", r.status, r.body)
			}
			for _, k := range []string{"finished_at", "next"} {
				if _, ok := m[k]; ok {
					t.Errorf("running sync's JSON has %q: %s", k, r.body)
				}
			}
			if strings.Contains(r.body, "0001-01-01") || strings.Contains(r.body, "o-cursor-openid") {
				t.Errorf("running sync's JSON shows a zero time or the cursor: %s", r.body)
			}

			finished := models.SyncState{Done: 25000, Total: 25000, StartedAt: start, FinishedAt: start.Add(time.Hour)}
			if err := e.store.SaveSyncState(ctx, finished); err != nil {
				t.Fatal(err)
			}
			r = e.call(ann, "GET", "/api/v1/sync/followers", "")
			m = fields(r)
			if r.status != 200 || m["running"] != false || m["finished_at"] != "2026-12-07T10:00:00Z" || m["next"] != nil {
				t.Fatalf("finished sync: %d %s (want finished_at 2026-12-07T10:00:00Z, no next)", r.status, r.body)
			}
		})
	}
}
