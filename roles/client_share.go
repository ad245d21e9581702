package roles

import (
	"context"
	"fmt"
	"time"

	"github.com/fivec/fivec/models"
)

// ShareRules are the numbers of share-to-earn (docs/fan-pages.md, "Sharing").
type ShareRules struct {
	// Points are paid to a sharer for each friend's first open of a link
	// they shared (0: no points, the chain is still recorded), at most
	// DailyCap times a day (the account's day).
	Points   int64
	DailyCap int
	// KeyPersonFriends distinct friends opening a member's shares make them
	// a key person (关键人物); one makes them a spreader (传播者).
	KeyPersonFriends int64
}

// DefaultShareRules are fivec's defaults.
var DefaultShareRules = ShareRules{Points: 5, DailyCap: 20, KeyPersonFriends: 30}

// SharedOpen is one open of a tracked link inside WeChat.
type SharedOpen struct {
	Link *models.ShareLink
	// Via is the member whose token the link carried.
	Via uint64
	// OpenID is the opener (web authorisation); Member their member, nil
	// when they do not follow (yet).
	OpenID string
	Member *models.Member
}

// OpenShared records an open of a tracked link: the opener's place in the
// chain on their first open, and for a friend's first open (never a
// self-open or a repeat) the sharer's points, through the same ledger as
// every other credit (key share:<link>:<openid>), and the sharer's climb to
// spreader and key person. The platform never says that a fan shared
// (wechat-platform.md §12): a share is known only here, when someone else
// opens the sharer's link.
func (c *Client) OpenShared(ctx context.Context, o SharedOpen) (models.ShareOpenResult, error) {
	r := c.Share
	now := c.Now().In(c.Loc)
	in := models.ShareOpenInput{LinkID: o.Link.ID, ViaID: o.Via, OpenID: o.OpenID, Points: r.Points, DailyCap: r.DailyCap,
		DayStart: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, c.Loc),
		Reason:   models.SystemReason(models.ReasonSharePoints, o.Link.Title), Expires: c.expiry()}
	if o.Member != nil {
		in.MemberID = &o.Member.ID
	}
	res, err := c.Store.RecordShareOpen(ctx, in)
	if err != nil || !res.First || res.Self {
		return res, err
	}
	if _, err := c.Store.RaiseLevel(ctx, o.Via, models.LevelSpreader, models.SystemReason(models.ReasonShared, "")); err != nil {
		return res, err
	}
	if r.KeyPersonFriends > 0 {
		n, err := c.Store.ShareFriends(ctx, o.Via)
		if err != nil {
			return res, err
		}
		if n >= r.KeyPersonFriends {
			if _, err := c.Store.RaiseLevel(ctx, o.Via, models.LevelKeyPerson, models.SystemReason(models.ReasonShareFriends, fmt.Sprint(n))); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}
