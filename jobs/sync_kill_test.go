package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/jobs"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// The child side of TestFollowerSyncSurvivesKill9: this test binary,
// re-executed with these variables set, runs the sync until it finishes.
const (
	syncChildEnv = "FIVEC_TEST_SYNC_CHILD" // driver|dsn|API base|AppID
	killFans     = 3000
	killPageSize = 1000 // 10 batchget calls of 100 per page
)

// TestFollowerSyncSurvivesKill9 runs a follower sync in a real child
// process and kills it with SIGKILL in the middle of a page (after three
// of its ten batches were stored, while the fourth is in flight). A new
// process resumes from the saved cursor; in the end every follower is a
// member exactly once and the progress counts each once.
func TestFollowerSyncSurvivesKill9(t *testing.T) {
	if v := os.Getenv(syncChildEnv); v != "" {
		syncChild(t, v)
		return
	}
	if testing.Short() {
		t.Skip("starts child processes; run without -short")
	}
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			_, dsn := modelstest.DSN(t, driver)
			s, err := models.Open(context.Background(), driver, dsn, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			api := fake.New(fake.Options{PageSize: killPageSize, DisableJobEvents: true})
			srv := httptest.NewServer(api)
			defer func() { srv.Close(); api.Close() }()
			appID := "wxkill" + models.RandomToken(4)
			api.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"})
			for i := 0; i < killFans; i++ {
				if err := api.SeedFan(appID, fake.Fan{OpenID: fmt.Sprintf("k%05d", i), Subscribed: true, SubscribeTime: time.Unix(1700000000, 0)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := jobs.StartFollowerSync(ctx, s, time.Now()); err != nil {
				t.Fatal(err)
			}
			const batchget = "/cgi-bin/user/info/batchget"
			api.InjectFault(batchget, fake.Fault{Times: 3})                     // answered normally
			api.InjectFault(batchget, fake.Fault{Delay: time.Minute, Times: 1}) // the one in flight at the kill
			child := startSyncChild(t, driver, dsn, srv.URL, appID)
			// Wait until three batches are stored; the fourth call hangs.
			deadline := time.Now().Add(60 * time.Second)
			for batchgets(api, appID) < 3 || members(t, s) < 300 {
				if time.Now().After(deadline) {
					child.Process.Kill()
					t.Fatalf("the child never stored three batches; it logged:\n%s", child.Stdout)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := child.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = child.Wait()
			mid := members(t, s)
			st, _ := s.SyncState(ctx)
			if !st.Running || st.Done != 0 || mid != 300 {
				t.Fatalf("at the kill: %d members, state %+v; want 300 and the first page not yet counted", mid, st)
			}
			api.ClearFaults(batchget)

			resumed := startSyncChild(t, driver, dsn, srv.URL, appID)
			if err := resumed.Wait(); err != nil {
				t.Fatalf("resumed sync: %v\n%s", err, resumed.Stdout)
			}
			st, err = s.SyncState(ctx)
			if err != nil || st.Running || st.Error != "" || st.Done != killFans || st.Total != killFans {
				t.Fatalf("after resuming: %+v %v", st, err)
			}
			// Every row is one of the seeded fans (nothing else writes), so a
			// total of killFans means each one exactly once.
			_, total, err := s.ListMembers(ctx, models.MemberFilter{Limit: 1})
			if err != nil || total != killFans {
				t.Fatalf("members: %d %v, want %d", total, err, killFans)
			}
			for _, id := range []string{"k00000", "k00299", "k00300", "k01999", fmt.Sprintf("k%05d", killFans-1)} {
				if m, err := s.FindMemberByOpenID(ctx, id); err != nil || !m.Subscribed {
					t.Errorf("member %s: %+v %v", id, m, err)
				}
			}
		})
	}
}

func members(t *testing.T, s *models.Store) int64 {
	_, n, err := s.ListMembers(context.Background(), models.MemberFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func batchgets(api *fake.Server, appID string) int {
	n := 0
	for _, c := range api.CallsFor(appID) {
		if strings.HasSuffix(c.Path, "/batchget") && c.HTTPStatus == 200 {
			n++
		}
	}
	return n
}

type childProc struct {
	*exec.Cmd
	Stdout *strings.Builder
}

func startSyncChild(t *testing.T, driver, dsn, apiBase, appID string) childProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFollowerSyncSurvivesKill9$", "-test.count=1")
	cmd.Env = append(os.Environ(), syncChildEnv+"="+strings.Join([]string{driver, dsn, apiBase, appID}, "|"))
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return childProc{cmd, out}
}

// syncChild is the child process: step the sync until it is done.
func syncChild(t *testing.T, spec string) {
	parts := strings.SplitN(spec, "|", 4)
	driver, dsn, apiBase, appID := parts[0], parts[1], parts[2], parts[3]
	ctx := context.Background()
	s, err := models.Open(ctx, driver, dsn, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wechat.Install(apiBase, metrics.New())
	wx := wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "s", Token: "t"}, wechat.NewMemoryCache(nil))
	r := &jobs.Runner{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for i := 0; i < 100; i++ {
		if err := r.SyncFollowersStep(ctx, wx); err != nil {
			t.Fatal(err)
		}
		st, err := s.SyncState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Running {
			return
		}
	}
	t.Fatal("the sync did not finish in 100 steps")
}
