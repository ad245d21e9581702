package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestProcessesStartingTogetherMigrateOnce opens four stores on one fresh
// database at the same moment, as replicas rolled out together do: every
// open succeeds (no step fails because another process ran it first), and
// each step is recorded once.
func TestProcessesStartingTogetherMigrateOnce(t *testing.T) {
	for _, d := range modelstest.Drivers() {
		t.Run(d, func(t *testing.T) {
			for round := 0; round < 3; round++ {
				driver, dsn := modelstest.DSN(t, d)
				const n = 4
				var wg sync.WaitGroup
				stores := make([]*models.Store, n)
				errs := make([]error, n)
				start := make(chan struct{})
				for i := 0; i < n; i++ {
					wg.Add(1)
					go func(i int) {
						defer wg.Done()
						<-start
						stores[i], errs[i] = models.Open(context.Background(), driver, dsn, 10*time.Second)
					}(i)
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("round %d: process %d: %v", round, i, err)
					}
					defer stores[i].Close()
				}
				versions, err := models.AppliedMigrations(stores[0])
				if err != nil {
					t.Fatal(err)
				}
				seen := map[int]int{}
				for _, v := range versions {
					seen[v]++
				}
				for v, c := range seen {
					if c != 1 {
						t.Errorf("round %d: step %d recorded %d times", round, v, c)
					}
				}
				if len(seen) != models.MigrationCount() {
					t.Errorf("round %d: %d steps recorded, want %d", round, len(seen), models.MigrationCount())
				}
			}
		})
	}
}
