package wechat

import (
	"context"

	"github.com/silenceper/wechat/v2/officialaccount/user"
)

// blacklistBatch is how many openids one blacklist call takes.
const blacklistBatch = 20

// Blacklist puts fans on the account's blacklist, 20 per call as the
// platform allows. WeChat then delivers no message of ours to them.
func (c *Client) Blacklist(ctx context.Context, openIDs ...string) error {
	return c.blacklistBatches(ctx, openIDs, func(b []string) error { return c.user.BatchBlackList(b...) })
}

// Unblacklist takes fans off the blacklist.
func (c *Client) Unblacklist(ctx context.Context, openIDs ...string) error {
	return c.blacklistBatches(ctx, openIDs, func(b []string) error { return c.user.BatchUnBlackList(b...) })
}

func (c *Client) blacklistBatches(ctx context.Context, openIDs []string, fn func([]string) error) error {
	for i := 0; i < len(openIDs); i += blacklistBatch {
		batch := openIDs[i:min(i+blacklistBatch, len(openIDs))]
		if err := c.call(ctx, func() error { return fn(batch) }); err != nil {
			return err
		}
	}
	return nil
}

// Blacklisted lists the account's blacklisted fans, all pages.
func (c *Client) Blacklisted(ctx context.Context) ([]string, error) {
	var out []string
	next := ""
	for {
		var page *user.OpenidList
		err := c.call(ctx, func() error {
			var err error
			page, err = c.user.GetBlackList(next)
			return err
		})
		if err != nil {
			return out, err
		}
		out = append(out, page.Data.OpenIDs...)
		if page.Count == 0 || page.NextOpenID == "" || len(out) >= page.Total {
			return out, nil
		}
		next = page.NextOpenID
	}
}
