package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// drawForm is the run-a-draw form as typed.
type drawForm struct {
	Name, Segment, Winners string
	Error                  string
	// Lucky is the open-a-lucky-draw form as typed.
	Lucky luckyForm
}

type drawsData struct {
	Draws    []models.DrawSummary
	Segments []models.Segment
	Staff    map[uint64]string
	Form     drawForm
	CanEdit  bool
	// Lucky are the draws fans enter from the member centre.
	Lucky []luckyRow
}

// drawsList shows past draws and the form (?segment= preselects one).
func (h *Handler) drawsList(c *gin.Context) {
	h.renderDraws(c, http.StatusOK, drawForm{Segment: c.Query("segment"), Winners: "1", Lucky: luckyForm{Cost: "0", Winners: "1"}})
}

func (h *Handler) renderDraws(c *gin.Context, status int, f drawForm) {
	ctx := c.Request.Context()
	d := drawsData{Form: f, CanEdit: canEditCRM(c)}
	var err error
	if d.Draws, err = h.Store.ListDraws(ctx, 100); err == nil {
		d.Segments, err = h.Store.ListSegments(ctx)
	}
	if err == nil {
		d.Staff, err = h.staffNames(c)
	}
	if err == nil {
		d.Lucky, err = h.luckyRows(c)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	h.render(c, status, "draws", h.crmPage(c, "campaigns", "crm.draws.title", d))
}

// drawRun draws winners from a saved segment (audited) and shows them.
func (h *Handler) drawRun(c *gin.Context) {
	f := drawForm{Name: strings.TrimSpace(c.PostForm("name")), Segment: c.PostForm("segment"), Winners: strings.TrimSpace(c.PostForm("winners"))}
	d, err := h.runDraw(c.Request.Context(), f, web.CurrentStaff(c).ID)
	if models.ErrorCode(err) == models.EINVALID || models.ErrorCode(err) == models.ENOTFOUND {
		f.Error = h.errFor(c, err)
		h.renderDraws(c, http.StatusBadRequest, f)
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "draw.run", d.Name, "id="+strconv.FormatUint(d.ID, 10)+" winners="+f.Winners+" seed="+d.Seed)
	redirect(c, drawPath(d.ID), "crm.flash.draw")
}

func (h *Handler) runDraw(ctx context.Context, f drawForm, staffID uint64) (*models.Draw, error) {
	n, err := strconv.Atoi(f.Winners)
	if err != nil || n < 1 || n > models.MaxDrawWinners {
		return nil, models.Errorf(models.EINVALID, "the number of winners must be 1 to %d", models.MaxDrawWinners)
	}
	id, err := strconv.ParseUint(f.Segment, 10, 64)
	if err != nil {
		return nil, models.Errorf(models.EINVALID, "choose a segment")
	}
	sg, err := h.Store.FindSegment(ctx, id)
	if err != nil {
		return nil, models.Errorf(models.EINVALID, "choose a segment")
	}
	filter, err := sg.Decode()
	if err != nil {
		return nil, err
	}
	d, _, err := h.Store.RunDraw(ctx, f.Name, filter, n, staffID)
	return d, err
}

func drawPath(id uint64) string { return Base + "/draws/" + strconv.FormatUint(id, 10) }

// winnerRow is a winner with the latest notification outcome (nil before
// the first notification).
type winnerRow struct {
	models.Member
	Notice *models.DrawNotice
}

// drawData is a draw's page.
type drawData struct {
	Draw     *models.Draw
	Entrants int
	Winners  []winnerRow
	Staff    string
	Verified bool            // the verify button was pressed
	Replay   []models.Member // the winners the re-run picked
	Same     bool            // and whether they are the recorded ones
	Notices  []models.DrawNotice
	Text     string // the notification as typed
	Error    string
	CanEdit  bool
	CanSend  bool
}

// drawPage shows a draw: winners, seed, entrant count, notification
// outcomes; ?verify=1 re-runs the pick from the recorded seed.
func (h *Handler) drawPage(c *gin.Context) {
	d, ok := h.drawData(c)
	if !ok {
		return
	}
	if c.Query("verify") == "1" {
		again, same, err := d.Draw.Replay()
		if err == nil {
			d.Replay, err = h.Store.MembersByIDs(c.Request.Context(), again)
		}
		if err != nil {
			web.Error(c, err)
			return
		}
		d.Verified, d.Same = true, same
	}
	h.render(c, http.StatusOK, "draw", h.crmPage(c, "campaigns", "crm.draws.title", d))
}

func (h *Handler) drawData(c *gin.Context) (drawData, bool) {
	ctx := c.Request.Context()
	id, err := idParam(c, "id")
	// Notices go through the delivery engine, which every server runs.
	d := drawData{CanEdit: canEditCRM(c), CanSend: true}
	if err == nil {
		d.Draw, err = h.Store.FindDraw(ctx, id)
	}
	var entrants, winners []uint64
	if err == nil {
		entrants, err = d.Draw.EntrantIDs()
	}
	if err == nil {
		winners, err = d.Draw.WinnerIDs()
	}
	var members []models.Member
	if err == nil {
		members, err = h.Store.MembersByIDs(ctx, winners)
	}
	if err == nil {
		d.Notices, err = h.Store.DrawNotices(ctx, id)
	}
	for _, m := range members {
		d.Winners = append(d.Winners, winnerRow{Member: m})
	}
	d.attach()
	var names map[uint64]string
	if err == nil {
		names, err = h.staffNames(c)
	}
	if err != nil {
		web.Error(c, err)
		return d, false
	}
	d.Entrants, d.Staff = len(entrants), names[d.Draw.StaffID]
	d.Text = h.Pages.T(h.lang(c), "crm.draws.default_text", d.Draw.Name)
	return d, true
}

// drawNotify queues the message for each winner not yet told (the
// delivery engine sends it: customer-service message inside the fan's
// window) and shows every winner's notice; the page fills in the outcomes,
// failures with WeChat's errcode, as the engine delivers. Audited.
func (h *Handler) drawNotify(c *gin.Context) {
	d, ok := h.drawData(c)
	if !ok {
		return
	}
	d.Text = strings.TrimSpace(c.PostForm("text"))
	status := http.StatusOK
	switch {
	case d.Text == "":
		status, d.Error = http.StatusBadRequest, h.Pages.T(h.lang(c), "crm.draws.text_required")
	default:
		notices, err := h.Store.NotifyDrawWinners(c.Request.Context(), d.Draw.ID, d.Text, web.CurrentStaff(c).ID)
		if models.ErrorCode(err) == models.ECONFLICT {
			status, d.Error = http.StatusConflict, h.errFor(c, err)
			break
		} else if err != nil {
			web.Error(c, err)
			return
		}
		d.Notices = notices
		d.attach()
		web.Audit(c, h.Store, "draw.notify", d.Draw.Name, fmt.Sprintf("id=%d %s", d.Draw.ID, noticeCounts(d.Notices, len(d.Winners))))
	}
	h.render(c, status, "draw", h.crmPage(c, "campaigns", "crm.draws.title", d))
}

// attach puts each winner's latest notification outcome on its row.
func (d *drawData) attach() {
	for i := range d.Winners {
		d.Winners[i].Notice = nil
		for j := range d.Notices {
			if d.Notices[j].MemberID == d.Winners[i].ID {
				d.Winners[i].Notice = &d.Notices[j]
			}
		}
	}
}

// noticeCounts summarises notices for the audit log.
func noticeCounts(ns []models.DrawNotice, winners int) string {
	sent, queued := 0, 0
	for _, n := range ns {
		if n.Sent {
			sent++
		} else if n.Pending() {
			queued++
		}
	}
	return fmt.Sprintf("sent=%d queued=%d of %d", sent, queued, winners)
}
