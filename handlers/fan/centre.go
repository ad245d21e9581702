package fan

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// The member centre's other pages: the redemption catalogue and my coupons,
// the leaderboard, the topics. Each goes through the Client role's methods
// the chat uses (roles/client_centre.go), so a redemption or an entry made
// here is the same ledger entry, under the same kind of key, as one made by
// replying in the chat.

// Paths of the member centre's pages.
const (
	GiftsPath       = MemberPath + "/gifts"
	CouponsPath     = MemberPath + "/coupons"
	LeaderboardPath = MemberPath + "/leaderboard"
	TopicsPath      = MemberPath + "/topics"
)

var (
	noticeNoCoupon    = notice{Title: "找不到这张券", Text: "这张券不存在，或不属于您。请从“我的券”里打开。", Retry: true}
	noticeNoGift      = notice{Title: "没有这个礼品", Text: "礼品可能已经下架。请回到积分商城看看其他礼品。", Retry: true}
	noticeNoTopic     = notice{Title: "话题已结束", Text: "这个话题已经结束或不存在。请回到会员中心看看正在进行的话题。", Retry: true}
	noticePageExpired = notice{Title: "请重新打开会员中心", Text: "您的登录已过期，刚才的操作没有完成。请重新打开会员中心再试一次。", Retry: true}
)

// fanFor returns the signed-in fan of a GET page. Without a session it
// sends the fan through WeChat's authorisation back to this page (outside
// WeChat it says to open it there) and returns ok = false.
func (h *Handler) fanFor(c *gin.Context) (tok string, sess *models.FanSession, m *models.Member, ok bool) {
	tok, sess, m, err := h.current(c)
	if err != nil {
		h.Log.Error("fan session", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		return "", nil, nil, false
	}
	if sess == nil {
		if !h.inWeChat(c) {
			h.notice(c, http.StatusOK, noticeOutside)
			return "", nil, nil, false
		}
		h.authorize(c, models.ScopeBase, c.Request.URL.Path)
		return "", nil, nil, false
	}
	return tok, sess, m, true
}

// fanPost returns the signed-in fan of a form post whose csrf token matches
// the session; otherwise it says what to do and returns ok = false.
func (h *Handler) fanPost(c *gin.Context) (sess *models.FanSession, m *models.Member, ok bool) {
	tok, sess, m, err := h.current(c)
	if err != nil {
		h.Log.Error("fan session", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		return nil, nil, false
	}
	if sess == nil {
		h.notice(c, http.StatusUnauthorized, noticePageExpired)
		return nil, nil, false
	}
	if !hmac.Equal([]byte(c.PostForm("csrf")), []byte(h.sign("csrf", tok))) {
		h.notice(c, http.StatusForbidden, noticePageExpired)
		return nil, nil, false
	}
	return sess, m, true
}

// page renders one of centre.html's pages.
func (h *Handler) page(c *gin.Context, status int, name string, v any) {
	c.Status(status)
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := h.centrePages.ExecuteTemplate(c.Writer, name, v); err != nil {
		h.Log.Error("render fan page", "page", name, "err", err)
	}
}

func (h *Handler) broken(c *gin.Context, what string, err error) {
	h.Log.Error("fan page", "what", what, "err", err)
	h.notice(c, http.StatusInternalServerError, noticeUnavailable)
}

func idParam(c *gin.Context) uint64 {
	id, _ := strconv.ParseUint(c.Param("id"), 10, 64)
	return id
}

// couponRow is a redemption as the fan reads it.
type couponRow struct {
	ID        uint64
	Name      string
	Code      string
	Points    int64
	Taken     string
	Until     string
	Status    string // 可使用 / 已使用 / 已过期
	StatusKey string // usable / used / expired (the CSS class)
}

func (h *Handler) couponRow(r models.Redemption) couponRow {
	loc := h.Client.Loc
	row := couponRow{ID: r.ID, Name: r.GiftName, Code: r.Code, Points: r.Points,
		Taken: r.CreatedAt.In(loc).Format("2006-01-02 15:04"), Status: "可使用", StatusKey: "usable"}
	if r.ValidUntil != nil {
		row.Until = r.ValidUntil.In(loc).Format("2006-01-02")
	}
	switch {
	case r.UsedAt != nil:
		row.Status, row.StatusKey = "已使用 "+r.UsedAt.In(loc).Format("01-02 15:04"), "used"
	case r.ValidUntil != nil && h.Client.Now().After(*r.ValidUntil):
		row.Status, row.StatusKey = "已过期", "expired"
	}
	return row
}

type giftRow struct {
	models.Gift
	SoldOut, TooDear bool
}

type giftsView struct {
	Tab     string
	Balance int64
	Gifts   []giftRow
	Coupons []couponRow
	Error   string
}

// showGifts is GET /fan/me/gifts: the catalogue and my coupons.
func (h *Handler) showGifts(c *gin.Context) {
	_, _, m, ok := h.fanFor(c)
	if !ok {
		return
	}
	h.renderGifts(c, http.StatusOK, m, "")
}

func (h *Handler) renderGifts(c *gin.Context, status int, m *models.Member, errText string) {
	ctx := c.Request.Context()
	v := giftsView{Tab: "gifts", Error: errText}
	var err error
	if v.Balance, err = h.Store.Balance(ctx, m.ID); err != nil {
		h.broken(c, "balance", err)
		return
	}
	gifts, err := h.Client.Catalogue(ctx)
	if err != nil {
		h.broken(c, "catalogue", err)
		return
	}
	for _, g := range gifts {
		v.Gifts = append(v.Gifts, giftRow{Gift: g, SoldOut: g.Stock <= 0, TooDear: g.Cost > v.Balance})
	}
	coupons, err := h.Client.Coupons(ctx, m)
	if err != nil {
		h.broken(c, "coupons", err)
		return
	}
	for _, r := range coupons {
		v.Coupons = append(v.Coupons, h.couponRow(r))
	}
	h.page(c, status, "gifts", v)
}

type confirmView struct {
	Tab     string
	Gift    models.Gift
	Balance int64
	// After is the balance after redeeming; Short what is missing.
	After, Short int64
	CSRF         string
	Nonce        string
}

// confirmRedeem is GET /fan/me/gifts/:id: redeeming asks first. The form
// carries a fresh nonce: a second submit of the same form (a double click,
// a reload) redeems once.
func (h *Handler) confirmRedeem(c *gin.Context) {
	tok, _, m, ok := h.fanFor(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	g, err := h.Store.FindGift(ctx, idParam(c))
	if models.ErrorCode(err) == models.ENOTFOUND || (err == nil && !g.Active) {
		h.notice(c, http.StatusNotFound, noticeNoGift)
		return
	}
	if err != nil {
		h.broken(c, "gift", err)
		return
	}
	bal, err := h.Store.Balance(ctx, m.ID)
	if err != nil {
		h.broken(c, "balance", err)
		return
	}
	h.page(c, http.StatusOK, "confirm", confirmView{Tab: "gifts", Gift: *g, Balance: bal, After: bal - g.Cost, Short: g.Cost - bal,
		CSRF: h.sign("csrf", tok), Nonce: models.RandomToken(16)})
}

// redeem is POST /fan/me/gifts/:id: Client.Redeem under the key
// page:<member>:<nonce>, then the coupon (303, so a reload does not post
// again). A refusal shows the catalogue with the reason in Chinese.
func (h *Handler) redeem(c *gin.Context) {
	_, m, ok := h.fanPost(c)
	if !ok {
		return
	}
	nonce := c.PostForm("nonce")
	if len(nonce) < 16 || len(nonce) > 64 {
		h.renderGifts(c, http.StatusBadRequest, m, "兑换表单已失效，没有扣除积分。请重新点“兑换”。")
		return
	}
	res, err := h.Client.Redeem(c.Request.Context(), m, idParam(c), fmt.Sprintf("page:%d:%s", m.ID, nonce))
	if err != nil {
		h.broken(c, "redeem", err)
		return
	}
	if res.Refused != "" {
		h.renderGifts(c, http.StatusConflict, m, "兑换失败："+res.Refused)
		return
	}
	done := "new"
	if res.Again {
		done = "again"
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s/%d?done=%s", CouponsPath, res.Redemption.ID, done))
}

type couponView struct {
	Tab    string
	Coupon couponRow
	Flash  string
}

// showCoupon is GET /fan/me/coupons/:id: one of the fan's own coupons only.
func (h *Handler) showCoupon(c *gin.Context) {
	_, _, m, ok := h.fanFor(c)
	if !ok {
		return
	}
	r, err := h.Client.Coupon(c.Request.Context(), m, idParam(c))
	if models.ErrorCode(err) == models.ENOTFOUND {
		h.notice(c, http.StatusNotFound, noticeNoCoupon)
		return
	}
	if err != nil {
		h.broken(c, "coupon", err)
		return
	}
	v := couponView{Tab: "gifts", Coupon: h.couponRow(*r)}
	switch c.Query("done") {
	case "new":
		v.Flash = fmt.Sprintf("兑换成功！扣除 %d 积分。", r.Points)
	case "again":
		v.Flash = "这次兑换已经完成过了，没有重复扣积分。"
	}
	h.page(c, http.StatusOK, "coupon", v)
}

type rankRow struct {
	Rank   int
	Name   string
	Points int64
	Me     bool
}

type leaderboardView struct {
	Tab   string
	Since string
	Rows  []rankRow
	Mine  *rankRow // the fan's own line, when not among Rows
}

// leaderboardSize is how many lines the page ranks.
const leaderboardSize = 20

// showLeaderboard is GET /fan/me/leaderboard: this week's ranking, the one
// the chat's "排行榜" answers with, the fan's own line marked.
func (h *Handler) showLeaderboard(c *gin.Context) {
	_, _, m, ok := h.fanFor(c)
	if !ok {
		return
	}
	rows, err := h.Client.Leaderboard(c.Request.Context(), 100)
	if err != nil {
		h.broken(c, "leaderboard", err)
		return
	}
	v := leaderboardView{Tab: "leaderboard", Since: h.Client.WeekStart().Format("01-02")}
	for i, r := range rows {
		row := rankRow{Rank: i + 1, Name: roles.MaskOpenID(r.OpenID), Points: r.Points, Me: r.MemberID == m.ID}
		if row.Me {
			row.Name = "我"
		}
		if i < leaderboardSize {
			v.Rows = append(v.Rows, row)
		} else if row.Me {
			v.Mine = &row
		}
	}
	h.page(c, http.StatusOK, "leaderboard", v)
}

type topicCard struct {
	models.Topic
	Ends  string
	Mine  []entryRow
	Wall  []entryRow
	Draft string // the fan's text when it was refused (kept, not lost)
}

type entryRow struct {
	Text, When string
	Featured   bool
}

type topicsView struct {
	Tab    string
	CSRF   string
	Topics []topicCard
	Flash  string
	Error  string
	// ErrorTopic is the topic the error is about.
	ErrorTopic uint64
}

// maxEntryRunes bounds a text entry written on the page.
const maxEntryRunes = 1000

// showTopics is GET /fan/me/topics: the running topics, the fan's entries
// and the featured wall.
func (h *Handler) showTopics(c *gin.Context) {
	tok, _, m, ok := h.fanFor(c)
	if !ok {
		return
	}
	v := topicsView{}
	if paid := c.Query("paid"); c.Query("done") != "" {
		v.Flash = "感谢参与！您的内容已提交，精选后会出现在话题墙上。"
		if n, _ := strconv.Atoi(paid); n > 0 {
			v.Flash = fmt.Sprintf("感谢参与！+%d 积分。您的内容精选后会出现在话题墙上。", n)
		}
	}
	h.renderTopics(c, http.StatusOK, tok, m, v)
}

func (h *Handler) renderTopics(c *gin.Context, status int, tok string, m *models.Member, v topicsView) {
	b, err := h.Client.Topics(c.Request.Context(), m)
	if err != nil {
		h.broken(c, "topics", err)
		return
	}
	v.Tab, v.CSRF = "topics", h.sign("csrf", tok)
	loc := h.Client.Loc
	row := func(e models.TopicEntry) entryRow {
		return entryRow{Text: e.Text, When: e.CreatedAt.In(loc).Format("01-02 15:04"), Featured: e.Featured && !e.Hidden}
	}
	for _, t := range b.Topics {
		card := topicCard{Topic: t, Ends: t.EndsAt.In(loc).Format("2006-01-02 15:04")}
		for _, e := range b.Mine[t.ID] {
			card.Mine = append(card.Mine, row(e))
		}
		for _, e := range b.Wall[t.ID] {
			card.Wall = append(card.Wall, row(e))
		}
		if t.ID == v.ErrorTopic {
			card.Draft = c.PostForm("text")
		}
		v.Topics = append(v.Topics, card)
	}
	h.page(c, status, "topics", v)
}

// enterTopic is POST /fan/me/topics/:id: a text entry through
// Client.EnterTopic, the chat's "<keyword> <answer>".
func (h *Handler) enterTopic(c *gin.Context) {
	_, m, ok := h.fanPost(c)
	if !ok {
		return
	}
	tok, _ := h.sessionToken(c)
	ctx := c.Request.Context()
	tp, err := h.Store.FindTopic(ctx, idParam(c))
	if models.ErrorCode(err) == models.ENOTFOUND {
		h.notice(c, http.StatusNotFound, noticeNoTopic)
		return
	}
	if err != nil {
		h.broken(c, "topic", err)
		return
	}
	text := strings.TrimSpace(c.PostForm("text"))
	refuse := func(why string) {
		h.renderTopics(c, http.StatusBadRequest, tok, m, topicsView{Error: why, ErrorTopic: tp.ID})
	}
	switch {
	case text == "":
		refuse("请先写下您的想法再提交。")
		return
	case utf8.RuneCountInString(text) > maxEntryRunes:
		refuse(fmt.Sprintf("内容太长了：最多 %d 字，现在 %d 字。请删减后再提交。", maxEntryRunes, utf8.RuneCountInString(text)))
		return
	}
	res, err := h.Client.EnterTopic(ctx, m, tp, text)
	if errors.Is(err, roles.ErrTopicClosed) {
		h.notice(c, http.StatusConflict, noticeNoTopic)
		return
	}
	if err != nil {
		h.broken(c, "topic entry", err)
		return
	}
	q := url.Values{"done": {strconv.FormatUint(tp.ID, 10)}, "paid": {strconv.FormatInt(res.Paid, 10)}}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, TopicsPath+"?"+q.Encode())
}

// InvitePath is "my invitations"; its QR code is InvitePath+"/qr.png".
const InvitePath = MemberPath + "/invite"

type friendRow struct {
	N      int
	When   string
	State  string
	Key    string // pending / paid / reversed
	Points int64
	Due    string
}

type inviteView struct {
	Tab string
	*roles.Invitations
	Rows []friendRow
}

// showInvite is GET /fan/me/invite: the QR code, the friends the fan
// brought and the rewards pending and paid.
func (h *Handler) showInvite(c *gin.Context) {
	_, _, m, ok := h.fanFor(c)
	if !ok {
		return
	}
	inv, err := h.Client.Invitations(c.Request.Context(), m)
	if err != nil {
		h.broken(c, "invitations", err)
		return
	}
	v := inviteView{Tab: "invite", Invitations: inv}
	loc := h.Client.Loc
	for i, f := range inv.Friends {
		row := friendRow{N: len(inv.Friends) - i, When: f.CreatedAt.In(loc).Format("2006-01-02"), Key: f.State, Points: f.Points}
		switch f.State {
		case models.RewardPending:
			row.State, row.Due = "待发放", f.DueAt.In(loc).Format("01-02")
		case models.RewardPaid:
			row.State = "已发放"
		default:
			row.State = "未发放（好友已取消关注）"
		}
		v.Rows = append(v.Rows, row)
	}
	h.page(c, http.StatusOK, "invite", v)
}

// inviteQR is GET /fan/me/invite/qr.png: the fan's own referral code.
func (h *Handler) inviteQR(c *gin.Context) {
	_, sess, m, err := h.current(c)
	if err != nil || sess == nil {
		c.Data(http.StatusUnauthorized, "text/plain; charset=utf-8", []byte("请重新打开会员中心。"))
		return
	}
	img, err := h.Client.InviteQR(c.Request.Context(), m)
	if err != nil {
		h.Log.Warn("invitation QR code", "err", err)
		c.Data(http.StatusServiceUnavailable, "text/plain; charset=utf-8", []byte("二维码暂时无法生成，请稍后再试。"))
		return
	}
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, "image/png", img)
}
