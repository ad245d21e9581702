package fan

import (
	"crypto/hmac"
	"fmt"
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/templates"
)

// MemberPath is the member centre (会员中心): the page a menu's view button
// opens (see Pages).
const MemberPath = "/fan/me"

// Page is a fan page staff can point a menu button at.
type Page struct {
	Path string
	Name string // the console labels it menu.fan_pages.<Name>
}

// Pages are the fan pages a view button may open.
var Pages = []Page{{Path: MemberPath, Name: "member"}}

// notice is a page that says one thing and what to do next.
type notice struct {
	Title, Text string
	// Retry offers to open the member centre again.
	Retry bool
}

// The notices of the fan pages.
var (
	noticeOutside     = notice{Title: "请在微信中打开", Text: "这个页面需要知道您是哪位粉丝。请在微信里关注公众号，从菜单“会员中心”打开。"}
	noticeBadLink     = notice{Title: "登录链接无效", Text: "这个链接不是本公众号发出的，或是在另一台设备上打开的。请回到公众号，重新点击菜单打开。", Retry: true}
	noticeUsedLink    = notice{Title: "登录链接已使用", Text: "为了您的账户安全，每个登录链接只能用一次。请回到公众号，重新点击菜单打开。", Retry: true}
	noticeExpiredLink = notice{Title: "登录链接已过期", Text: "登录链接只在几分钟内有效。请回到公众号，重新点击菜单打开。", Retry: true}
	noticeBadCode     = notice{Title: "授权已失效", Text: "微信的授权码已使用或已过期。请回到公众号，重新点击菜单打开。", Retry: true}
	noticeDeclined    = notice{Title: "您没有授权", Text: "不授权头像和昵称也可以使用会员中心。", Retry: true}
	noticeFollowFirst = notice{Title: "请先关注公众号", Text: "会员中心只对关注了公众号的粉丝开放。关注后，从菜单“会员中心”再次打开即可。"}
	noticeWeChatDown  = notice{Title: "暂时无法确认您的身份", Text: "微信暂时没有响应。请稍后回到公众号重新打开。", Retry: true}
	noticeSignedOut   = notice{Title: "请重新打开会员中心", Text: "您的登录已过期，请重新打开会员中心后再签到。", Retry: true}
	noticeUnavailable = notice{Title: "服务暂时不可用", Text: "请稍后再试；如果一直这样，请在公众号里留言告诉我们。", Retry: true}
)

func (h *Handler) notice(c *gin.Context, status int, n notice) {
	c.Header("Cache-Control", "no-store")
	h.html(c, status, h.noticePage, n)
}

func (h *Handler) html(c *gin.Context, status int, t *template.Template, v any) {
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := t.Execute(c.Writer, v); err != nil {
		h.Log.Error("render fan page", "page", t.Name(), "err", err)
	}
}

// memberView is what member.html shows.
type memberView struct {
	*roles.MemberCentre
	Session   *models.FanSession
	CSRF      string
	Flash     string
	Initial   string // the avatar's letter when WeChat gave no picture
	Level     string
	Stage     string
	NextLevel string
	NextStage string
	LevelHint string
	StageHint string
	History   []historyRow
}

type historyRow struct {
	When   string
	Delta  int64
	Reason string
}

// showMember is GET /fan/me. A fan not yet signed in is sent to WeChat
// (snsapi_base: silently); ?scope=userinfo asks for the nickname and avatar
// (WeChat shows its consent page). Outside WeChat it says so.
func (h *Handler) showMember(c *gin.Context) {
	tok, sess, m, err := h.current(c)
	if err != nil {
		h.Log.Error("fan session", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		return
	}
	wantInfo := c.Query("scope") == "userinfo"
	if sess == nil || (wantInfo && sess.Scope != models.ScopeUserInfo) {
		if !h.inWeChat(c) && sess == nil {
			h.notice(c, http.StatusOK, noticeOutside)
			return
		}
		scope := models.ScopeBase
		if wantInfo {
			scope = models.ScopeUserInfo
		}
		h.authorize(c, scope, MemberPath)
		return
	}
	h.renderMember(c, tok, sess, m, "")
}

// signIn is POST /fan/me/signin: the daily sign-in through the same role
// method as the chat's "签到" (one credit a day, whichever comes first).
func (h *Handler) signIn(c *gin.Context) {
	tok, sess, m, err := h.current(c)
	if err != nil {
		h.Log.Error("fan session", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		return
	}
	if sess == nil {
		h.notice(c, http.StatusUnauthorized, noticeSignedOut)
		return
	}
	if !hmac.Equal([]byte(c.PostForm("csrf")), []byte(h.sign("csrf", tok))) {
		h.notice(c, http.StatusForbidden, noticeSignedOut)
		return
	}
	res, err := h.Client.SignIn(c.Request.Context(), m)
	if err != nil {
		h.Log.Error("fan sign-in", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		return
	}
	// The sign-in may have moved the member up a level: show it.
	if tok, sess, m, err = h.current(c); err != nil || sess == nil {
		h.Log.Error("fan session after sign-in", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		return
	}
	flash := fmt.Sprintf("签到成功！+%d 积分，已连续签到 %d 天。", res.Points, res.Streak)
	if res.Already {
		flash = fmt.Sprintf("今天已经签到过啦，已连续签到 %d 天，明天再来！", res.Streak)
	}
	h.renderMember(c, tok, sess, m, flash)
}

func (h *Handler) renderMember(c *gin.Context, tok string, sess *models.FanSession, m *models.Member, flash string) {
	mc, err := h.Client.MemberCentre(c.Request.Context(), m)
	if err != nil {
		h.Log.Error("member centre", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		return
	}
	zh := templates.LangZH
	v := memberView{MemberCentre: mc, Session: sess, CSRF: h.sign("csrf", tok), Flash: flash,
		Level: templates.Label(zh, "crm.level."+m.Level), Stage: templates.Label(zh, "crm.stage."+m.Stage)}
	v.Initial = "会"
	if r := []rune(sess.Nickname); len(r) > 0 {
		v.Initial = string(r[0])
	}
	if mc.NextLevel != "" {
		v.NextLevel = templates.Label(zh, "crm.level."+mc.NextLevel)
		v.LevelHint = levelHint(mc)
	}
	if mc.NextStage != "" {
		v.NextStage = templates.Label(zh, "crm.stage."+mc.NextStage)
		v.StageHint = stageHint(mc)
	}
	reason := templates.Reason(zh) // fans read Chinese
	for _, e := range mc.History {
		text, _ := e.ReasonText(reason)
		v.History = append(v.History, historyRow{When: e.CreatedAt.In(h.Client.Loc).Format("01-02 15:04"), Delta: e.Delta, Reason: text})
	}
	c.Header("Cache-Control", "no-store")
	h.html(c, http.StatusOK, h.memberPage, v)
}

// levelHint says what the next rung of the ladder takes.
func levelHint(mc *roles.MemberCentre) string {
	switch mc.NextLevel {
	case models.LevelFollower:
		return "关注公众号即可升级。"
	case models.LevelCurious:
		return "在公众号里向我们提一个问题即可升级。"
	case models.LevelResponder:
		return "每日签到或参与一次话题即可升级。"
	case models.LevelSpreader:
		return "邀请一位好友关注公众号即可升级。"
	case models.LevelKeyPerson:
		return fmt.Sprintf("累计邀请 %d 位好友关注即可升级（已邀请 %d 位）。", mc.KeyPersonReferrals, mc.Referrals)
	}
	return ""
}

// stageHint says what the next stage takes.
func stageHint(mc *roles.MemberCentre) string {
	switch mc.NextStage {
	case models.StageNew:
		return "首次用积分兑换礼品即可成为新客户。"
	case models.StageLoyal:
		s := fmt.Sprintf("累计获得 %d 积分即可成为忠实客户（已获得 %d）", mc.LoyalAfterPoints, mc.Earned)
		if mc.LoyalAfterDays > 0 {
			s += fmt.Sprintf("，或关注满 %d 天", mc.LoyalAfterDays)
		}
		return s + "。"
	}
	return ""
}
