package wechat

import (
	"context"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/user"

	"github.com/fivec/fivec/models"
)

// FollowerPage is one page of the account's follower list.
type FollowerPage struct {
	OpenIDs []string
	Next    string // "" when this was the last page
	Total   int
}

// ListFollowers reads a page of follower openids (WeChat: 10,000 a page).
func (c *Client) ListFollowers(ctx context.Context, next string) (*FollowerPage, error) {
	var res *user.OpenidList
	err := c.call(ctx, func() error {
		var err error
		res, err = c.user.ListUserOpenIDs(next)
		return err
	})
	if err != nil {
		return nil, err
	}
	p := &FollowerPage{OpenIDs: res.Data.OpenIDs, Total: res.Total}
	if res.Count > 0 && res.NextOpenID != "" {
		p.Next = res.NextOpenID
	}
	return p, nil
}

// FollowerInfo fetches what WeChat still tells about followers (≤ 100 per
// call): subscription, time, union id and the QR scene they came through.
func (c *Client) FollowerInfo(ctx context.Context, openIDs []string) ([]models.Follower, error) {
	params := user.BatchGetUserInfoParams{}
	for _, id := range openIDs {
		params.UserList = append(params.UserList, user.BatchGetUserListItem{OpenID: id, Lang: "zh_CN"})
	}
	var res *user.InfoList
	err := c.call(ctx, func() error {
		var err error
		res, err = c.user.BatchGetUserInfo(params)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]models.Follower, 0, len(res.UserInfoList))
	for _, u := range res.UserInfoList {
		f := models.Follower{OpenID: u.OpenID, UnionID: u.UnionID, Subscribed: u.Subscribe == 1, Scene: u.QrSceneStr}
		if u.SubscribeTime > 0 {
			t := time.Unix(int64(u.SubscribeTime), 0).UTC()
			f.SubscribedAt = &t
		}
		out = append(out, f)
	}
	return out, nil
}
