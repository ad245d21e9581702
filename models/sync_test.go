package models_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestStartSyncOnce starts follower syncs at the same moment from two
// stores on one database, as two processes (or two clicks landing on two
// replicas) would: exactly one starts, every other gets "同步已在进行中".
// After the sync finishes, the next start succeeds again.
func TestStartSyncOnce(t *testing.T) {
	for _, d := range modelstest.Drivers() {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			a, b := modelstest.MustOpenShared(t, d)
			for round := 0; round < 5; round++ {
				const n = 8
				errs := make([]error, n)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := 0; i < n; i++ {
					s := a
					if i%2 == 1 {
						s = b
					}
					wg.Add(1)
					go func(i int) {
						defer wg.Done()
						<-start
						errs[i] = s.StartSync(ctx, time.Now().UTC())
					}(i)
				}
				close(start)
				wg.Wait()
				started := 0
				for i, err := range errs {
					switch {
					case err == nil:
						started++
					case models.ErrorCode(err) != models.ECONFLICT || !strings.Contains(models.ErrorMessage(err), "同步已在进行中"):
						t.Fatalf("round %d: start %d: %v (want a conflict saying 同步已在进行中)", round, i, err)
					}
				}
				if started != 1 {
					t.Fatalf("round %d: %d of %d simultaneous starts started a sync, want exactly 1", round, started, n)
				}
				st, err := b.SyncState(ctx)
				if err != nil || !st.Running {
					t.Fatalf("round %d: state %+v, %v; want running", round, st, err)
				}
				// The job finishes it; then a start is accepted again.
				st.Running, st.FinishedAt, st.Done, st.Total = false, time.Now().UTC(), 3, 3
				if err := a.SaveSyncState(ctx, st); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
