package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// DrawSummary is a draw in the list.
type DrawSummary struct {
	ID        uint64    `json:"id"`
	Name      string    `json:"name"`
	Seed      string    `json:"seed"`
	Entrants  int       `json:"entrants"`
	Winners   int       `json:"winners"`
	StaffID   uint64    `json:"staff_id"`
	CreatedAt time.Time `json:"created_at"`
}

// Draw is a lucky draw with its winners (in pick order) and the
// notification outcomes.
type Draw struct {
	DrawSummary
	Filter  json.RawMessage     `json:"filter"`
	Winners []Member            `json:"winner_members"`
	Notices []models.DrawNotice `json:"notices"`
}

// DrawRequest is the body of POST /draws.
type DrawRequest struct {
	Name      string `json:"name"`
	SegmentID uint64 `json:"segment_id"`
	Winners   int    `json:"winners"`
}

// VerifyResult re-runs a draw: Same is true when the recorded entrants
// and seed pick the recorded winners again.
type VerifyResult struct {
	Same    bool     `json:"same"`
	Winners []string `json:"winners"` // openids picked by the re-run
}

// NotifyRequest is the body of POST /draws/:id/notify.
type NotifyRequest struct {
	Text string `json:"text"`
}

func (h *Handler) registerDraws(g, ed *gin.RouterGroup) {
	g.GET("/draws", h.drawsList)
	g.GET("/draws/:id", h.drawGet)
	g.GET("/draws/:id/verify", h.drawVerify)
	ed.POST("/draws", h.drawRun)
	ed.POST("/draws/:id/notify", h.drawNotify)
}

func (h *Handler) drawsList(c *gin.Context) {
	list, err := h.Store.ListDraws(c.Request.Context(), 500)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := List[DrawSummary]{Items: make([]DrawSummary, 0, len(list))}
	for _, d := range list {
		out.Items = append(out.Items, DrawSummary(d))
	}
	c.JSON(http.StatusOK, out)
}

// findDraw resolves :id, answering the error itself.
func (h *Handler) findDraw(c *gin.Context) (*models.Draw, bool) {
	return findByID(c, h.Store.FindDraw)
}

// drawOut loads the winners' members and the notification outcomes.
func (h *Handler) drawOut(ctx context.Context, d *models.Draw) (Draw, error) {
	entrants, err := d.EntrantIDs()
	var winners []uint64
	if err == nil {
		winners, err = d.WinnerIDs()
	}
	var members []models.Member
	if err == nil {
		members, err = h.Store.MembersByIDs(ctx, winners)
	}
	var notices []models.DrawNotice
	if err == nil {
		notices, err = h.Store.DrawNotices(ctx, d.ID)
	}
	out := Draw{DrawSummary: DrawSummary{ID: d.ID, Name: d.Name, Seed: d.Seed, Entrants: len(entrants), Winners: len(winners),
		StaffID: d.StaffID, CreatedAt: d.CreatedAt}, Filter: json.RawMessage(d.Filter),
		Winners: make([]Member, 0, len(members)), Notices: append([]models.DrawNotice{}, notices...)}
	for i := range members {
		out.Winners = append(out.Winners, memberOut(&members[i]))
	}
	return out, err
}

func (h *Handler) drawGet(c *gin.Context) {
	d, ok := h.findDraw(c)
	if !ok {
		return
	}
	out, err := h.drawOut(c.Request.Context(), d)
	respond(c, out, err)
}

// drawRun draws winners from a saved segment (audited).
func (h *Handler) drawRun(c *gin.Context) {
	var req DrawRequest
	if !bindJSON(c, &req) {
		return
	}
	ctx := c.Request.Context()
	if req.Winners < 1 || req.Winners > models.MaxDrawWinners {
		web.Errorf(c, models.EINVALID, "winners must be 1 to %d", models.MaxDrawWinners)
		return
	}
	sg, err := h.Store.FindSegment(ctx, req.SegmentID)
	if models.ErrorCode(err) == models.ENOTFOUND {
		err = models.Errorf(models.EINVALID, "segment %d does not exist", req.SegmentID)
	}
	var f models.SegmentFilter
	if err == nil {
		f, err = sg.Decode()
	}
	var d *models.Draw
	if err == nil {
		d, _, err = h.Store.RunDraw(ctx, strings.TrimSpace(req.Name), f, req.Winners, web.CurrentStaff(c).ID)
	}
	var out Draw
	if err == nil {
		out, err = h.drawOut(ctx, d)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "draw.run", d.Name, "id="+strconv.FormatUint(d.ID, 10)+" winners="+strconv.Itoa(req.Winners)+" seed="+d.Seed+" via API")
	c.Header("Location", "/api/v1/draws/"+strconv.FormatUint(d.ID, 10))
	c.JSON(http.StatusCreated, out)
}

// drawVerify re-runs the pick from the recorded entrants and seed.
func (h *Handler) drawVerify(c *gin.Context) {
	d, ok := h.findDraw(c)
	if !ok {
		return
	}
	again, same, err := d.Replay()
	var members []models.Member
	if err == nil {
		members, err = h.Store.MembersByIDs(c.Request.Context(), again)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	out := VerifyResult{Same: same, Winners: make([]string, 0, len(members))}
	for _, m := range members {
		out.Winners = append(out.Winners, m.OpenID)
	}
	c.JSON(http.StatusOK, out)
}

// drawNotify queues the message for each winner not yet told (the
// delivery engine sends it) and answers every winner's latest notice
// (audited): queued ones show "state":"queued"; failures, such as 45015
// for fans outside the 48-hour window, stay in the list, never dropped.
func (h *Handler) drawNotify(c *gin.Context) {
	var req NotifyRequest
	if !bindJSON(c, &req) {
		return
	}
	d, ok := h.findDraw(c)
	if !ok {
		return
	}
	text := strings.TrimSpace(req.Text)
	if text == "" {
		web.Errorf(c, models.EINVALID, "text is required")
		return
	}
	notices, err := h.Store.NotifyDrawWinners(c.Request.Context(), d.ID, text, web.CurrentStaff(c).ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	sent, queued := 0, 0
	for _, n := range notices {
		if n.Sent {
			sent++
		} else if n.Pending() {
			queued++
		}
	}
	web.Audit(c, h.Store, "draw.notify", d.Name, fmt.Sprintf("id=%d sent=%d queued=%d of %d via API", d.ID, sent, queued, len(notices)))
	c.JSON(http.StatusOK, List[models.DrawNotice]{Items: append([]models.DrawNotice{}, notices...)})
}
