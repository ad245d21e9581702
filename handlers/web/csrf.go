package web

import (
	"crypto/subtle"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/models"
)

// CSRF names: the form field and the header (htmx sends the header).
const (
	CSRFField  = "csrf_token"
	CSRFHeader = "X-CSRF-Token"
	// LoginCSRFCookie carries the pre-session token for the login form
	// (double-submit: the form must echo the cookie).
	LoginCSRFCookie = "fivec_login_csrf"
)

// SafeMethod reports whether m cannot change state.
func SafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// CSRF rejects unsafe console requests (POST, PUT, PATCH, DELETE) that do not
// carry the session's CSRF token in the csrf_token field or the X-CSRF-Token
// header. It must run after SessionAuth.
func CSRF() gin.HandlerFunc {
	return func(c *gin.Context) {
		if SafeMethod(c.Request.Method) {
			c.Next()
			return
		}
		sess := CurrentSession(c)
		if sess == nil || !tokensEqual(sess.CSRFToken, submittedCSRF(c)) {
			Errorf(c, models.EFORBIDDEN, "missing or invalid CSRF token; reload the page and try again")
			return
		}
		c.Next()
	}
}

func submittedCSRF(c *gin.Context) string {
	if h := c.GetHeader(CSRFHeader); h != "" {
		return h
	}
	return c.PostForm(CSRFField)
}

func tokensEqual(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// LoginCSRFToken returns the pre-session token for the login form, setting
// its cookie when the browser has none.
func LoginCSRFToken(c *gin.Context) string {
	if v, err := c.Cookie(LoginCSRFCookie); err == nil && len(v) >= 32 {
		return v
	}
	tok := models.RandomToken(24)
	SetCookie(c, LoginCSRFCookie, tok, 0)
	return tok
}

// CheckLoginCSRF reports whether the login form echoed its cookie's token.
func CheckLoginCSRF(c *gin.Context) bool {
	v, err := c.Cookie(LoginCSRFCookie)
	return err == nil && tokensEqual(v, submittedCSRF(c))
}
