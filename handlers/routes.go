// Package handlers builds fivec's HTTP router: the WeChat callback, the staff
// console, the JSON API, health checks and, in sandbox mode, the fake WeChat
// API. Handlers live in the subpackages; this file only wires routes.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
)

// SandboxAPIPrefix is where the fake WeChat API is mounted in sandbox mode.
const SandboxAPIPrefix = "/sandbox/wechat-api"

// Registrar is a part of the app that adds its own routes under a group
// (the console, the JSON API).
type Registrar interface {
	Register(g *gin.RouterGroup)
}

// Callback is the WeChat endpoint (handlers/callback.Handler). The router
// only mounts it, so that handlers/ need not import handlers/callback.
type Callback interface {
	Verify(c *gin.Context)
	Receive(c *gin.Context)
}

// Server holds what the routes need. Every field is set in cmd/fivec.
type Server struct {
	Store    *models.Store
	Callback Callback
	Console  Registrar // mounted at /console
	API      Registrar // mounted at /api/v1
	Fan      Registrar // fan-facing pages, mounted at /
	// Metrics records requests; they are served on a listener of their
	// own (FIVEC_METRICS_ADDR), never by this router.
	Metrics *metrics.Metrics
	Log     *slog.Logger
	// TrustedProxies are the reverse proxies (IPs or CIDRs) whose
	// X-Forwarded-For or X-Real-IP names the client; from anyone else the
	// headers are ignored. Empty: the connection's address is the client.
	TrustedProxies []string
	// FakeWeChat is the in-process fake WeChat API (sandbox mode only).
	FakeWeChat http.Handler
}

// writeTimeout bounds a console or API request that changes something once
// its client has gone (web.FinishWrites): long enough for the largest rules
// import or openid list.
const writeTimeout = 2 * time.Minute

// Router returns the complete HTTP handler.
func (s *Server) Router() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.ContextWithFallback = true
	// Client IPs (login rate limits, the audit log) come from the
	// connection, or from X-Forwarded-For / X-Real-IP only when the
	// connection is from a listed proxy: a client cannot forge them.
	if err := r.SetTrustedProxies(s.TrustedProxies); err != nil {
		s.Log.Error("trusted proxies refused; trusting none", "err", err) // config.Validate checks them first
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(s.recoverer(), s.observe())

	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/readyz", s.ready)

	r.GET("/wechat", s.Callback.Verify)
	r.POST("/wechat", s.Callback.Receive)

	if s.FakeWeChat != nil {
		r.Any(SandboxAPIPrefix+"/*path", gin.WrapH(http.StripPrefix(SandboxAPIPrefix, s.FakeWeChat)))
	}
	if s.Console != nil {
		s.Console.Register(r.Group("/console", web.FinishWrites(writeTimeout)))
		r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/console/") })
	}
	if s.API != nil {
		s.API.Register(r.Group("/api/v1", web.FinishWrites(writeTimeout)))
	}
	if s.Fan != nil {
		s.Fan.Register(r.Group(""))
	}
	r.NoRoute(func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, "/api/") {
			c.JSON(http.StatusNotFound, gin.H{"error": gin.H{"code": models.ENOTFOUND, "message": "no such endpoint"}})
			return
		}
		c.String(http.StatusNotFound, "404 page not found")
	})
	return r
}

func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.Log.Warn("readiness: database unreachable", "err", err)
		c.String(http.StatusServiceUnavailable, "database unreachable")
		return
	}
	c.String(http.StatusOK, "ready")
}

// observe counts requests by route pattern (not raw path, to bound labels)
// and logs slow or failed ones.
func (s *Server) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		s.Metrics.Requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(status)).Inc()
		if status >= 500 || time.Since(start) > 3*time.Second {
			s.Log.Warn("request", "method", c.Request.Method, "route", route, "status", status, "duration", time.Since(start))
		}
	}
}

// recoverer turns a panic into a 500 without leaking its text.
func (s *Server) recoverer() gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, err any) {
		s.Log.Error("panic", "route", c.FullPath(), "err", err)
		c.AbortWithStatus(http.StatusInternalServerError)
	})
}
