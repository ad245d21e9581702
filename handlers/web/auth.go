package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/models"
)

// SessionCookie holds a console session's secret; the database keeps only
// its hash.
const SessionCookie = "fivec_session"

const (
	staffKey   = "fivec.web.staff"
	sessionKey = "fivec.web.session"
)

// CurrentStaff returns the authenticated staff member, or nil before
// SessionAuth or BearerAuth has run.
func CurrentStaff(c *gin.Context) *models.Staff {
	if v, ok := c.Get(staffKey); ok {
		return v.(*models.Staff)
	}
	return nil
}

// CurrentSession returns the console session, or nil (API requests have none).
func CurrentSession(c *gin.Context) *models.StaffSession {
	if v, ok := c.Get(sessionKey); ok {
		return v.(*models.StaffSession)
	}
	return nil
}

// IsTLS reports whether the browser reached us over HTTPS, directly or
// through a proxy that says so.
func IsTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// SetCookie sets an HttpOnly, SameSite=Lax cookie on Path=/, Secure over
// HTTPS. maxAge < 0 deletes it; 0 makes it a browser-session cookie.
func SetCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: IsTLS(c.Request), SameSite: http.SameSiteLaxMode,
	})
}

// SetSessionCookie hands the browser a new session. The cookie lasts until
// the browser closes; the server slides and enforces the session's expiry,
// which a fixed cookie lifetime would cut short.
func SetSessionCookie(c *gin.Context, value string) {
	SetCookie(c, SessionCookie, value, 0)
}

// ClearSessionCookie removes the session cookie.
func ClearSessionCookie(c *gin.Context) { SetCookie(c, SessionCookie, "", -1) }

// SessionAuth authenticates console requests by the session cookie. Without
// a valid session, page requests are redirected to loginPath (with ?next=
// for GETs) and htmx requests get 401 with HX-Redirect.
func SessionAuth(store *models.Store, loginPath string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if cookie, err := c.Cookie(SessionCookie); err == nil && cookie != "" {
			sess, st, err := store.SessionStaff(c.Request.Context(), cookie)
			if err == nil {
				c.Set(sessionKey, sess)
				c.Set(staffKey, st)
				c.Next()
				return
			}
			if models.ErrorCode(err) != models.EUNAUTHORIZED {
				Error(c, err)
				return
			}
			ClearSessionCookie(c)
		}
		target := loginPath
		if c.Request.Method == http.MethodGet {
			target += "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
		}
		if c.GetHeader("HX-Request") == "true" {
			c.Header("HX-Redirect", target)
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		c.Redirect(http.StatusSeeOther, target)
		c.Abort()
	}
}

// BearerAuth authenticates API requests by "Authorization: Bearer <token>".
// Failures are 401 JSON with a WWW-Authenticate challenge.
func BearerAuth(store *models.Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		scheme, token, _ := strings.Cut(c.GetHeader("Authorization"), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			c.Header("WWW-Authenticate", `Bearer realm="fivec"`)
			Errorf(c, models.EUNAUTHORIZED, "missing bearer token")
			return
		}
		st, err := store.APITokenStaff(c.Request.Context(), token)
		if err != nil {
			if models.ErrorCode(err) == models.EUNAUTHORIZED {
				c.Header("WWW-Authenticate", `Bearer realm="fivec", error="invalid_token"`)
			}
			Error(c, err)
			return
		}
		c.Set(staffKey, st)
		c.Next()
	}
}

// RequireRole lets the request through only when the authenticated staff
// member has one of roles; otherwise 403.
func RequireRole(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		st := CurrentStaff(c)
		if st == nil {
			Errorf(c, models.EUNAUTHORIZED, "not logged in")
			return
		}
		if !HasRole(st, roles...) {
			Errorf(c, models.EFORBIDDEN, "your role may not do this")
			return
		}
		c.Next()
	}
}

// HasRole reports whether st has one of roles.
func HasRole(st *models.Staff, roles ...string) bool {
	for _, r := range roles {
		if st != nil && st.Role == r {
			return true
		}
	}
	return false
}
