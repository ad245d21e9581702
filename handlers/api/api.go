// Package api serves the JSON API under /api/v1: the console's actions for
// scripts and integrations, authenticated with per-staff bearer tokens and
// limited by the same roles. docs/api.md documents every endpoint.
package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/settings"
	"github.com/fivec/fivec/wechat"
)

// MaxBody bounds request bodies.
const MaxBody = 64 << 10

// Handler serves the API. Store is required.
type Handler struct {
	Store *models.Store
	Log   *slog.Logger
	// Consulting is the rules engine (rules, tester, import/export).
	Consulting *roles.Consulting
	// Service is Close Service (conversations).
	Service *roles.Service
	// WX talks to WeChat (menu publishing, channel QR codes).
	WX *wechat.Client
	// MaxPermanentQR caps permanent channel codes (models.MaxPermanentQR,
	// the platform's limit, when 0).
	MaxPermanentQR int64
	// Loc is the account time zone, where leaderboard weeks and months
	// begin (Asia/Shanghai when nil).
	Loc *time.Location
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Policy is the account's broadcast configuration; Mass sends previews
	// (nil: previews are refused).
	Policy models.BroadcastPolicy
	Mass   *wechat.Mass
	// Library is the media library (素材库); nil: its endpoints are absent.
	Library *roles.Library
	// Drafts are the 图文 drafts and publishing; nil: their endpoints are absent.
	Drafts *roles.Drafts
	// Live holds the console's settings (nil: no settings endpoints).
	Live *settings.Live
}

// Register adds the API routes to g (mounted at /api/v1).
func (h *Handler) Register(g *gin.RouterGroup) {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	if h.Now == nil {
		h.Now = time.Now
	}
	if h.Loc == nil {
		h.Loc = web.DefaultLoc()
	}
	g.Use(noStore, web.Errors(h.Log, nil), web.BearerAuth(h.Store),
		web.RequireRole(models.RoleAdmin, models.RoleAgent, models.RoleMarketer))
	g.GET("/me", h.me)
	g.GET("/members", h.members)
	g.GET("/members/:openid", h.member)
	g.GET("/members/:openid/messages", h.messages)
	g.GET("/tokens", h.tokens)
	g.POST("/tokens", h.createToken)
	g.DELETE("/tokens/:id", h.deleteToken)
	h.registerConversations(g)
	h.registerRules(g)
	h.registerCRM(g)
	h.registerReports(g)
	h.registerBroadcasts(g, g.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer)))
	h.registerCare(g, g.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer)))
	h.registerMedia(g, g.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer)))
	h.registerNews(g, g.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer)))

	admin := g.Group("", web.RequireRole(models.RoleAdmin))
	admin.GET("/staff", h.staffList)
	admin.POST("/staff", h.createStaff)
	admin.PATCH("/staff/:id", h.updateStaff)
	admin.GET("/audit", h.audit)
	h.registerSettings(admin)
	h.registerRights(admin)
}

func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// bindJSON decodes the body into v, refusing unknown fields, trailing data
// and bodies over MaxBody. On failure it has already answered 400.
func bindJSON(c *gin.Context, v any) bool { return bindJSONUpTo(c, v, MaxBody, nil) }

// bindJSONUpTo is bindJSON for bodies up to max bytes; a larger body is
// answered with tooBig when it is set (it says the limit in words).
func bindJSONUpTo(c *gin.Context, v any, max int64, tooBig error) bool {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, max))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("one JSON object expected")
	}
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		var over *http.MaxBytesError
		if errors.As(err, &over) && tooBig != nil {
			web.Error(c, tooBig)
			return false
		} else if errors.As(err, &over) {
			msg = "body too large"
		} else if errors.Is(err, io.EOF) {
			msg = "empty body"
		}
		web.Errorf(c, models.EINVALID, "invalid JSON body: %s", msg)
		return false
	}
	return true
}

// paging reads ?limit= (1-200, default 50) and ?offset= (≥ 0).
func paging(c *gin.Context) (limit, offset int, err error) {
	limit, offset = 50, 0
	if v := c.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 200 {
			return 0, 0, models.Errorf(models.EINVALID, "limit must be 1-200")
		}
	}
	if v := c.Query("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, models.Errorf(models.EINVALID, "offset must be a non-negative integer")
		}
	}
	return limit, offset, nil
}

// idParam parses the :id path parameter; a malformed id is simply not found.
func idParam(c *gin.Context) (uint64, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		return 0, models.Errorf(models.ENOTFOUND, "not found")
	}
	return id, nil
}
