package fan

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// Cookies of the fan pages. Both are scoped to /fan/ (never sent to the
// console or the API), HttpOnly and SameSite=Lax: Lax, not Strict, because
// the fan arrives from WeChat's authorisation page, another site.
const (
	// SessionCookie holds the fan's session: a random token and its HMAC.
	SessionCookie = "fivec_fan"
	// NonceCookie binds an authorisation in flight to this browser.
	NonceCookie = "fivec_fan_oauth"
	cookiePath  = "/fan/"
)

// Authorizer is the web authorisation the pages use (*wechat.OAuth).
type Authorizer interface {
	AuthorizeURL(redirectURI, scope, state string) string
	Exchange(ctx context.Context, code string) (*wechat.OAuthUser, error)
}

// SessionKey derives the key that signs fan session cookies from the
// account's AppSecret: every replica has it, and changing the secret ends
// the sessions (fans are asked again, silently for snsapi_base).
func SessionKey(appSecret string) []byte {
	sum := sha256.Sum256([]byte("fivec fan session\x00" + appSecret))
	return sum[:]
}

func (h *Handler) sign(purpose, token string) string {
	mac := hmac.New(sha256.New, h.Key)
	mac.Write([]byte(purpose + "\x00" + token))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// sessionToken returns the token of a correctly signed session cookie.
func (h *Handler) sessionToken(c *gin.Context) (string, bool) {
	v, err := c.Cookie(SessionCookie)
	if err != nil {
		return "", false
	}
	tok, sig, ok := strings.Cut(v, ".")
	if !ok || tok == "" || !hmac.Equal([]byte(sig), []byte(h.sign("session", tok))) {
		return "", false
	}
	return tok, true
}

// current returns the signed-in fan's session and member, if any.
func (h *Handler) current(c *gin.Context) (string, *models.FanSession, *models.Member, error) {
	tok, ok := h.sessionToken(c)
	if !ok {
		return "", nil, nil, nil
	}
	sess, m, err := h.Store.FanSessionMember(c.Request.Context(), tok)
	if models.ErrorCode(err) == models.ENOTFOUND {
		return "", nil, nil, nil
	}
	return tok, sess, m, err
}

func (h *Handler) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: cookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: strings.HasPrefix(h.PublicURL, "https://"), SameSite: http.SameSiteLaxMode})
}

// inWeChat: WeChat's browser says MicroMessenger in its user agent; in the
// sandbox the simulator's phone (the fake WeChat) marks the browser with
// its cookie instead.
func (h *Handler) inWeChat(c *gin.Context) bool {
	if strings.Contains(c.GetHeader("User-Agent"), "MicroMessenger") {
		return true
	}
	if h.Sandbox {
		if v, err := c.Cookie(fake.PhoneCookie); err == nil && v != "" {
			return true
		}
	}
	return false
}

// redirectURI is where WeChat sends the fan back: the public address (the
// account's 网页授权域名); in the sandbox the address the browser used, so
// the cookies set here come back.
func (h *Handler) redirectURI(c *gin.Context) string {
	base := strings.TrimRight(h.PublicURL, "/")
	if h.Sandbox || base == "" {
		scheme := "http"
		if c.Request.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + c.Request.Host
	}
	return base + "/fan/oauth"
}

// authorize sends the fan to WeChat to learn who they are.
func (h *Handler) authorize(c *gin.Context, scope, next string) {
	nonce := models.RandomToken(18)
	state, err := h.Store.CreateFanOAuthState(c.Request.Context(), nonce, scope, next)
	if err != nil {
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		h.Log.Error("fan oauth state", "err", err)
		return
	}
	h.setCookie(c, NonceCookie, nonce, int(models.FanOAuthStateLife.Seconds()))
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, h.OAuth.AuthorizeURL(h.redirectURI(c), scope, state))
}

// oauthReturn is GET /fan/oauth: WeChat sends the fan back with code and
// state. The state must be one fivec made, unused, fresh and started in
// this browser; the code must be one WeChat takes. Then the fan is signed
// in and shown the page they asked for.
func (h *Handler) oauthReturn(c *gin.Context) {
	ctx := c.Request.Context()
	state, code := c.Query("state"), c.Query("code")
	if state == "" {
		h.notice(c, http.StatusBadRequest, noticeBadLink)
		return
	}
	nonce, _ := c.Cookie(NonceCookie)
	st, err := h.Store.ConsumeFanOAuthState(ctx, state, nonce)
	if err != nil {
		switch {
		case errors.Is(err, models.ErrFanStateUsed):
			h.notice(c, http.StatusConflict, noticeUsedLink)
		case errors.Is(err, models.ErrFanStateExpired):
			h.notice(c, http.StatusGone, noticeExpiredLink)
		case errors.Is(err, models.ErrFanStateUnknown), errors.Is(err, models.ErrFanStateBrowser):
			h.notice(c, http.StatusForbidden, noticeBadLink)
		default:
			h.Log.Error("fan oauth state", "err", err)
			h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		}
		return
	}
	h.setCookie(c, NonceCookie, "", -1)
	if code == "" { // the fan said no on WeChat's consent page
		h.notice(c, http.StatusOK, noticeDeclined)
		return
	}
	u, err := h.OAuth.Exchange(ctx, code)
	if err != nil {
		switch wechat.ErrCode(err) {
		case 40029, 40163, 40030:
			h.notice(c, http.StatusBadRequest, noticeBadCode)
		default:
			h.Log.Warn("fan oauth code exchange", "err", err)
			h.notice(c, http.StatusBadGateway, noticeWeChatDown)
		}
		return
	}
	m, err := h.Store.FindMemberByOpenID(ctx, u.OpenID)
	if models.ErrorCode(err) == models.ENOTFOUND && h.rememberVisitor(c, u.OpenID, st.Next) {
		return // a shared page serves fans who do not follow yet
	}
	if models.ErrorCode(err) == models.ENOTFOUND {
		h.notice(c, http.StatusForbidden, noticeFollowFirst)
		return
	}
	if err != nil {
		h.Log.Error("fan oauth member", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		return
	}
	tok, err := h.Store.CreateFanSession(ctx, m.ID, st.Scope, u.Nickname, u.AvatarURL)
	if err != nil {
		h.Log.Error("fan session", "err", err)
		h.notice(c, http.StatusInternalServerError, noticeUnavailable)
		return
	}
	h.setCookie(c, SessionCookie, tok+"."+h.sign("session", tok), int(models.FanSessionLife.Seconds()))
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, safeNext(st.Next))
}

// safeNext keeps redirects on the fan pages.
func safeNext(next string) string {
	if !strings.HasPrefix(next, cookiePath) || strings.HasPrefix(next, "//") {
		return MemberPath
	}
	return next
}
