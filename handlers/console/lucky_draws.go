package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// Lucky draws fans enter from the member centre (models/lucky_draw.go): the
// marketer opens one for entries, then closes and draws it; the recorded
// Draw's page shows the winners and tells them through the notify path.

// luckyForm is the open-a-draw form as typed.
type luckyForm struct {
	Title, Prize, StartsAt, EndsAt, Cost, Winners string
	Error                                         string
}

// luckyRow is a lucky draw in the list.
type luckyRow struct {
	models.LuckyDraw
	Entries int64
	State   string // i18n key
}

func (h *Handler) luckyRows(c *gin.Context) ([]luckyRow, error) {
	ctx := c.Request.Context()
	list, err := h.Store.LuckyDraws(ctx, 50)
	if err != nil {
		return nil, err
	}
	now := h.Now()
	rows := make([]luckyRow, 0, len(list))
	for _, d := range list {
		n, err := h.Store.LuckyDrawEntryCount(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		state := "crm.lucky.state_open"
		switch {
		case d.State == models.LuckyDrawDrawn:
			state = "crm.lucky.state_drawn"
		case now.Before(d.StartsAt):
			state = "crm.lucky.state_soon"
		case !now.Before(d.EndsAt):
			state = "crm.lucky.state_closed"
		}
		rows = append(rows, luckyRow{LuckyDraw: d, Entries: n, State: state})
	}
	return rows, nil
}

// luckyDraw reads the form (times in the account zone).
func (f luckyForm) luckyDraw(loc *time.Location) (models.LuckyDraw, error) {
	d := models.LuckyDraw{Title: f.Title, Prize: f.Prize}
	var err error
	if d.StartsAt, err = time.ParseInLocation(localMinute, f.StartsAt, loc); err != nil {
		return d, models.Errorf(models.EINVALID, "the entry window needs a start date and time")
	}
	if d.EndsAt, err = time.ParseInLocation(localMinute, f.EndsAt, loc); err != nil {
		return d, models.Errorf(models.EINVALID, "the entry window needs an end date and time")
	}
	if strings.TrimSpace(f.Cost) != "" {
		if d.Cost, err = strconv.ParseInt(strings.TrimSpace(f.Cost), 10, 64); err != nil {
			return d, models.Errorf(models.EINVALID, "the points cost must not be negative")
		}
	}
	if d.Winners, err = strconv.Atoi(strings.TrimSpace(f.Winners)); err != nil {
		return d, models.Errorf(models.EINVALID, "a draw needs 1-%d winners", models.MaxDrawWinners)
	}
	return d, d.Validate()
}

// luckyCreate opens a lucky draw for entries (audited); a refused form
// comes back as typed with what to fix.
func (h *Handler) luckyCreate(c *gin.Context) {
	f := luckyForm{Title: strings.TrimSpace(c.PostForm("title")), Prize: strings.TrimSpace(c.PostForm("prize")),
		StartsAt: c.PostForm("starts_at"), EndsAt: c.PostForm("ends_at"), Cost: c.PostForm("cost"), Winners: c.PostForm("winners")}
	d, err := f.luckyDraw(h.Loc)
	var saved *models.LuckyDraw
	if err == nil {
		d.StaffID = web.CurrentStaff(c).ID
		saved, err = h.Store.CreateLuckyDraw(c.Request.Context(), d)
	}
	if models.ErrorCode(err) == models.EINVALID {
		f.Error = h.errFor(c, err)
		h.renderDraws(c, http.StatusBadRequest, drawForm{Winners: "1", Lucky: f})
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "lucky_draw.create", saved.Title, fmt.Sprintf("id=%d cost=%d winners=%d", saved.ID, saved.Cost, saved.Winners))
	redirect(c, Base+"/draws#lucky-"+strconv.FormatUint(saved.ID, 10), "crm.flash.lucky")
}

// luckyDraw closes a lucky draw and draws its winners among its entrants
// (audited, with the seed), then shows the recorded draw, where the
// winners are told. A second click, or a second server, finds it drawn.
func (h *Handler) luckyDrawRun(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		web.Error(c, err)
		return
	}
	d, rec, err := h.Store.DrawLuckyDraw(c.Request.Context(), id, web.CurrentStaff(c).ID)
	if models.ErrorCode(err) == models.ECONFLICT {
		if prior, ferr := h.Store.FindLuckyDraw(c.Request.Context(), id); ferr == nil && prior.DrawID != nil {
			redirect(c, drawPath(*prior.DrawID), "crm.flash.lucky_again")
			return
		}
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "lucky_draw.draw", d.Title, fmt.Sprintf("id=%d draw=%d seed=%s", d.ID, rec.ID, rec.Seed))
	redirect(c, drawPath(rec.ID), "crm.flash.draw")
}
