package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// Channel is an acquisition QR code with its numbers.
type Channel struct {
	ID            uint64              `json:"id"`
	Name          string              `json:"name"`
	Scene         string              `json:"scene"`
	Permanent     bool                `json:"permanent"`
	ExpireSeconds int64               `json:"expire_seconds,omitempty"`
	ExpiresAt     *time.Time          `json:"expires_at,omitempty"`
	Expired       bool                `json:"expired"`
	Ticket        string              `json:"ticket"`
	URL           string              `json:"url"` // what the code encodes
	WelcomePoints int64               `json:"welcome_points"`
	WelcomeTags   []string            `json:"welcome_tags"`
	WelcomeGiftID *uint64             `json:"welcome_gift_id,omitempty"`
	Stats         models.ChannelStats `json:"stats"`
	CreatedAt     time.Time           `json:"created_at"`
}

// ChannelRequest is the body of POST /channels.
type ChannelRequest struct {
	Name          string   `json:"name"`
	Scene         string   `json:"scene"`
	Permanent     bool     `json:"permanent"`
	ExpireSeconds int64    `json:"expire_seconds"` // temporary codes: 60 to 2592000
	WelcomePoints int64    `json:"welcome_points"`
	WelcomeTags   []string `json:"welcome_tags"`
	WelcomeGiftID uint64   `json:"welcome_gift_id"` // a gift or coupon given free on a first follow; 0: none
}

func (h *Handler) registerChannels(g, ed *gin.RouterGroup) {
	g.GET("/channels", h.channelsList)
	g.GET("/channels/:id", h.channelGet)
	g.GET("/channels/:id/qr", h.channelQR)
	ed.POST("/channels", h.channelCreate)
}

// channelOut adds the channel's numbers.
func (h *Handler) channelOut(c *gin.Context, ch *models.Channel) (Channel, error) {
	st, err := h.Store.ChannelStatsFor(c.Request.Context(), ch.ID)
	tags := ch.Tags()
	if tags == nil {
		tags = []string{}
	}
	return Channel{ID: ch.ID, Name: ch.Name, Scene: ch.Scene, Permanent: ch.Permanent, ExpireSeconds: ch.ExpireSeconds,
		ExpiresAt: ch.ExpiresAt, Expired: ch.Expired(h.Now()), Ticket: ch.Ticket, URL: ch.URL,
		WelcomePoints: ch.WelcomePoints, WelcomeTags: tags, WelcomeGiftID: ch.WelcomeGiftID, Stats: st, CreatedAt: ch.CreatedAt}, err
}

// channelsList returns every channel, newest first, with scans, follows
// and how many of those followers left within 1, 7 and 30 days.
func (h *Handler) channelsList(c *gin.Context) {
	list, err := h.Store.ListChannels(c.Request.Context())
	respondListErr(c, list, err, func(m *models.Channel) (Channel, error) { return h.channelOut(c, m) })
}

func (h *Handler) channelGet(c *gin.Context) {
	respondOne(c, h.Store.FindChannel, func(m *models.Channel) (Channel, error) { return h.channelOut(c, m) })
}

// channelCreate asks WeChat for the code and stores the channel (audited).
// Permanent codes are refused past the platform's 100,000.
func (h *Handler) channelCreate(c *gin.Context) {
	var req ChannelRequest
	if !bindJSON(c, &req) {
		return
	}
	if h.WX == nil {
		web.Error(c, fmt.Errorf("channel: no WeChat client configured"))
		return
	}
	n := models.NewChannel{Name: req.Name, Scene: req.Scene, Permanent: req.Permanent, ExpireSeconds: req.ExpireSeconds,
		WelcomePoints: req.WelcomePoints, WelcomeTags: req.WelcomeTags, WelcomeGiftID: req.WelcomeGiftID}
	ch, err := roles.IssueChannel(c.Request.Context(), h.Store, n, h.MaxPermanentQR, h.WX.IssueQR)
	if err != nil {
		web.Error(c, err) // a WeChat refusal is 502 "wechat" with the errcode
		return
	}
	out, err := h.channelOut(c, ch)
	if err != nil {
		web.Error(c, err)
		return
	}
	kind := "temporary " + strconv.FormatInt(ch.ExpireSeconds, 10) + "s"
	if ch.Permanent {
		kind = "permanent"
	}
	web.Audit(c, h.Store, "channel.create", ch.Name, "scene="+ch.Scene+" "+kind+" via API")
	c.Header("Location", "/api/v1/channels/"+strconv.FormatUint(ch.ID, 10))
	c.JSON(http.StatusCreated, out)
}

// channelQR returns the code's image (image/png) fetched from WeChat;
// 404 for an unknown id and once a temporary code has expired.
func (h *Handler) channelQR(c *gin.Context) {
	id, err := idParam(c)
	var qr *roles.ChannelQR
	if err == nil {
		qr, err = roles.ChannelQRImage(c.Request.Context(), h.Store, h.WX, id, h.Now(), h.Loc)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+qr.Filename+`"`)
	c.Data(http.StatusOK, qr.ContentType, qr.Data)
}
