package console_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestFollowerSyncStartsOnce clicks "start" in several browsers at once,
// served by two processes on one database (two stores, two routers):
// exactly one click starts a sync, the others get the panel back with 409
// and "同步已在进行中".
func TestFollowerSyncStartsOnce(t *testing.T) {
	t.Parallel()
	for _, d := range modelstest.Drivers() {
		t.Run(d, func(t *testing.T) {
			s1, s2 := modelstest.MustOpenShared(t, d)
			apps := []*app{newApp(t, s1, false), newApp(t, s2, false)}
			apps[0].staff("ann", models.RoleAdmin)
			const n = 4
			browsers := make([]*browser, n)
			headers := make([]map[string]string, n)
			for i := range browsers {
				b := apps[i%2].browser()
				b.ip = fmt.Sprintf("192.0.2.%d", 30+i)
				browsers[i] = b.login("ann")
				headers[i] = map[string]string{"HX-Request": "true", "X-CSRF-Token": b.csrf("/console/members")}
			}
			res := make([]resp, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range browsers {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					<-start
					res[i] = browsers[i].do("POST", "/console/sync", nil, headers[i])
				}(i)
			}
			close(start)
			wg.Wait()
			started := 0
			for _, r := range res {
				switch {
				case r.Code == 200:
					started++
				case r.Code != 409 || !strings.Contains(r.body(), "同步已在进行中") || !strings.Contains(r.body(), `id="sync"`):
					t.Fatalf("a simultaneous start answered %d (want 200 once, else 409 with 同步已在进行中 in the panel):\n%s", r.Code, r.body())
				}
			}
			if started != 1 {
				t.Fatalf("%d of %d simultaneous clicks started a sync, want exactly 1", started, n)
			}
		})
	}
}
