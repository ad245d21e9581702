package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/templates"
)

type loginData struct {
	Next, Username string
}

// loginForm shows the login page; ?lang= switches its language.
func (h *Handler) loginForm(c *gin.Context) {
	if l := c.Query("lang"); templates.SupportedLang(l) {
		web.SetCookie(c, LangCookie, l, 365*24*3600)
		c.Redirect(http.StatusSeeOther, Base+"/login")
		return
	}
	h.loginPage(c, http.StatusOK, loginData{Next: c.Query("next")}, "")
}

func (h *Handler) loginPage(c *gin.Context, status int, d loginData, errText string) {
	p := h.page(c, "login", "login.title", d)
	p.CSRF = web.LoginCSRFToken(c)
	p.Error = errText
	h.render(c, status, "login", p)
}

// login checks the form's CSRF token, then the account's password under
// the login limits (models.Store.Login), and starts a new session.
func (h *Handler) login(c *gin.Context) {
	d := loginData{Next: c.PostForm("next"), Username: strings.TrimSpace(c.PostForm("username"))}
	lang := h.lang(c)
	if !web.CheckLoginCSRF(c) {
		h.loginPage(c, http.StatusForbidden, d, h.Pages.T(lang, "login.csrf"))
		return
	}
	st, err := h.Store.Login(c.Request.Context(), h.LoginPolicy,
		models.LoginAttempt{Username: d.Username, Password: c.PostForm("password"), IP: c.ClientIP()})
	if err != nil {
		h.loginFailed(c, d, err)
		return
	}
	if old, err := c.Cookie(web.SessionCookie); err == nil && old != "" {
		_ = h.Store.DeleteSession(c.Request.Context(), old) // a stale session must not outlive a new login
	}
	cookie, _, err := h.Store.CreateSession(c.Request.Context(), st.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.SetSessionCookie(c, cookie)
	if templates.SupportedLang(st.Lang) {
		web.SetCookie(c, LangCookie, st.Lang, 365*24*3600)
	}
	web.AuditAs(c, h.Store, st, "login", st.Username, "")
	c.Redirect(http.StatusSeeOther, localPath(d.Next, homePath(st.Role)))
}

// homePath is where a staff member lands after login: agents answer chats,
// so they land on the inbox; everyone else on the members list (which shows
// a getting-started card while the account is new).
func homePath(role string) string {
	if role == models.RoleAgent {
		return Base + "/inbox"
	}
	return Base + "/members"
}

// loginFailed answers a refused login: 429 from the limits (locked, or
// how long to wait), 401 for a wrong name or password (audited), 403 for
// a disabled account.
func (h *Handler) loginFailed(c *gin.Context, d loginData, err error) {
	lang := h.lang(c)
	var refused *models.LoginRefusal
	switch {
	case errors.As(err, &refused) && refused.Locked:
		// Not audited: a refusal costs no bcrypt, so each would be a cheap
		// write for whoever keeps knocking.
		h.loginPage(c, http.StatusTooManyRequests, d, h.Pages.T(lang, "login.locked"))
	case errors.As(err, &refused):
		secs := int(refused.RetryAfter.Seconds()) + 1
		c.Header("Retry-After", strconv.Itoa(secs))
		msg := h.Pages.T(lang, "login.rate_limited_seconds", secs)
		if secs > 60 {
			msg = h.Pages.T(lang, "login.rate_limited", (secs+59)/60)
		}
		h.loginPage(c, http.StatusTooManyRequests, d, msg)
	case models.ErrorCode(err) == models.EUNAUTHORIZED:
		web.AuditAs(c, h.Store, nil, "login.failed", d.Username, "")
		h.loginPage(c, http.StatusUnauthorized, d, h.Pages.T(lang, "login.wrong"))
	case models.ErrorCode(err) == models.EFORBIDDEN:
		h.loginPage(c, http.StatusForbidden, d, h.Pages.T(lang, "login.disabled"))
	default:
		web.Error(c, err)
	}
}

// logout ends the session.
func (h *Handler) logout(c *gin.Context) {
	if cookie, err := c.Cookie(web.SessionCookie); err == nil {
		if err := h.Store.DeleteSession(c.Request.Context(), cookie); err != nil {
			web.Error(c, err)
			return
		}
	}
	web.ClearSessionCookie(c)
	web.Audit(c, h.Store, "logout", web.CurrentStaff(c).Username, "")
	c.Redirect(http.StatusSeeOther, Base+"/login")
}

// setLang stores the staff member's language and returns to the page the
// switch was pressed on.
func (h *Handler) setLang(c *gin.Context) {
	lang := c.PostForm("lang")
	_, err := h.Store.UpdateStaff(c.Request.Context(), web.CurrentStaff(c).ID, models.StaffUpdate{Lang: &lang})
	if err != nil {
		web.Error(c, err)
		return
	}
	web.SetCookie(c, LangCookie, lang, 365*24*3600)
	back := Base + "/members"
	if ref, err := url.Parse(c.Request.Referer()); err == nil && ref.Host == c.Request.Host {
		back = localPath(ref.RequestURI(), back)
	}
	redirect(c, back, "lang.changed")
}
