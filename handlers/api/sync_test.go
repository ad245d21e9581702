package api_test

import (
	"strings"
	"sync"
	"testing"

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
