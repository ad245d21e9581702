package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/fivec/fivec/jobs"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
	"github.com/fivec/fivec/wechat/fake/faketest"
)

var platform *fake.Server

func TestMain(m *testing.M) { faketest.Main(m, fake.Options{PageSize: 100}, &platform) }

func TestFollowerSyncResumesAndIsIdempotent(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxsync" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"})
		for i := 0; i < 250; i++ {
			if err := platform.SeedFan(appID, fake.Fan{OpenID: fmt.Sprintf("sync%03d", i), Subscribed: true, SubscribeTime: time.Unix(1700000000, 0)}); err != nil {
				t.Fatal(err)
			}
		}
		// One fan already wrote: the sync must not overwrite that.
		_, m, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "x", OpenID: "sync007", MsgType: "event", Event: "subscribe", Subscribe: true, Scene: "poster"})
		if err != nil {
			t.Fatal(err)
		}
		wx := wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "s", Token: "t"}, wechat.NewMemoryCache(nil))
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		if err := jobs.StartFollowerSync(ctx, s, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := jobs.StartFollowerSync(ctx, s, time.Now()); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("second start: %v", err)
		}
		// One step, then "the process dies": a new runner resumes.
		if err := (&jobs.Runner{Store: s, Log: log}).SyncFollowersStep(ctx, wx); err != nil {
			t.Fatal(err)
		}
		st, _ := s.SyncState(ctx)
		if !st.Running || st.Done != 100 || st.Total != 250 || st.Next == "" {
			t.Fatalf("after one page: %+v", st)
		}
		r2 := &jobs.Runner{Store: s, Log: log}
		for i := 0; i < 5 && st.Running; i++ {
			if err := r2.SyncFollowersStep(ctx, wx); err != nil {
				t.Fatal(err)
			}
			st, _ = s.SyncState(ctx)
		}
		if st.Running || st.Done != 250 {
			t.Fatalf("finished state: %+v", st)
		}
		_, total, _ := s.ListMembers(ctx, models.MemberFilter{Limit: 1})
		if total != 250 {
			t.Fatalf("members %d, want 250", total)
		}
		kept, _ := s.FindMemberByOpenID(ctx, "sync007")
		if kept.SubscribeScene != "poster" || !kept.FirstSubscribedAt.Equal(*m.FirstSubscribedAt) {
			t.Fatalf("sync overwrote callback data: %+v", kept)
		}
		// A second full sync changes nothing.
		jobs.StartFollowerSync(ctx, s, time.Now())
		for i := 0; i < 5; i++ {
			r2.SyncFollowersStep(ctx, wx)
		}
		if _, total, _ = s.ListMembers(ctx, models.MemberFilter{Limit: 1}); total != 250 {
			t.Fatalf("members after re-sync %d", total)
		}
		// An API failure is recorded and the sync resumes later.
		jobs.StartFollowerSync(ctx, s, time.Now())
		platform.InjectFault("/cgi-bin/user/get", fake.Fault{Times: 1, Status: 500})
		if err := r2.SyncFollowersStep(ctx, wx); err == nil {
			t.Fatal("fault not reported")
		}
		if st, _ := s.SyncState(ctx); !st.Running || st.Error == "" {
			t.Fatalf("state after fault: %+v", st)
		}
		if err := r2.SyncFollowersStep(ctx, wx); err != nil {
			t.Fatalf("resume after fault: %v", err)
		}
	})
}
