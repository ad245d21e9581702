package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// Followers is the WeChat side of the follower sync.
type Followers interface {
	ListFollowers(ctx context.Context, next string) (*wechat.FollowerPage, error)
	FollowerInfo(ctx context.Context, openIDs []string) ([]models.Follower, error)
}

// StartFollowerSync asks for a full sync (the console button, the API, the
// daily job); the job picks it up within seconds. It refuses while one is
// running (ECONFLICT, "同步已在进行中"); of requests made at once, in one
// process or several, exactly one starts a sync (models.Store.StartSync).
func StartFollowerSync(ctx context.Context, store *models.Store, now time.Time) error {
	return store.StartSync(ctx, now)
}

// FollowerSync continues a requested sync every 10 s, a page at a time
// (10,000 openids, fetched in batches of 100), saving the cursor after
// each page: a restart resumes where it stopped, and repeating a page is
// harmless. A daily full sync starts at 03:00.
func (r *Runner) FollowerSync(wx Followers, now func() time.Time) []Job {
	step := Job{Name: "follower-sync", Spec: "@every 10s", Run: func(ctx context.Context) error {
		return r.SyncFollowersStep(ctx, wx)
	}}
	daily := Job{Name: "follower-sync-daily", Spec: "0 3 * * *", Run: func(ctx context.Context) error {
		err := StartFollowerSync(ctx, r.Store, now())
		if models.ErrorCode(err) == models.ECONFLICT {
			return nil
		}
		return err
	}}
	return []Job{step, daily}
}

// SyncFollowersStep runs one page of a requested sync (no-op otherwise).
func (r *Runner) SyncFollowersStep(ctx context.Context, wx Followers) error {
	st, err := r.Store.SyncState(ctx)
	if err != nil || !st.Running {
		return err
	}
	fail := func(err error) error {
		st.Error = err.Error()
		_ = r.Store.SaveSyncState(ctx, st)
		return fmt.Errorf("follower sync: %w", err)
	}
	page, err := wx.ListFollowers(ctx, st.Next)
	if err != nil {
		return fail(err)
	}
	for i := 0; i < len(page.OpenIDs); i += 100 {
		batch := page.OpenIDs[i:min(i+100, len(page.OpenIDs))]
		info, err := wx.FollowerInfo(ctx, batch)
		if err != nil {
			return fail(err)
		}
		if err := r.Store.UpsertFollowers(ctx, info); err != nil {
			return fail(err)
		}
	}
	st.Done += len(page.OpenIDs)
	st.Total, st.Next, st.Error = page.Total, page.Next, ""
	if page.Next == "" || len(page.OpenIDs) == 0 {
		st.Running, st.FinishedAt, st.Next = false, time.Now().UTC(), ""
		r.Log.Info("follower sync finished", "followers", st.Done)
	}
	return r.Store.SaveSyncState(ctx, st)
}
