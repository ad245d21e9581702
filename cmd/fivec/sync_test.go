package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fivec/fivec/jobs"
	"github.com/fivec/fivec/wechat/fake"
)

// The server runs the follower sync: a sync asked for in the console
// (jobs.StartFollowerSync is what its button calls) brings in followers
// fivec never heard from, and ends.
func TestServerRunsTheFollowerSyncItIsAskedFor(t *testing.T) {
	a, _ := startApp(t, map[string]string{"FIVEC_JOB_SCHEDULES": "follower-sync=@every 1s"})
	ctx := context.Background()
	for i := range 3 {
		if err := a.sandbox.fake.SeedFan(sandboxAppID, fake.Fan{OpenID: fmt.Sprintf("o_synced_%d", i), Subscribed: true,
			SubscribeTime: time.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := jobs.StartFollowerSync(ctx, a.store, time.Now()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := a.store.SyncState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Running {
			if st.Error != "" || st.Done < 3 {
				t.Fatalf("sync ended: %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the follower sync never ran: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i := range 3 {
		if m, err := a.store.FindMemberByOpenID(ctx, fmt.Sprintf("o_synced_%d", i)); err != nil || !m.Subscribed {
			t.Fatalf("synced follower %d: %+v %v", i, m, err)
		}
	}
}
