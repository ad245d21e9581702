package console

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// openIDPattern is what the simulator accepts as a fan's openid.
var openIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (h *Handler) registerSimulator(a *gin.RouterGroup) {
	a.GET("/simulator", h.simPage)
	a.GET("/simulator/inbox", h.simInbox)
	a.POST("/simulator/fans", h.simNewFan)
	a.POST("/simulator/:action", h.simAct)
}

type simData struct {
	Fans       []SimFan
	OpenID     string
	Subscribed bool
	Inbox      []SimMessage // newest first: the phone stacks from the bottom
}

// simData gathers what the page shows; the fan list only for a whole page,
// as the polled phone screen does not show it.
func (h *Handler) simData(openID string, withFans bool) simData {
	d := simData{OpenID: openID}
	if withFans {
		d.Fans = h.Sim.Fans()
	}
	for _, f := range d.Fans {
		if f.OpenID == openID {
			d.Subscribed = f.Subscribed
		}
	}
	if openID != "" {
		in := h.Sim.Inbox(openID)
		d.Inbox = make([]SimMessage, len(in))
		for i, m := range in {
			d.Inbox[len(in)-1-i] = m
		}
	}
	return d
}

// simPage shows the fan list and the chosen fan's phone.
func (h *Handler) simPage(c *gin.Context) {
	openID := c.Query("openid")
	if !openIDPattern.MatchString(openID) {
		openID = ""
	}
	h.render(c, http.StatusOK, "simulator", h.page(c, "simulator", "sim.title", h.simData(openID, true)))
}

// simInbox is the phone's screen for htmx polling: 204 (nothing to swap)
// while the inbox still has the n messages the browser shows.
func (h *Handler) simInbox(c *gin.Context) {
	openID := c.Query("openid")
	if !openIDPattern.MatchString(openID) {
		web.Errorf(c, models.EINVALID, "bad openid")
		return
	}
	d := h.simData(openID, false)
	if n, err := strconv.Atoi(c.Query("n")); err == nil && n == len(d.Inbox) {
		c.Status(http.StatusNoContent)
		return
	}
	h.renderInbox(c, d)
}

func (h *Handler) renderInbox(c *gin.Context, d simData) {
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := h.Pages.RenderBlock(c.Writer, h.lang(c), "simulator", "inbox", d); err != nil {
		h.Log.Error("render inbox", "err", err)
	}
}

// simNewFan picks a fan by openid, making one up when none is given. The
// fan exists on the platform from its first action.
func (h *Handler) simNewFan(c *gin.Context) {
	openID := strings.TrimSpace(c.PostForm("openid"))
	if openID == "" {
		openID = "oSIM" + models.RandomToken(18)
	}
	if !openIDPattern.MatchString(openID) {
		web.Errorf(c, models.EINVALID, "an openid is 1-64 letters, digits, '_' or '-'")
		return
	}
	c.Redirect(http.StatusSeeOther, Base+"/simulator?openid="+openID)
}

// simAct performs one fan action. htmx gets the refreshed phone screen;
// a plain form post is redirected back to the simulator.
func (h *Handler) simAct(c *gin.Context) {
	openID, ctx := c.PostForm("openid"), c.Request.Context()
	if !openIDPattern.MatchString(openID) {
		web.Errorf(c, models.EINVALID, "bad openid")
		return
	}
	var err error
	flash := ""
	switch c.Param("action") {
	case "follow":
		err, flash = h.Sim.Follow(ctx, openID, limited(c.PostForm("scene"), 64)), "sim.followed"
	case "unfollow":
		err, flash = h.Sim.Unfollow(ctx, openID), "sim.unfollowed"
	case "text":
		if err = required(c.PostForm("text")); err == nil {
			err = h.Sim.SendText(ctx, openID, limited(c.PostForm("text"), 2000))
		}
	case "click":
		if err = required(c.PostForm("key")); err == nil {
			err = h.Sim.Click(ctx, openID, limited(c.PostForm("key"), 128))
		}
	default:
		web.Errorf(c, models.ENOTFOUND, "unknown simulator action")
		return
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	if c.GetHeader("HX-Request") == "true" {
		h.renderInbox(c, h.simData(openID, false))
		return
	}
	redirect(c, Base+"/simulator?openid="+openID, flash)
}

func required(s string) error {
	if strings.TrimSpace(s) == "" {
		return models.Errorf(models.EINVALID, "nothing to send")
	}
	return nil
}

// limited trims s and cuts it to n characters.
func limited(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n])
	}
	return s
}
