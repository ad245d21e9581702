package wechat

import (
	"context"

	"github.com/silenceper/wechat/v2/officialaccount/user"
)

// WeChatTag is a tag on the WeChat side.
type WeChatTag struct {
	ID   int32
	Name string
}

// Tags lists the account's WeChat tags.
func (c *Client) Tags(ctx context.Context) ([]WeChatTag, error) {
	var tags []*user.TagInfo
	err := c.call(ctx, func() error {
		var err error
		tags, err = c.user.GetTag()
		return err
	})
	out := make([]WeChatTag, 0, len(tags))
	for _, t := range tags {
		out = append(out, WeChatTag{ID: t.ID, Name: t.Name})
	}
	return out, err
}

// CreateTag creates a WeChat tag (≤ 100 per account, name ≤ 30 bytes).
func (c *Client) CreateTag(ctx context.Context, name string) (int32, error) {
	var info *user.TagInfo
	err := c.call(ctx, func() error {
		var err error
		info, err = c.user.CreateTag(name)
		return err
	})
	if err != nil {
		return 0, err
	}
	return info.ID, nil
}

// TagFollowers lists a WeChat tag's followers, all pages.
func (c *Client) TagFollowers(ctx context.Context, tagID int32) ([]string, error) {
	var out []string
	next := ""
	for {
		var page *user.TagOpenIDList
		err := c.call(ctx, func() error {
			var err error
			page, err = c.user.OpenIDListByTag(tagID, next)
			return err
		})
		if err != nil {
			return out, err
		}
		out = append(out, page.Data.OpenIDs...)
		if page.Count == 0 || page.NextOpenID == "" || len(page.Data.OpenIDs) == 0 {
			return out, nil
		}
		next = page.NextOpenID
	}
}

// BatchTag tags followers on WeChat, 50 per call as the platform allows.
func (c *Client) BatchTag(ctx context.Context, tagID int32, openIDs []string) error {
	for i := 0; i < len(openIDs); i += 50 {
		batch := openIDs[i:min(i+50, len(openIDs))]
		if err := c.call(ctx, func() error { return c.user.BatchTag(batch, tagID) }); err != nil {
			return err
		}
	}
	return nil
}
