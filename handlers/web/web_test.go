package web_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

func TestErrorMapping(t *testing.T) {
	gin.SetMode(gin.TestMode)
	tests := []struct {
		err     error
		status  int
		code    string
		message string
	}{
		{models.Errorf(models.EINVALID, "bad name"), 400, "invalid", "bad name"},
		{models.Errorf(models.EUNAUTHORIZED, "who?"), 401, "unauthorized", "who?"},
		{models.Errorf(models.EFORBIDDEN, "no"), 403, "forbidden", "no"},
		{models.Errorf(models.ENOTFOUND, "member: not found"), 404, "not_found", "member: not found"},
		{fmt.Errorf("wrapped: %w", models.Errorf(models.ECONFLICT, "exists")), 409, "conflict", "exists"},
		{models.Errorf(models.ERATELIMIT, "slow down"), 429, "rate_limited", "slow down"},
		{errors.New("dial tcp 10.0.0.5:3306: secret"), 500, "internal", "internal error"},
		{models.Errorf("weird", "odd"), 500, "internal", "internal error"},
		{fmt.Errorf("publish menu: %w", &wechat.APIError{Code: 45009, Msg: "reach max api daily quota limit"}), 502, "wechat",
			"WeChat refused: errcode 45009 reach max api daily quota limit"},
	}
	for _, tt := range tests {
		var logs bytes.Buffer
		r := gin.New()
		r.Use(web.Errors(slog.New(slog.NewTextHandler(&logs, nil)), nil))
		r.GET("/", func(c *gin.Context) { web.Error(c, tt.err) })
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		var body web.ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%v: body %q: %v", tt.err, w.Body, err)
		}
		if w.Code != tt.status || body.Error.Code != tt.code || body.Error.Message != tt.message {
			t.Errorf("%v: got %d %+v, want %d %s %q", tt.err, w.Code, body.Error, tt.status, tt.code, tt.message)
		}
		if strings.Contains(w.Body.String(), "secret") {
			t.Errorf("internal error text leaked: %s", w.Body)
		}
		if logged := strings.Contains(logs.String(), "internal error"); logged != (tt.status == 500) {
			t.Errorf("%v: logged=%v, want %v", tt.err, logged, tt.status == 500)
		}
	}
}

func TestErrorPage(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(web.Errors(nil, func(c *gin.Context, status int, code, msg string) {
		c.String(status, "page %s %s", code, msg)
	}))
	r.GET("/", func(c *gin.Context) { web.Errorf(c, models.ENOTFOUND, "gone") })
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 404 || w.Body.String() != "page not_found gone" {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
}

func TestCookiesAndRoles(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.GET("/", func(c *gin.Context) { web.SetSessionCookie(c, "v"); c.Status(204) })
	for _, tls := range []bool{false, true} {
		req := httptest.NewRequest("GET", "/", nil)
		if tls {
			req.Header.Set("X-Forwarded-Proto", "https")
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		c := w.Result().Cookies()[0]
		if c.Name != web.SessionCookie || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure != tls {
			t.Errorf("tls=%v: cookie %+v", tls, c)
		}
	}
	if !web.HasRole(&models.Staff{Role: "agent"}, "admin", "agent") || web.HasRole(&models.Staff{Role: "agent"}, "admin") || web.HasRole(nil, "admin") {
		t.Error("HasRole")
	}
}
