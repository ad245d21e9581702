package jobs

import (
	"context"
	"fmt"

	"github.com/fivec/fivec/wechat"
)

// WeChatTags is the WeChat side of tag sync.
type WeChatTags interface {
	Tags(ctx context.Context) ([]wechat.WeChatTag, error)
	CreateTag(ctx context.Context, name string) (int32, error)
	TagFollowers(ctx context.Context, tagID int32) ([]string, error)
	BatchTag(ctx context.Context, tagID int32, openIDs []string) error
}

// TagSync keeps local tags and WeChat tags in step every 15 minutes (when
// FIVEC_WECHAT_TAG_SYNC is on).
func (r *Runner) TagSync(wx WeChatTags) Job {
	return Job{Name: "tag-sync", Spec: "@every 15m", Run: func(ctx context.Context) error {
		return r.SyncTags(ctx, wx)
	}}
}

// SyncTags runs one two-way pass. Pull: every WeChat tag becomes a local
// tag and its followers get it locally. Push: local tags WeChat lacks are
// created there (the platform allows 100), and local memberships WeChat
// does not know are added in batches of 50. Removing a tag is not synced.
func (r *Runner) SyncTags(ctx context.Context, wx WeChatTags) error {
	remote, err := wx.Tags(ctx)
	if err != nil {
		return fmt.Errorf("tag sync: list WeChat tags: %w", err)
	}
	for _, t := range remote {
		if t.ID <= 2 { // 0, 1, 2 are WeChat's own (star, blacklist…)
			continue
		}
		local, err := r.Store.LinkTag(ctx, t.Name, t.ID)
		if err != nil {
			return err
		}
		openIDs, err := wx.TagFollowers(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("tag sync: followers of %s: %w", t.Name, err)
		}
		if err := r.Store.MarkTagged(ctx, local.ID, openIDs); err != nil {
			return err
		}
	}
	tags, err := r.Store.TagsForSync(ctx)
	if err != nil {
		return err
	}
	for _, t := range tags {
		if t.WeChatID == nil {
			id, err := wx.CreateTag(ctx, t.Name)
			if err != nil {
				return fmt.Errorf("tag sync: create %s on WeChat (errcode %d; WeChat allows 100 tags): %w", t.Name, wechat.ErrCode(err), err)
			}
			if _, err := r.Store.LinkTag(ctx, t.Name, id); err != nil {
				return err
			}
			t.WeChatID = &id
		}
		for {
			openIDs, err := r.Store.UnsyncedTagMembers(ctx, t.ID, 500)
			if err != nil || len(openIDs) == 0 {
				if err != nil {
					return err
				}
				break
			}
			if err := wx.BatchTag(ctx, *t.WeChatID, openIDs); err != nil {
				return fmt.Errorf("tag sync: tag followers with %s: %w", t.Name, err)
			}
			if err := r.Store.MarkTagged(ctx, t.ID, openIDs); err != nil {
				return err
			}
		}
	}
	return nil
}
