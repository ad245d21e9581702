// Package web holds the HTTP plumbing shared by the staff console and the
// JSON API: error mapping, session and bearer-token authentication, role
// guards, CSRF protection, login rate limiting and the audit helper.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// Status maps a models error code to its HTTP status. Unknown codes are
// internal errors.
func Status(code string) int {
	switch code {
	case models.EINVALID:
		return http.StatusBadRequest
	case models.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case models.EFORBIDDEN:
		return http.StatusForbidden
	case models.ENOTFOUND:
		return http.StatusNotFound
	case models.ECONFLICT:
		return http.StatusConflict
	case models.ERATELIMIT:
		return http.StatusTooManyRequests
	case models.EUPSTREAM:
		return http.StatusBadGateway
	default:
		return http.StatusInternalServerError
	}
}

// ErrorPage renders an error for people (the console's HTML error page).
// code is a models error code and message is safe to show.
type ErrorPage func(c *gin.Context, status int, code, message string)

// ErrorBody is the JSON shape of every API error:
// {"error":{"code":"not_found","message":"..."}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// reporter is what Errors installs in the request context for Error.
type reporter struct {
	log  *slog.Logger
	page ErrorPage
}

const reporterKey = "fivec.web.reporter"

// Errors returns middleware that tells Error, for the routes below it, where
// to log internal errors and how to render errors: JSON when page is nil,
// otherwise page.
func Errors(log *slog.Logger, page ErrorPage) gin.HandlerFunc {
	if log == nil {
		log = slog.Default()
	}
	r := &reporter{log: log, page: page}
	return func(c *gin.Context) {
		c.Set(reporterKey, r)
		c.Next()
	}
}

func reporterOf(c *gin.Context) *reporter {
	if v, ok := c.Get(reporterKey); ok {
		return v.(*reporter)
	}
	return &reporter{log: slog.Default()}
}

// Logger returns the logger installed by Errors (slog.Default otherwise).
func Logger(c *gin.Context) *slog.Logger { return reporterOf(c).log }

// Error answers the request with err mapped to a status and aborts the
// chain. Known errors (*models.Error) show their message; anything else is
// logged and shown as "internal error", so raw error text never reaches users.
func Error(c *gin.Context, err error) {
	r := reporterOf(c)
	status, code, msg := Describe(err)
	switch status {
	case http.StatusInternalServerError:
		r.log.Error("internal error", "method", c.Request.Method, "route", c.FullPath(), "err", err)
	case http.StatusBadGateway:
		r.log.Warn("wechat refused", "method", c.Request.Method, "route", c.FullPath(), "errcode", wechat.ErrCode(err))
	}
	if r.page != nil {
		r.page(c, status, code, msg)
	} else {
		c.JSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
	}
	c.Abort()
}

// Describe is what users are told about err: its HTTP status, a stable
// code and a message that is safe to show. Known errors keep their own;
// WeChat's refusals are 502 "wechat" naming the errcode (and WeChat's
// errmsg); anything else is 500 "internal error".
func Describe(err error) (status int, code, msg string) {
	code = models.ErrorCode(err)
	if status = Status(code); status != http.StatusInternalServerError {
		return status, code, models.ErrorMessage(err)
	}
	if n := wechat.ErrCode(err); n != 0 && code == models.EINTERNAL {
		msg = fmt.Sprintf("WeChat refused: errcode %d", n)
		if ae := (*wechat.APIError)(nil); errors.As(err, &ae) && ae.Msg != "" {
			msg += " " + ae.Msg
		}
		return http.StatusBadGateway, models.EUPSTREAM, msg
	}
	return http.StatusInternalServerError, models.EINTERNAL, "internal error"
}

// Errorf is shorthand for Error(c, models.Errorf(code, format, args...)).
func Errorf(c *gin.Context, code, format string, args ...any) {
	Error(c, models.Errorf(code, format, args...))
}

// SecurityHeaders sets headers that keep console pages out of frames, stop
// MIME sniffing and allow only same-origin scripts and styles.
func SecurityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "+
			"style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		c.Next()
	}
}
