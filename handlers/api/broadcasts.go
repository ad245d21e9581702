package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// Broadcast is a broadcast as the API shows it.
type Broadcast struct {
	ID           uint64            `json:"id"`
	Name         string            `json:"name"`
	Kind         string            `json:"kind"`
	Text         string            `json:"text,omitempty"`
	MediaID      string            `json:"media_id,omitempty"`
	TemplateID   string            `json:"template_id,omitempty"`
	TemplateData map[string]string `json:"template_data,omitempty"`
	Audience     string            `json:"audience"`
	AudienceRef  string            `json:"audience_ref,omitempty"`
	OpenIDs      int               `json:"openids,omitempty"` // how many were uploaded
	Channel      string            `json:"channel"`
	State        string            `json:"state"`
	SendAt       *time.Time        `json:"send_at,omitempty"`
	Cron         string            `json:"cron,omitempty"`
	NextRunAt    *time.Time        `json:"next_run_at,omitempty"`
	ApprovedBy   uint64            `json:"approved_by,omitempty"`
	Runs         int               `json:"run_count"`
	UpdatedAt    time.Time         `json:"updated_at"`
	// LastRun is the newest run's progress and status (lists only): sent,
	// failed, skipped and waiting apart.
	LastRun *models.BroadcastProgress `json:"last_run,omitempty"`
}

// BroadcastDetail adds the audience plan and the runs' progress.
type BroadcastDetail struct {
	Broadcast
	Plan Plan                       `json:"plan"`
	Last []models.BroadcastProgress `json:"runs"`
}

// BroadcastRequest is the body of POST /broadcasts and PUT /broadcasts/:id.
type BroadcastRequest struct {
	Name         string            `json:"name"`
	Kind         string            `json:"kind"` // text, image, mpnews, template
	Text         string            `json:"text"`
	MediaID      string            `json:"media_id"`
	TemplateID   string            `json:"template_id"`
	TemplateData map[string]string `json:"template_data"`
	Audience     string            `json:"audience"` // all, tag, segment, stage, openids
	AudienceRef  string            `json:"audience_ref"`
	OpenIDs      []string          `json:"openids"`
	Channel      string            `json:"channel"` // mass, direct; "" picks
}

// ScheduleRequest is the body of POST /broadcasts/:id/schedule: a time
// (RFC 3339) or a 5-field cron expression in the account's zone.
type ScheduleRequest struct {
	At   *time.Time `json:"at"`
	Cron string     `json:"cron"`
}

// PreviewRequest is the body of POST /broadcasts/:id/preview.
type PreviewRequest struct {
	OpenIDs []string `json:"openids"`
}

// PreviewResult is one test fan's preview outcome.
type PreviewResult struct {
	OpenID  string `json:"openid"`
	Sent    bool   `json:"sent"`
	ErrCode int    `json:"errcode,omitempty"`
	Error   string `json:"error,omitempty"`
}

func (h *Handler) registerBroadcasts(g, ed *gin.RouterGroup) {
	g.GET("/broadcasts", h.broadcastsList)
	g.GET("/broadcasts/:id", h.broadcastGet)
	g.GET("/broadcasts/:id/runs/:run", h.broadcastRun)
	ed.POST("/broadcasts", h.broadcastSave)
	ed.POST("/broadcasts/plan", h.broadcastPlan)
	ed.PUT("/broadcasts/:id", h.broadcastSave)
	ed.POST("/broadcasts/:id/preview", h.broadcastPreview)
	ed.POST("/broadcasts/:id/schedule", h.broadcastSchedule)
	ed.POST("/broadcasts/:id/pause", h.broadcastChange(models.ActionPause))
	ed.POST("/broadcasts/:id/resume", h.broadcastChange(models.ActionResume))
	ed.POST("/broadcasts/:id/cancel", h.broadcastChange(models.ActionCancel))
	g.POST("/broadcasts/:id/approve", web.RequireRole(models.RoleAdmin), h.broadcastApprove)
}

func broadcastOut(b *models.Broadcast) Broadcast {
	r, _ := b.Reply()
	out := Broadcast{ID: b.ID, Name: b.Name, Kind: b.Kind, MediaID: r.MediaID, TemplateID: b.TemplateID,
		Audience: b.Audience, AudienceRef: b.AudienceRef, OpenIDs: len(b.OpenIDList()), Channel: b.Channel, State: b.State,
		SendAt: b.SendAt, Cron: b.Cron, NextRunAt: b.NextRunAt, ApprovedBy: b.ApprovedBy, Runs: b.Runs, UpdatedAt: b.UpdatedAt}
	if r.Kind == models.ReplyText {
		out.Text = r.Text
	}
	if fields := b.TemplateFields(); len(fields) > 0 {
		out.TemplateData = fields
	}
	return out
}

func (h *Handler) broadcastsList(c *gin.Context) {
	list, err := h.Store.ListBroadcasts(c.Request.Context(), 200)
	var last map[uint64]models.BroadcastProgress
	if err == nil {
		last, err = h.lastRuns(c, list)
	}
	respondList(c, list, err, func(b *models.Broadcast) Broadcast {
		out := broadcastOut(b)
		if p, ok := last[b.ID]; ok {
			out.LastRun = &p
		}
		return out
	})
}

func (h *Handler) broadcastGet(c *gin.Context) {
	ctx := c.Request.Context()
	b, err := h.broadcast(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	d := BroadcastDetail{Broadcast: broadcastOut(b), Last: []models.BroadcastProgress{}}
	plan, err := h.Store.PlanAudience(ctx, b, h.Policy, models.DefaultWindowRules)
	if err != nil {
		web.Error(c, err)
		return
	}
	d.Plan = planOut(plan)
	runs, err := h.Store.RecentRunProgress(ctx, b.ID)
	d.Last = append(d.Last, h.quiet().RunStatuses(runs, h.Now())...)
	respond(c, d, err)
}

func (h *Handler) broadcast(c *gin.Context) (*models.Broadcast, error) {
	return loadByID(c, h.Store.FindBroadcast)
}

// maxBroadcastBody bounds a draft's JSON: an openid list of
// models.MaxOpenIDList bytes, with its quotes and commas, and the rest.
const maxBroadcastBody = models.MaxOpenIDList + 2<<20

// broadcastSave creates (POST) or updates (PUT) a draft.
func (h *Handler) broadcastSave(c *gin.Context) {
	var req BroadcastRequest
	if !bindJSONUpTo(c, &req, maxBroadcastBody, models.ErrOpenIDListTooLarge) {
		return
	}
	var id uint64
	if c.Param("id") != "" {
		var err error
		if id, err = idParam(c); err != nil {
			web.Error(c, err)
			return
		}
	}
	b, err := h.Store.SaveBroadcast(c.Request.Context(), id, req.input(), web.CurrentStaff(c).ID, h.Policy)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "broadcast.save", b.Name, "id="+strconv.FormatUint(b.ID, 10))
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	c.JSON(status, broadcastOut(b))
}

func (req BroadcastRequest) input() models.BroadcastInput {
	return models.BroadcastInput{Name: req.Name, Kind: req.Kind, Text: req.Text, MediaID: req.MediaID, TemplateID: req.TemplateID,
		TemplateData: req.TemplateData, Audience: req.Audience, AudienceRef: req.AudienceRef, OpenIDs: req.OpenIDs, Channel: req.Channel}
}

// broadcastPlan counts the audience of a broadcast being composed (the
// same body as POST /broadcasts; only audience, channel, kind and template
// id are read) by channel, without saving anything.
func (h *Handler) broadcastPlan(c *gin.Context) {
	var req BroadcastRequest
	if !bindJSONUpTo(c, &req, maxBroadcastBody, models.ErrOpenIDListTooLarge) {
		return
	}
	plan, err := h.Store.PlanDraft(c.Request.Context(), req.input(), h.Policy, models.DefaultWindowRules)
	respond(c, planOut(plan), err)
}

// broadcastPreview sends the broadcast to 1-10 test fans now.
func (h *Handler) broadcastPreview(c *gin.Context) {
	var req PreviewRequest
	if !bindJSON(c, &req) {
		return
	}
	b, err := h.broadcast(c)
	if err == nil && (len(req.OpenIDs) == 0 || len(req.OpenIDs) > models.MaxPreviewFans) {
		err = models.Errorf(models.EINVALID, "preview to 1-%d test fans", models.MaxPreviewFans)
	}
	if err == nil && h.Mass == nil {
		err = models.Errorf(models.ECONFLICT, "previews need a WeChat connection")
	}
	if err == nil {
		err = b.VarsProblem() // a mass send saved with {{.Name}} before the check
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	out := make([]PreviewResult, 0, len(req.OpenIDs))
	for _, id := range req.OpenIDs {
		// Each test fan sees the message filled in with their own name, points, ….
		fb, err := h.Store.BroadcastFor(c.Request.Context(), b, id)
		if err == nil {
			err = h.Mass.PreviewBroadcast(c.Request.Context(), id, fb)
		}
		code, msg := wechat.Describe(err)
		out = append(out, PreviewResult{OpenID: id, Sent: msg == "", ErrCode: code, Error: msg})
	}
	web.Audit(c, h.Store, "broadcast.preview", b.Name, "id="+strconv.FormatUint(b.ID, 10))
	c.JSON(http.StatusOK, List[PreviewResult]{Items: out})
}

func (h *Handler) broadcastSchedule(c *gin.Context) {
	var req ScheduleRequest
	if !bindJSON(c, &req) {
		return
	}
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	b, err := h.Store.ScheduleBroadcast(c.Request.Context(), id, models.BroadcastSchedule{At: req.At, Cron: req.Cron}, web.CurrentStaff(c), h.Policy)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "broadcast.schedule", b.Name, "id="+strconv.FormatUint(b.ID, 10)+" state="+b.State)
	c.JSON(http.StatusOK, h.scheduledOut(b))
}

func (h *Handler) broadcastApprove(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	b, err := h.Store.ApproveBroadcast(c.Request.Context(), id, web.CurrentStaff(c), h.Policy)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "broadcast.approve", b.Name, "id="+strconv.FormatUint(b.ID, 10))
	c.JSON(http.StatusOK, broadcastOut(b))
}

func (h *Handler) broadcastChange(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c)
		if err != nil {
			web.Error(c, err)
			return
		}
		b, err := h.Store.ChangeBroadcast(c.Request.Context(), id, action, h.Policy)
		if err != nil {
			web.Error(c, err)
			return
		}
		web.Audit(c, h.Store, "broadcast."+action, b.Name, "id="+strconv.FormatUint(b.ID, 10))
		c.JSON(http.StatusOK, broadcastOut(b))
	}
}

// broadcastRun is a run's report: progress and status, reached by channel,
// failures by errcode and skips by reason (in words), unfollows within
// 24 h, WeChat's mass counts.
func (h *Handler) broadcastRun(c *gin.Context) {
	ctx := c.Request.Context()
	b, err := h.broadcast(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	rid, err := strconv.ParseUint(c.Param("run"), 10, 64)
	var run *models.BroadcastRun
	if err == nil {
		run, err = h.Store.FindBroadcastRun(ctx, rid)
	}
	if err != nil || run.BroadcastID != b.ID {
		web.Error(c, models.Errorf(models.ENOTFOUND, "no such run"))
		return
	}
	rep, err := h.Store.RunReport(ctx, run)
	respond(c, h.reportInWords(rep), err)
}
