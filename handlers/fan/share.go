package fan

import (
	"context"
	"crypto/hmac"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/templates"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// Paths of tracked links: staff put /fan/t/<link id> in a broadcast, a rule
// reply or a menu; each fan who opens it lands on /fan/s/<their token>.
const (
	TrackedPrefix = "/fan/t/"
	SharePrefix   = "/fan/s/"
	// VisitorCookie names a fan who opened a shared page without following:
	// their openid and its HMAC, for the share pages only (30 minutes).
	VisitorCookie = "fivec_fan_visitor"
	visitorLife   = 30 * time.Minute
)

// TicketSource gives the jsapi_ticket (*wechat.SharedToken from
// wechat.Client.JSTicket: shared by the processes).
type TicketSource interface {
	GetAccessTokenContext(ctx context.Context) (string, error)
}

// Sharing is what the tracked-link pages need besides the Handler's
// session and OAuth: the account's AppID and jsapi_ticket for wx.config, and
// the sharer's referral QR code for fans who do not follow yet.
type Sharing struct {
	AppID   string
	Tickets TicketSource // nil: no share card (the page still works)
	// Referrals makes a referral QR code (nil: the page says to search for
	// the account instead).
	Referrals roles.ReferralQR

	page    *template.Template
	js, css []byte
}

// Share-page notices.
var (
	noticeBadShare     = notice{Title: "链接无效", Text: "这个分享链接不完整或被改动过，无法打开，也不会为任何人计分。请让分享给您的朋友重新分享，或在公众号里打开原文。"}
	noticeNoLink       = notice{Title: "内容已下线", Text: "这篇内容已经不在了。请回到公众号查看最新内容。"}
	noticeShareOutside = notice{Title: "请在微信中打开", Text: "分享的内容需要在微信里打开：请把链接发到微信，在微信聊天里点开。在微信外打开不会为分享者计分。"}
)

func (h *Handler) registerShare(g *gin.RouterGroup) {
	if h.Share == nil {
		return
	}
	h.Share.page = template.Must(templates.FanPage("share"))
	js, err := templates.FanAsset("share.js")
	if err != nil {
		panic(err) // embedded; cannot fail
	}
	h.Share.js = js
	if h.Share.css, err = templates.FanAsset("share.css"); err != nil {
		panic(err) // embedded; cannot fail
	}
	s := g.Group("", h.shareHeaders())
	s.GET("/fan/share.js", h.shareScript)
	s.GET("/fan/share.css", h.shareStylesheet)
	s.GET(TrackedPrefix+":id", h.openTracked)
	s.GET(SharePrefix+":token", h.openShared)
}

// shareHeaders lets the share page load WeChat's JS-SDK (res.wx.qq.com),
// frame the article it tracks, and show WeChat's QR codes.
func (h *Handler) shareHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		hd := c.Writer.Header()
		csp := hd.Get("Content-Security-Policy")
		csp = strings.Replace(csp, "script-src 'self'", "script-src 'self' https://res.wx.qq.com https://res2.wx.qq.com", 1)
		csp = strings.Replace(csp, "img-src 'self' data:", "img-src 'self' data: https://mp.weixin.qq.com", 1)
		hd.Set("Content-Security-Policy", csp+"; frame-src https: http:")
		c.Next()
	}
}

func (h *Handler) shareStylesheet(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "text/css; charset=utf-8", h.Share.css)
}

func (h *Handler) shareScript(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", h.Share.js)
}

// ShareToken is the signed token of link for member: "<link>-<member>." and
// an HMAC, so a changed number is refused.
func (h *Handler) ShareToken(linkID, memberID uint64) string {
	p := fmt.Sprintf("%d-%d", linkID, memberID)
	return p + "." + h.sign("share", p)[:22]
}

// parseShareToken returns the link and member of a correctly signed token.
func (h *Handler) parseShareToken(tok string) (linkID, memberID uint64, ok bool) {
	p, sig, found := strings.Cut(tok, ".")
	if !found || len(sig) != 22 || !hmac.Equal([]byte(sig), []byte(h.sign("share", p)[:22])) {
		return 0, 0, false
	}
	a, b, found := strings.Cut(p, "-")
	l, err1 := strconv.ParseUint(a, 10, 64)
	m, err2 := strconv.ParseUint(b, 10, 64)
	if !found || err1 != nil || err2 != nil || l == 0 || m == 0 {
		return 0, 0, false
	}
	return l, m, true
}

// visitor returns the openid of a correctly signed visitor cookie.
func (h *Handler) visitor(c *gin.Context) string {
	v, err := c.Cookie(VisitorCookie)
	if err != nil {
		return ""
	}
	openID, sig, ok := strings.Cut(v, ".")
	if !ok || openID == "" || !hmac.Equal([]byte(sig), []byte(h.sign("visitor", openID))) {
		return ""
	}
	return openID
}

// rememberVisitor keeps the openid of a fan who came back from web
// authorisation without following, when the page they asked for is a share
// page (the only pages that serve them).
func (h *Handler) rememberVisitor(c *gin.Context, openID, next string) bool {
	if h.Share == nil || !strings.HasPrefix(next, SharePrefix) {
		return false
	}
	h.setCookie(c, VisitorCookie, openID+"."+h.sign("visitor", openID), int(visitorLife.Seconds()))
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, next)
	return true
}

// opener is who opened a share page: a signed-in member, or a visitor
// (openid only); ok is false when neither is known yet.
func (h *Handler) opener(c *gin.Context) (openID string, m *models.Member, ok bool, err error) {
	_, sess, m, err := h.current(c)
	if err != nil {
		return "", nil, false, err
	}
	// In the sandbox one browser plays every simulated fan's phone in
	// turn: a session or visitor cookie of another fan than the phone's is
	// not this opener's (they are asked again, as that fan).
	phone := ""
	if h.Sandbox {
		phone, _ = c.Cookie(fake.PhoneCookie)
	}
	if sess != nil && (phone == "" || phone == m.OpenID) {
		return m.OpenID, m, true, nil
	}
	if v := h.visitor(c); v != "" && (phone == "" || phone == v) {
		// A visitor who has followed since is a member now.
		if m, err := h.Store.FindMemberByOpenID(c.Request.Context(), v); err == nil {
			return v, m, true, nil
		}
		return v, nil, true, nil
	}
	return "", nil, false, nil
}

// openTracked is GET /fan/t/:id, the link as staff sent it: the fan is
// identified and sent on to the page under their own token. Outside WeChat
// it only counts the open.
func (h *Handler) openTracked(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		h.notice(c, http.StatusNotFound, noticeNoLink)
		return
	}
	link, err := h.Store.ShareLinkByID(ctx, id)
	if !h.linkFound(c, err) {
		return
	}
	if !h.inWeChat(c) {
		h.outside(c, link)
		return
	}
	_, m, ok, err := h.opener(c)
	if err != nil {
		h.Log.Error("share opener", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		return
	}
	if !ok || m == nil {
		h.authorize(c, models.ScopeBase, c.Request.URL.Path)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, SharePrefix+h.ShareToken(link.ID, m.ID))
}

// openShared is GET /fan/s/:token: a fan's own link, or a link a friend
// shared. The open is recorded (and, for a friend's first open, the sharer
// paid) through roles.Client.OpenShared; the page's share card then carries
// the opener's own token, so the chain continues.
func (h *Handler) openShared(c *gin.Context) {
	ctx := c.Request.Context()
	linkID, viaID, ok := h.parseShareToken(c.Param("token"))
	if !ok {
		h.notice(c, http.StatusForbidden, noticeBadShare)
		return
	}
	link, err := h.Store.ShareLinkByID(ctx, linkID)
	if !h.linkFound(c, err) {
		return
	}
	if !h.inWeChat(c) {
		h.outside(c, link)
		return
	}
	openID, m, known, err := h.opener(c)
	if err != nil {
		h.Log.Error("share opener", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		return
	}
	if !known {
		h.authorize(c, models.ScopeBase, c.Request.URL.Path)
		return
	}
	res, err := h.Client.OpenShared(ctx, roles.SharedOpen{Link: link, Via: viaID, OpenID: openID, Member: m})
	if models.ErrorCode(err) == models.ENOTFOUND { // the sharer's member is gone
		h.notice(c, http.StatusForbidden, noticeBadShare)
		return
	}
	if err != nil {
		h.Log.Error("share open", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		return
	}
	if res.Capped {
		h.Log.Info("share over the daily cap", "link", link.ID, "sharer", viaID)
	}
	h.renderShare(c, link, viaID, m)
}

func (h *Handler) linkFound(c *gin.Context, err error) bool {
	switch {
	case err == nil:
		return true
	case models.ErrorCode(err) == models.ENOTFOUND:
		h.notice(c, http.StatusNotFound, noticeNoLink)
	default:
		h.Log.Error("share link", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
	}
	return false
}

// outside answers an open outside WeChat: counted on the link, credited
// to no one.
func (h *Handler) outside(c *gin.Context, link *models.ShareLink) {
	if err := h.Store.CountOutsideOpen(c.Request.Context(), link.ID); err != nil {
		h.Log.Warn("count outside open", "err", err)
	}
	h.notice(c, http.StatusOK, noticeShareOutside)
}

// shareView is what share.html shows.
type shareView struct {
	Link *models.ShareLink
	// Member: the opener follows (may earn); ShareURL is their own link,
	// which the share card carries.
	Member   bool
	ShareURL string
	Points   int64
	Cap      int
	// FollowQR is the sharer's referral QR code for a fan who does not
	// follow yet ("" when none could be made).
	FollowQR string
	Config   *wechat.JSConfig
}

func (h *Handler) renderShare(c *gin.Context, link *models.ShareLink, viaID uint64, m *models.Member) {
	ctx := c.Request.Context()
	base := strings.TrimSuffix(h.redirectURI(c), "/fan/oauth")
	v := shareView{Link: link, Points: h.Client.Share.Points, Cap: h.Client.Share.DailyCap}
	if m != nil && m.Subscribed {
		v.Member = true
		v.ShareURL = base + SharePrefix + h.ShareToken(link.ID, m.ID)
	} else {
		// The page passes on the sharer's link; following through the
		// sharer's QR code makes the fan the sharer's referral.
		v.ShareURL = base + c.Request.URL.Path
		if h.Share.Referrals != nil {
			if code, err := h.Store.ReferralCode(ctx, viaID); err == nil {
				if qr, err := h.Share.Referrals.ReferralQRCode(ctx, models.ReferralScenePrefix+code); err == nil {
					v.FollowQR = qr
				} else {
					h.Log.Warn("share page follow QR", "err", err)
				}
			}
		}
	}
	if h.Share.Tickets != nil {
		if t, err := h.Share.Tickets.GetAccessTokenContext(ctx); err == nil {
			cfg := &wechat.JSConfig{AppID: h.Share.AppID, Timestamp: time.Now().Unix(), NonceStr: models.RandomToken(12)}
			cfg.Signature = wechat.JSSignature(t, cfg.NonceStr, cfg.Timestamp, base+c.Request.URL.RequestURI())
			v.Config = cfg
		} else {
			h.Log.Warn("jsapi_ticket", "err", err)
		}
	}
	c.Header("Cache-Control", "no-store")
	h.html(c, http.StatusOK, h.Share.page, v)
}
