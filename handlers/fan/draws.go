package fan

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/models"
)

// DrawsPath is the member centre's 抽奖: the lucky draws, the fan's
// entries and results. Entering goes through Client.EnterDraw, the one
// method every transport calls.
const DrawsPath = MemberPath + "/draws"

var noticeNoDraw = notice{Title: "没有这个抽奖", Text: "这个抽奖不存在或已删除。请回到会员中心的“抽奖”看看正在进行的抽奖。", Retry: true}

// drawCard is one lucky draw as the fan sees it.
type drawCard struct {
	ID       uint64
	Title    string
	Prize    string
	Cost     int64
	Winners  int
	Window   string
	Entered  bool
	State    string // what the fan reads: 报名中 / 未开始 / 已截止 / 已开奖
	StateKey string // open / soon / closed / drawn (the CSS class)
	Result   string // once drawn, for an entrant: 中奖 or not
	Won      bool
	CanEnter bool
	TooDear  bool
	Short    int64 // the points missing when TooDear
}

type drawsView struct {
	Tab     string
	CSRF    string
	Balance int64
	Draws   []drawCard
	Flash   string
	Error   string
}

func (h *Handler) drawCard(my models.MyLuckyDraw, balance int64) drawCard {
	d, loc, now := my.Draw, h.Client.Loc, h.Client.Now()
	c := drawCard{ID: d.ID, Title: d.Title, Prize: d.Prize, Cost: d.Cost, Winners: d.Winners, Entered: my.Entered, Won: my.Won,
		Window: d.StartsAt.In(loc).Format("01-02 15:04") + " 至 " + d.EndsAt.In(loc).Format("01-02 15:04")}
	switch {
	case d.State == models.LuckyDrawDrawn:
		c.State, c.StateKey = "已开奖", "drawn"
		if my.Entered && my.Won {
			c.Result = "恭喜您中奖了！奖品：" + d.Prize + "。我们会在公众号里通知您领奖方式。"
		} else if my.Entered {
			c.Result = "很遗憾，这次没有中奖。感谢参与！"
		}
	case now.Before(d.StartsAt):
		c.State, c.StateKey = "未开始", "soon"
	case !now.Before(d.EndsAt):
		c.State, c.StateKey = "已截止，等待开奖", "closed"
	default:
		c.State, c.StateKey = "报名中", "open"
		c.CanEnter = !my.Entered
		c.TooDear, c.Short = d.Cost > balance, d.Cost-balance
	}
	return c
}

// showDraws is GET /fan/me/draws.
func (h *Handler) showDraws(c *gin.Context) {
	tok, _, m, ok := h.fanFor(c)
	if !ok {
		return
	}
	v := drawsView{}
	switch c.Query("done") {
	case "new":
		v.Flash = "报名成功！开奖后会在这里显示结果。"
	case "again":
		v.Flash = "您已经报名过这个抽奖了，不会重复报名，也没有重复扣积分。"
	}
	h.renderDraws(c, http.StatusOK, tok, m, v)
}

func (h *Handler) renderDraws(c *gin.Context, status int, tok string, m *models.Member, v drawsView) {
	ctx := c.Request.Context()
	var err error
	if v.Balance, err = h.Store.Balance(ctx, m.ID); err != nil {
		h.broken(c, "balance", err)
		return
	}
	mine, err := h.Client.Draws(ctx, m)
	if err != nil {
		h.broken(c, "draws", err)
		return
	}
	v.Tab, v.CSRF = "draws", h.sign("csrf", tok)
	for _, my := range mine {
		v.Draws = append(v.Draws, h.drawCard(my, v.Balance))
	}
	h.page(c, status, "draws", v)
}

type drawConfirmView struct {
	Tab     string
	CSRF    string
	Draw    drawCard
	Balance int64
	After   int64
}

// confirmDraw is GET /fan/me/draws/:id: an entry that costs points asks
// first.
func (h *Handler) confirmDraw(c *gin.Context) {
	tok, _, m, ok := h.fanFor(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	d, err := h.Store.FindLuckyDraw(ctx, idParam(c))
	if models.ErrorCode(err) == models.ENOTFOUND {
		h.notice(c, http.StatusNotFound, noticeNoDraw)
		return
	}
	if err != nil {
		h.broken(c, "draw", err)
		return
	}
	bal, err := h.Store.Balance(ctx, m.ID)
	if err != nil {
		h.broken(c, "balance", err)
		return
	}
	h.page(c, http.StatusOK, "draw-confirm", drawConfirmView{Tab: "draws", CSRF: h.sign("csrf", tok),
		Draw: h.drawCard(models.MyLuckyDraw{Draw: *d}, bal), Balance: bal, After: bal - d.Cost})
}

// enterDraw is POST /fan/me/draws/:id: Client.EnterDraw, then the list
// (303, so a reload does not post again). Entering twice counts once.
func (h *Handler) enterDraw(c *gin.Context) {
	_, m, ok := h.fanPost(c)
	if !ok {
		return
	}
	tok, _ := h.sessionToken(c)
	res, err := h.Client.EnterDraw(c.Request.Context(), m, idParam(c))
	if err != nil {
		h.broken(c, "enter draw", err)
		return
	}
	if res.Refused != "" {
		h.renderDraws(c, http.StatusConflict, tok, m, drawsView{Error: "报名失败：" + res.Refused})
		return
	}
	done := "new"
	if res.Again {
		done = "again"
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s?done=%s#draw-%d", DrawsPath, done, res.Entry.LuckyDrawID))
}
