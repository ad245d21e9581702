package roles

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fivec/fivec/models"
)

// The Client role's actions that both the chat and the member centre take:
// one implementation, one ledger, one set of idempotency keys.

// Redeemed is the outcome of a redemption a fan asked for.
type Redeemed struct {
	Redemption *models.Redemption
	// Again: this request (this chat message, this page form) had already
	// redeemed; Redemption is the first one and nothing was spent twice.
	Again bool
	// Refused says in Chinese why nothing was redeemed (no points spent):
	// not enough points, sold out, not available, no such gift.
	Refused string
}

// Redeem spends m's points on a gift under the idempotency key of the
// request that asked (the chat's message id, the page form's nonce): a
// repeated request returns the first redemption. The first redemption
// moves the member to the new-customer stage.
func (c *Client) Redeem(ctx context.Context, m *models.Member, giftID uint64, key string) (Redeemed, error) {
	if prior, err := c.Store.RedemptionByKey(ctx, key); err != nil || prior != nil {
		return Redeemed{Redemption: prior, Again: prior != nil}, err
	}
	r, err := c.Store.Redeem(ctx, m.ID, giftID, key)
	if err != nil {
		// Two submits of one form at the same moment: the loser of the
		// unique key finds the winner's redemption.
		if models.ErrorCode(err) == models.ECONFLICT {
			if prior, perr := c.Store.RedemptionByKey(ctx, key); perr == nil && prior != nil {
				return Redeemed{Redemption: prior, Again: true}, nil
			}
		}
		if why := c.redeemRefusal(ctx, m, giftID, err); why != "" {
			return Redeemed{Refused: why}, nil
		}
		return Redeemed{}, err
	}
	if _, err := c.Store.AdvanceStage(ctx, m.ID, models.StageNew, models.SystemReason(models.ReasonFirstRedemption, "")); err != nil {
		return Redeemed{Redemption: r}, err
	}
	return Redeemed{Redemption: r}, nil
}

// redeemRefusal words a refused redemption for the fan ("" for errors that
// are not a refusal).
func (c *Client) redeemRefusal(ctx context.Context, m *models.Member, giftID uint64, err error) string {
	switch models.ErrorCode(err) {
	case models.ENOTFOUND:
		return "没有这个礼品，请回复“兑换”或打开会员中心查看可兑换的礼品。"
	case models.ECONFLICT:
		return "这个礼品已经兑完了，看看其他礼品吧。"
	case models.EINVALID:
		if strings.HasPrefix(models.ErrorMessage(err), "not enough points") {
			g, gerr := c.Store.FindGift(ctx, giftID)
			bal, berr := c.Store.Balance(ctx, m.ID)
			if gerr == nil && berr == nil {
				return fmt.Sprintf("积分不足：兑换「%s」需要 %d 积分，您现在有 %d 积分。签到、参与话题、邀请好友都能获得积分。", g.Name, g.Cost, bal)
			}
			return "积分不足。签到、参与话题、邀请好友都能获得积分。"
		}
		return "这个礼品暂时不能兑换，看看其他礼品吧。"
	}
	return ""
}

// Catalogue is the redemption catalogue: the active gifts, cheapest first.
func (c *Client) Catalogue(ctx context.Context) ([]models.Gift, error) {
	return c.Store.ListGifts(ctx, true)
}

// Coupons are m's redemptions, newest first.
func (c *Client) Coupons(ctx context.Context, m *models.Member) ([]models.Redemption, error) {
	return c.Store.Redemptions(ctx, m.ID)
}

// Coupon is one of m's redemptions (ENOTFOUND for anyone else's).
func (c *Client) Coupon(ctx context.Context, m *models.Member, id uint64) (*models.Redemption, error) {
	return c.Store.MemberRedemption(ctx, m.ID, id)
}

// WeekStart is the Monday 00:00 of the account's week containing now: the
// leaderboard counts points earned since.
func (c *Client) WeekStart() time.Time {
	now := c.Now().In(c.Loc)
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, c.Loc).AddDate(0, 0, -((int(now.Weekday()) + 6) % 7))
}

// Leaderboard is this week's points ranking (points earned, staff
// adjustments left out), the same the chat's "排行榜" answers.
func (c *Client) Leaderboard(ctx context.Context, limit int) ([]models.LeaderboardRow, error) {
	return c.Store.Leaderboard(ctx, c.WeekStart(), limit)
}

// MaskOpenID shows a fan on a public ranking without naming them.
func MaskOpenID(openID string) string {
	return openID[:min(4, len(openID))] + "…" + openID[max(0, len(openID)-4):]
}

// TopicBoard is what the member centre shows of the running topics.
type TopicBoard struct {
	Topics []models.Topic
	// Mine are the fan's entries; Wall the featured (moderated) ones.
	Mine map[uint64][]models.TopicEntry
	Wall map[uint64][]models.TopicEntry
}

// topicWall bounds the featured entries shown.
const topicWall = 50

// Topics gathers the running topics with m's entries and the featured wall.
func (c *Client) Topics(ctx context.Context, m *models.Member) (*TopicBoard, error) {
	ts, err := c.Store.OpenTopics(ctx, c.Now())
	if err != nil {
		return nil, err
	}
	b := &TopicBoard{Topics: ts, Mine: map[uint64][]models.TopicEntry{}, Wall: map[uint64][]models.TopicEntry{}}
	ids := make([]uint64, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	mine, err := c.Store.MemberTopicEntries(ctx, m.ID, ids)
	if err != nil {
		return nil, err
	}
	for _, e := range mine {
		b.Mine[e.TopicID] = append(b.Mine[e.TopicID], e)
	}
	wall, err := c.Store.FeaturedTopicEntries(ctx, ids, topicWall)
	if err != nil {
		return nil, err
	}
	for _, e := range wall {
		b.Wall[e.TopicID] = append(b.Wall[e.TopicID], e)
	}
	return b, nil
}

// TopicEntered is the outcome of a fan's answer to a topic.
type TopicEntered struct {
	Entry *models.TopicEntry
	Paid  int64 // points paid now (the topic pays once per member)
}

// ErrTopicClosed: the topic is not running (not started or ended).
var ErrTopicClosed = models.Errorf(models.EINVALID, "the topic is not running")

// EnterTopic records m's answer to a running topic, pays its points once
// per member (key topic:<topic>:<member>) and moves m up to responder,
// whether the fan replied "<keyword> <answer>" in the chat or wrote on the
// member centre.
func (c *Client) EnterTopic(ctx context.Context, m *models.Member, tp *models.Topic, text string) (TopicEntered, error) {
	now := c.Now()
	if now.Before(tp.StartsAt) || !now.Before(tp.EndsAt) {
		return TopicEntered{}, ErrTopicClosed
	}
	e, paid, err := c.Store.AddTopicEntry(ctx, tp, m, text)
	if err != nil {
		return TopicEntered{Entry: e}, err
	}
	if _, err := c.Store.RaiseLevel(ctx, m.ID, models.LevelResponder, models.SystemReason(models.ReasonTopic, tp.Title)); err != nil {
		return TopicEntered{Entry: e, Paid: paid}, err
	}
	return TopicEntered{Entry: e, Paid: paid}, nil
}
