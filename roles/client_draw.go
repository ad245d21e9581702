package roles

import (
	"context"
	"fmt"

	"github.com/fivec/fivec/models"
)

// DrawEntered is the outcome of a fan's entry to a lucky draw.
type DrawEntered struct {
	Entry *models.LuckyDrawEntry
	// Again: the fan had already entered; nothing was spent twice.
	Again bool
	// Refused says in Chinese why the fan is not entered (no points spent).
	Refused string
}

// EnterDraw enters m in a lucky draw, once whatever the number of clicks or
// messages (the entry's unique key), spending its points cost through the
// ledger. Every transport that lets a fan enter calls this.
func (c *Client) EnterDraw(ctx context.Context, m *models.Member, drawID uint64) (DrawEntered, error) {
	e, again, err := c.Store.EnterLuckyDraw(ctx, drawID, m.ID)
	if err == nil {
		return DrawEntered{Entry: e, Again: again}, nil
	}
	switch models.ErrorCode(err) {
	case models.ENOTFOUND:
		return DrawEntered{Refused: "没有这个抽奖，请回到会员中心的“抽奖”看看正在进行的抽奖。"}, nil
	case models.EINVALID:
		switch models.ErrorMessage(err) {
		case models.LuckyDrawNotStarted:
			if d, ferr := c.Store.FindLuckyDraw(ctx, drawID); ferr == nil {
				return DrawEntered{Refused: fmt.Sprintf("这个抽奖还没开始，%s 开始报名，到时再来吧。", d.StartsAt.In(c.Loc).Format("01-02 15:04"))}, nil
			}
			return DrawEntered{Refused: "这个抽奖还没开始，到时再来吧。"}, nil
		case models.LuckyDrawClosed:
			return DrawEntered{Refused: "这个抽奖已经截止报名，看看其他抽奖吧。"}, nil
		case models.LuckyDrawNoPoints:
			d, derr := c.Store.FindLuckyDraw(ctx, drawID)
			bal, berr := c.Store.Balance(ctx, m.ID)
			if derr == nil && berr == nil {
				return DrawEntered{Refused: fmt.Sprintf("积分不足：参加「%s」需要 %d 积分，您现在有 %d 积分。签到、参与话题、邀请好友都能获得积分。", d.Title, d.Cost, bal)}, nil
			}
			return DrawEntered{Refused: "积分不足。签到、参与话题、邀请好友都能获得积分。"}, nil
		}
	}
	return DrawEntered{}, err
}

// Draws are the newest lucky draws with m's own entry and result.
func (c *Client) Draws(ctx context.Context, m *models.Member) ([]models.MyLuckyDraw, error) {
	return c.Store.LuckyDrawsFor(ctx, m.ID, 30)
}
