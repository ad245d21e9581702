package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// channelRow is a channel with its numbers.
type channelRow struct {
	models.Channel
	Stats   models.ChannelStats
	Tags    []string
	Gift    string // the welcome gift's name
	Expired bool
}

// channelForm is the new-channel form as typed.
type channelForm struct {
	Name, Scene   string
	Permanent     bool
	ExpireDays    string
	WelcomePoints string
	WelcomeTags   string
	WelcomeGift   string // a gift id, "" for none
}

type channelsData struct {
	Rows    []channelRow
	Gifts   []models.Gift // the welcome gift choices
	Form    channelForm
	Error   string
	CanEdit bool
}

func (h *Handler) channelsList(c *gin.Context) {
	h.channelsPage(c, http.StatusOK, channelForm{ExpireDays: "30"}, nil)
}

// channelsPage lists the channels with scans, follows and how many of
// those followers left within 1, 7 and 30 days, under the form (as typed,
// with err when it was refused).
func (h *Handler) channelsPage(c *gin.Context, status int, form channelForm, err error) {
	ctx := c.Request.Context()
	list, lerr := h.Store.ListChannels(ctx)
	if lerr != nil {
		web.Error(c, lerr)
		return
	}
	d := channelsData{Form: form, CanEdit: canEditCRM(c)}
	if err != nil {
		d.Error = h.errFor(c, err)
	}
	if d.Gifts, lerr = h.Store.ListGifts(ctx, false); lerr != nil {
		web.Error(c, lerr)
		return
	}
	gifts := map[uint64]string{}
	for _, g := range d.Gifts {
		gifts[g.ID] = g.Name
	}
	now := h.Now()
	for _, ch := range list {
		st, serr := h.Store.ChannelStatsFor(ctx, ch.ID)
		if serr != nil {
			web.Error(c, serr)
			return
		}
		row := channelRow{Channel: ch, Stats: st, Tags: ch.Tags(), Expired: ch.Expired(now)}
		if ch.WelcomeGiftID != nil {
			row.Gift = gifts[*ch.WelcomeGiftID]
		}
		d.Rows = append(d.Rows, row)
	}
	h.render(c, status, "channels", h.crmPage(c, "channels", "crm.channels.title", d))
}

// channelCreate asks WeChat for the code, then stores the channel
// (audited). A refused form comes back as typed.
func (h *Handler) channelCreate(c *gin.Context) {
	form := channelForm{Name: strings.TrimSpace(c.PostForm("name")), Scene: strings.TrimSpace(c.PostForm("scene")),
		Permanent: c.PostForm("kind") == "permanent", ExpireDays: strings.TrimSpace(c.PostForm("expire_days")),
		WelcomePoints: strings.TrimSpace(c.PostForm("welcome_points")), WelcomeTags: strings.TrimSpace(c.PostForm("welcome_tags")),
		WelcomeGift: c.PostForm("welcome_gift")}
	n, err := form.channel()
	var ch *models.Channel
	if err == nil {
		ch, err = h.issueChannel(c, n)
	}
	// Refusals, WeChat's too (502 with the errcode), show on the form.
	if status, msg := formFailure(err); status == http.StatusInternalServerError {
		web.Error(c, err)
		return
	} else if err != nil {
		h.channelsPage(c, status, form, models.Errorf(models.EINVALID, "%s", msg))
		return
	}
	kind := "temporary " + strconv.FormatInt(ch.ExpireSeconds, 10) + "s"
	if ch.Permanent {
		kind = "permanent"
	}
	web.Audit(c, h.Store, "channel.create", ch.Name, "scene="+ch.Scene+" "+kind)
	redirect(c, Base+"/channels", "crm.flash.channel")
}

// issueChannel makes the code through WeChat and stores the channel.
func (h *Handler) issueChannel(c *gin.Context, n models.NewChannel) (*models.Channel, error) {
	if h.WX == nil {
		return nil, fmt.Errorf("channel: no WeChat client configured")
	}
	return roles.IssueChannel(c.Request.Context(), h.Store, n, h.MaxPermanentQR, h.WX.IssueQR)
}

// channel reads the numbers of the form.
func (f channelForm) channel() (models.NewChannel, error) {
	n := models.NewChannel{Name: f.Name, Scene: f.Scene, Permanent: f.Permanent, WelcomeTags: splitList(f.WelcomeTags)}
	points, err := intField(f.WelcomePoints, "welcome points")
	if err != nil {
		return n, err
	}
	if points != nil {
		n.WelcomePoints = *points
	}
	if f.WelcomeGift != "" {
		id, err := strconv.ParseUint(f.WelcomeGift, 10, 64)
		if err != nil {
			return n, models.Errorf(models.EINVALID, "the welcome gift does not exist")
		}
		n.WelcomeGiftID = id
	}
	if !f.Permanent {
		days, err := intField(f.ExpireDays, "days")
		if err != nil {
			return n, err
		}
		if days == nil || *days < 1 || *days > 30 {
			return n, models.Errorf(models.EINVALID, "a temporary code lasts 1 to 30 days")
		}
		n.ExpireSeconds = *days * 24 * 3600
	}
	return n, nil
}

// channelQR downloads the channel's QR image through fivec, as a file.
func (h *Handler) channelQR(c *gin.Context) {
	id, err := idParam(c, "id")
	var qr *roles.ChannelQR
	if err == nil {
		qr, err = roles.ChannelQRImage(c.Request.Context(), h.Store, h.WX, id, h.Now(), h.Loc)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+qr.Filename+`"`)
	c.Header("Cache-Control", "private, max-age=300")
	c.Data(http.StatusOK, qr.ContentType, qr.Data)
}
