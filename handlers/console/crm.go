package console

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/templates"
)

// registerCRM adds the member CRM: the member page's actions, segments,
// channels, the follower sync, points and rewards, topics and draws.
// Every role may look; marketers and admins change things.
func (h *Handler) registerCRM(a *gin.RouterGroup) {
	ed := a.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer))
	ed.POST("/members/:openid/:action", h.memberAct)

	a.GET("/sync", h.syncStatus)
	ed.POST("/sync", h.syncStart)

	a.GET("/segments", h.segmentsList)
	a.GET("/segments/new", h.segmentNew)
	a.GET("/segments/:id", h.segmentEdit)
	a.POST("/segments/count", h.segmentCount) // a read: agents may try filters too
	ed.POST("/segments/new", h.segmentCreate)
	ed.POST("/segments/:id", h.segmentUpdate)
	ed.POST("/segments/:id/delete", h.segmentDelete)

	a.GET("/channels", h.channelsList)
	a.GET("/channels/:id/qr", h.channelQR)
	ed.POST("/channels", h.channelCreate)

	a.GET("/points", h.pointsPage)
	a.GET("/points/gifts/:id", h.giftEdit)
	ed.POST("/points/gifts", h.giftCreate)
	ed.POST("/points/gifts/:id", h.giftUpdate)
	ed.POST("/points/coupons", h.couponUse)

	a.GET("/topics", h.topicsList)
	a.GET("/topics/:id", h.topicPage)
	a.GET("/topics/:id/export", h.topicExport)
	ed.POST("/topics", h.topicCreate)
	ed.POST("/topics/:id", h.topicUpdate)
	ed.POST("/topics/:id/entries/:entry", h.topicMark)

	a.GET("/draws", h.drawsList)
	a.GET("/draws/:id", h.drawPage)
	ed.POST("/draws", h.drawRun)
	ed.POST("/draws/:id/notify", h.drawNotify)
	ed.POST("/lucky-draws", h.luckyCreate)
	ed.POST("/lucky-draws/:id/draw", h.luckyDrawRun)
}

// crmFlashes are the notices the CRM pages redirect with.
var crmFlashes = []string{"crm.flash.stage", "crm.flash.level", "crm.flash.unchanged", "crm.flash.tagged",
	"crm.flash.untagged", "crm.flash.points", "crm.flash.points_dup", "crm.flash.sync", "crm.flash.segment_saved",
	"crm.flash.segment_deleted", "crm.flash.channel", "crm.flash.gift", "crm.flash.topic", "crm.flash.entry", "crm.flash.draw",
	"rights.blacklisted", "rights.unblacklisted",
	"crm.flash.lucky", "crm.flash.lucky_again"}

// crmPage is page() plus the CRM pages' own notices.
func (h *Handler) crmPage(c *gin.Context, nav, title string, data any) templates.Page {
	p := h.page(c, nav, title, data)
	if k := c.Query("ok"); slices.Contains(crmFlashes, k) {
		p.Flash = k
	}
	return p
}

// canEditCRM reports whether the current staff member may change members,
// segments, channels, rewards and campaigns.
func canEditCRM(c *gin.Context) bool {
	return web.HasRole(web.CurrentStaff(c), models.RoleAdmin, models.RoleMarketer)
}

// idParam parses a numeric path parameter; a malformed id is simply not found.
func idParam(c *gin.Context, name string) (uint64, error) {
	id, err := strconv.ParseUint(c.Param(name), 10, 64)
	if err != nil || id == 0 {
		return 0, models.Errorf(models.ENOTFOUND, "not found")
	}
	return id, nil
}

// intField parses an optional whole number typed into a form; label names
// the field in the error.
func intField(v, label string) (*int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, models.Errorf(models.EINVALID, "%s must be a whole number", label)
	}
	return &n, nil
}

// splitList splits what staff type into a list box: commas (also the
// Chinese ones) and new lines separate; blanks and repeats are dropped.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '\n' || r == '、' }) {
		if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
			out = append(out, part)
		}
	}
	return out
}

// memberPath is a member's page.
func memberPath(openID string) string { return Base + "/members/" + url.PathEscape(openID) }

// block writes one block of a page with status (an htmx swap; inline
// errors come with their 4xx status and are swapped by data-inline-errors).
func (h *Handler) block(c *gin.Context, status int, page, name string, data any) {
	var buf bytes.Buffer
	if err := h.Pages.RenderBlock(&buf, h.lang(c), page, name, data); err != nil {
		h.Log.Error("render block", "page", page, "block", name, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// postForm returns the posted form fields (parsed on first use; the CSRF
// check may have read the token from a header and left them unparsed).
func postForm(c *gin.Context) url.Values {
	if err := c.Request.ParseForm(); err != nil {
		return url.Values{}
	}
	return c.Request.PostForm
}
