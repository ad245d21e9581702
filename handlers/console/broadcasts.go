package console

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/templates"
	"github.com/fivec/fivec/wechat"
)

// registerBroadcasts adds the Center role's pages (信息发布): every role
// may look; marketers and admins compose, preview, schedule and stop;
// admins approve.
func (h *Handler) registerBroadcasts(a *gin.RouterGroup) {
	ed := a.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer))
	a.GET("/broadcasts", h.broadcastsList)
	a.GET("/broadcasts/new", h.broadcastNew)
	a.GET("/broadcasts/:id", h.broadcastPage)
	a.GET("/broadcasts/:id/edit", h.broadcastEdit)
	a.GET("/broadcasts/:id/runs/:run", h.broadcastReport)
	ed.POST("/broadcasts/new", h.broadcastSave)
	ed.POST("/broadcasts/plan", h.broadcastPlan)
	ed.POST("/broadcasts/:id/edit", h.broadcastSave)
	ed.POST("/broadcasts/:id/preview", h.broadcastPreview)
	ed.POST("/broadcasts/:id/schedule", h.broadcastSchedule)
	ed.POST("/broadcasts/:id/starts", h.broadcastStarts)
	ed.POST("/broadcasts/:id/pause", h.broadcastChange(models.ActionPause))
	ed.POST("/broadcasts/:id/resume", h.broadcastChange(models.ActionResume))
	ed.POST("/broadcasts/:id/cancel", h.broadcastChange(models.ActionCancel))
	ed.POST("/broadcasts/:id/delete", h.broadcastDelete)
	ed.POST("/broadcasts/:id/copy", h.broadcastCopy)
	a.POST("/broadcasts/:id/approve", web.RequireRole(models.RoleAdmin), h.broadcastApprove)
}

var bcFlashes = []string{"bc.flash.saved", "bc.flash.scheduled", "bc.flash.pending", "bc.flash.approved",
	"bc.flash.pause", "bc.flash.resume", "bc.flash.cancel", "bc.flash.deleted", "bc.flash.copied"}

func (h *Handler) bcPage(c *gin.Context, title string, data any) templates.Page {
	p := h.page(c, "broadcasts", title, data)
	if k := c.Query("ok"); slices.Contains(bcFlashes, k) {
		p.Flash = k
	}
	return p
}

func bcPath(id uint64) string { return Base + "/broadcasts/" + strconv.FormatUint(id, 10) }

func (h *Handler) broadcastsList(c *gin.Context) {
	list, err := h.Store.ListBroadcasts(c.Request.Context(), 200)
	if err != nil {
		web.Error(c, err)
		return
	}
	segs, err := h.Store.ListSegments(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	names := map[string]string{}
	for _, sg := range segs {
		names[strconv.FormatUint(sg.ID, 10)] = sg.Name
	}
	audience := map[uint64]string{}
	for _, b := range list {
		audience[b.ID] = h.audienceName(c, b.Audience, b.AudienceRef, names)
	}
	status, err := h.listStatuses(c, list)
	if err != nil {
		web.Error(c, err)
		return
	}
	h.render(c, http.StatusOK, "broadcasts", h.bcPage(c, "bc.title", gin.H{"Rows": list, "Audience": audience, "Status": status, "CanEdit": canEditCRM(c)}))
}

// audienceName is how people know a broadcast's audience: the segment's
// name (not its id), the stage's label, the tag as typed. segments maps
// segment ids to names; a deleted segment shows its id.
func (h *Handler) audienceName(c *gin.Context, audience, ref string, segments map[string]string) string {
	switch audience {
	case models.AudienceSegment:
		if n, ok := segments[ref]; ok {
			return n
		}
	case models.AudienceStage:
		return h.Pages.T(h.lang(c), "crm.stage."+ref)
	}
	return ref
}

// bcForm is the compose form as typed.
type bcForm struct {
	ID                                     uint64
	Name, Kind, Text, MediaID, TemplateID  string
	TemplateData                           string // key=value lines
	Audience, Tag, Segment, Stage, OpenIDs string
	Channel                                string
	Error                                  string
	// CanEdit: the reader may save (agents only look); Locked: the
	// broadcast's state allows no change (sent, cancelled).
	CanEdit, Locked bool
	Segments        []models.Segment
	Stages          []string
	// Account decides what "automatic" picks (the live warning about
	// variables in a mass send); VarsProblem is why a stored broadcast's
	// variables cannot be sent.
	Account, VarsProblem string
	// NewsCards are the 图文 drafts a news broadcast may pick (news.go).
	NewsCards []newsCard
}

func (h *Handler) renderBroadcastForm(c *gin.Context, status int, f bcForm) {
	var err error
	if f.Segments, err = h.Store.ListSegments(c.Request.Context()); err != nil {
		web.Error(c, err)
		return
	}
	f.Stages = models.Stages
	f.NewsCards = h.newsCards(c)
	f.CanEdit = canEditCRM(c)
	if f.Account = h.Policy.AccountType; f.Account == "" {
		f.Account = models.AccountService
	}
	h.render(c, status, "broadcast_edit", h.bcPage(c, "bc.compose", f))
}

func (h *Handler) broadcastNew(c *gin.Context) {
	h.renderBroadcastForm(c, http.StatusOK, bcForm{Kind: models.BroadcastText, Audience: models.AudienceAll, Segment: c.Query("segment")})
}

func (h *Handler) broadcastEdit(c *gin.Context) {
	b, ok := h.loadBroadcast(c)
	if !ok {
		return
	}
	r, _ := b.Reply()
	f := bcForm{ID: b.ID, Name: b.Name, Kind: b.Kind, MediaID: r.MediaID, TemplateID: b.TemplateID, Audience: b.Audience,
		OpenIDs: b.OpenIDs, Channel: b.Channel, Locked: !b.Editable()}
	if err := b.VarsProblem(); err != nil {
		f.VarsProblem = h.errFor(c, err)
	}
	if b.Kind == models.BroadcastText {
		f.Text = r.Text
	}
	var lines []string
	for k, v := range b.TemplateFields() {
		lines = append(lines, k+"="+v)
	}
	slices.Sort(lines)
	f.TemplateData = strings.Join(lines, "\n")
	switch b.Audience {
	case models.AudienceTag:
		f.Tag = b.AudienceRef
	case models.AudienceSegment:
		f.Segment = b.AudienceRef
	case models.AudienceStage:
		f.Stage = b.AudienceRef
	}
	h.renderBroadcastForm(c, http.StatusOK, f)
}

func (h *Handler) loadBroadcast(c *gin.Context) (*models.Broadcast, bool) {
	id, err := idParam(c, "id")
	var b *models.Broadcast
	if err == nil {
		b, err = h.Store.FindBroadcast(c.Request.Context(), id)
	}
	if err != nil {
		web.Error(c, err)
		return nil, false
	}
	return b, true
}

// broadcastSave stores the compose form (a new draft or an edit).
func (h *Handler) broadcastSave(c *gin.Context) {
	f, in, ok := h.readBroadcastForm(c)
	if !ok {
		return
	}
	b, err := h.Store.SaveBroadcast(c.Request.Context(), f.ID, in, web.CurrentStaff(c).ID, h.Policy)
	if code := models.ErrorCode(err); code == models.EINVALID || code == models.ECONFLICT {
		f.Error = h.broadcastRefusal(c, err)
		h.renderBroadcastForm(c, http.StatusBadRequest, f)
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "broadcast.save", b.Name, "id="+strconv.FormatUint(b.ID, 10))
	redirect(c, bcPath(b.ID), "bc.flash.saved")
}

// broadcastRefusal is why a draft was refused, for the form: an openid
// list over the limit in the staff member's language, else the model's
// message.
func (h *Handler) broadcastRefusal(c *gin.Context, err error) string {
	if errors.Is(err, models.ErrOpenIDListTooLarge) {
		return h.Pages.T(h.lang(c), "bc.file_too_big")
	}
	return h.errFor(c, err)
}

// readBroadcastForm reads the compose form (and an uploaded openid list)
// into what SaveBroadcast and PlanDraft take. A file that is too big
// re-renders the form with the error, and ok is false.
func (h *Handler) readBroadcastForm(c *gin.Context) (bcForm, models.BroadcastInput, bool) {
	f := bcForm{Name: c.PostForm("name"), Kind: c.PostForm("kind"), Text: c.PostForm("text"), MediaID: c.PostForm("media_id"),
		TemplateID: c.PostForm("template_id"), TemplateData: c.PostForm("template_data"), Audience: c.PostForm("audience"),
		Tag: c.PostForm("tag"), Segment: c.PostForm("segment"), Stage: c.PostForm("stage"), OpenIDs: c.PostForm("openids"),
		Channel: c.PostForm("channel")}
	if c.Param("id") != "" { // an edit
		id, err := idParam(c, "id")
		if err != nil {
			web.Error(c, err)
			return f, models.BroadcastInput{}, false
		}
		f.ID = id
	}
	if list, ok, err := uploadedList(c); models.ErrorCode(err) == models.EINVALID {
		f.Error = h.Pages.T(h.lang(c), "bc.file_too_big")
		if c.GetHeader("HX-Request") == "true" {
			h.fragment(c, "broadcast_edit", "bc_plan_live", gin.H{"Error": f.Error})
		} else {
			h.renderBroadcastForm(c, http.StatusBadRequest, f)
		}
		return f, models.BroadcastInput{}, false
	} else if err != nil {
		web.Error(c, err)
		return f, models.BroadcastInput{}, false
	} else if ok {
		f.OpenIDs, f.Audience = list, models.AudienceOpenIDs
	}
	in := models.BroadcastInput{Name: f.Name, Kind: f.Kind, Text: f.Text, MediaID: f.MediaID, TemplateID: f.TemplateID,
		TemplateData: parseFields(f.TemplateData), Audience: f.Audience, OpenIDs: models.ParseOpenIDs(f.OpenIDs), Channel: f.Channel}
	switch f.Audience {
	case models.AudienceTag:
		in.AudienceRef = f.Tag
	case models.AudienceSegment:
		in.AudienceRef = f.Segment
	case models.AudienceStage:
		in.AudienceRef = f.Stage
	}
	return f, in, true
}

// broadcastPlan answers the compose form's "estimate audience" (htmx): the
// audience as it stands in the form, counted by channel, without saving.
// An audience that is not complete yet (no tag chosen, say) shows why.
func (h *Handler) broadcastPlan(c *gin.Context) {
	_, in, ok := h.readBroadcastForm(c)
	if !ok {
		return
	}
	plan, err := h.Store.PlanDraft(c.Request.Context(), in, h.Policy, models.DefaultWindowRules)
	if models.ErrorCode(err) == models.EINVALID {
		h.fragment(c, "broadcast_edit", "bc_plan_live", gin.H{"Error": h.broadcastRefusal(c, err)})
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	h.fragment(c, "broadcast_edit", "bc_plan_live", gin.H{"Plan": h.planView(c, plan), "Now": h.startOf(h.Now())})
}

// maxUpload bounds an uploaded openid list: the most a broadcast takes.
const maxUpload = models.MaxOpenIDList

// uploadedList reads the uploaded openid file, if one was sent; a file over
// maxUpload is refused.
func uploadedList(c *gin.Context) (string, bool, error) {
	file, err := c.FormFile("openid_file")
	if err != nil || file.Size == 0 {
		return "", false, nil
	}
	if file.Size > maxUpload {
		return "", false, models.ErrOpenIDListTooLarge
	}
	fh, err := file.Open()
	if err != nil {
		return "", false, err
	}
	defer fh.Close()
	raw, err := io.ReadAll(io.LimitReader(fh, maxUpload))
	return string(raw), err == nil, err
}

// parseFields reads "key=value" lines.
func parseFields(s string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.TrimSpace(k) != "" {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// bcData is a broadcast's page.
type bcData struct {
	B                   *models.Broadcast
	Reply               models.Reply
	Plan                bcPlanView
	Runs                []bcRun
	Previews            []previewRow
	PreviewTo, At, Cron string
	Error               string
	CanEdit, CanApprove bool
	Zone                string
	// Audience names the tag, segment or stage; Live keeps the runs block
	// refreshing while a run may start or is under way.
	Audience string
	Live     bool
	// Active: a run is under way (a started one-off may still be paused).
	Active bool
	// VarsProblem: the stored message has variables it cannot send (a mass
	// send saved with {{.Name}} before the check); it will not go out.
	VarsProblem string
	// Status is the title's badge; Next says whether quiet hours hold the
	// next run, NowQuiet whether they hold a send started now.
	Status         bcStatus
	Next, NowQuiet bcStart
}

type previewRow struct {
	OpenID, Error string
	ErrCode       int
}

func (h *Handler) broadcastData(c *gin.Context, b *models.Broadcast) (bcData, error) {
	ctx := c.Request.Context()
	d := bcData{B: b, CanEdit: canEditCRM(c), CanApprove: web.HasRole(web.CurrentStaff(c), models.RoleAdmin), Zone: h.Loc.String()}
	d.Reply, _ = b.Reply()
	if verr := b.VarsProblem(); verr != nil && b.State != models.BroadcastSent && b.State != models.BroadcastCancelled {
		d.VarsProblem = h.Pages.T(h.lang(c), "bc.vars_held", h.errFor(c, verr))
	}
	var err error
	plan, err := h.Store.PlanAudience(ctx, b, h.Policy, models.DefaultWindowRules)
	if err != nil {
		return d, err
	}
	d.Plan = h.planView(c, plan)
	runs, err := h.Store.RecentRunProgress(ctx, b.ID)
	d.Runs = runViews(h.quiet().RunStatuses(runs, h.Now()))
	d.Status = bcStatus{State: b.State}
	if len(d.Runs) > 0 {
		d.Status.Run = &d.Runs[0].BroadcastProgress
	}
	if b.NextRunAt != nil {
		d.Next = h.startOf(*b.NextRunAt)
	}
	d.NowQuiet = h.startOf(h.Now())
	d.At = h.Now().In(h.Loc).Add(5 * time.Minute).Format("2006-01-02T15:04")
	names := map[string]string{}
	if b.Audience == models.AudienceSegment {
		if id, perr := strconv.ParseUint(b.AudienceRef, 10, 64); perr == nil {
			if sg, ferr := h.Store.FindSegment(ctx, id); ferr == nil {
				names[b.AudienceRef] = sg.Name
			}
		}
	}
	d.Audience = h.audienceName(c, b.Audience, b.AudienceRef, names)
	d.Live = b.State == models.BroadcastScheduled
	for _, r := range d.Runs {
		if r.State != models.RunDone {
			d.Live, d.Active = true, true
		}
	}
	return d, err
}

// broadcastPage shows a broadcast: content, audience by channel, preview,
// schedule and approval, the runs with live progress (htmx polls the page
// and swaps the #runs block while a run is going).
func (h *Handler) broadcastPage(c *gin.Context) {
	b, ok := h.loadBroadcast(c)
	if !ok {
		return
	}
	d, err := h.broadcastData(c, b)
	if err != nil {
		web.Error(c, err)
		return
	}
	h.render(c, http.StatusOK, "broadcast", h.bcPage(c, "bc.title", d))
}

func (h *Handler) broadcastPreview(c *gin.Context) {
	b, ok := h.loadBroadcast(c)
	if !ok {
		return
	}
	d, err := h.broadcastData(c, b)
	if err != nil {
		web.Error(c, err)
		return
	}
	d.PreviewTo = c.PostForm("openids")
	ids := models.ParseOpenIDs(d.PreviewTo)
	status := http.StatusOK
	switch {
	case h.Mass == nil:
		status, d.Error = http.StatusConflict, h.Pages.T(h.lang(c), "bc.no_wechat")
	case len(ids) == 0 || len(ids) > models.MaxPreviewFans:
		status, d.Error = http.StatusBadRequest, h.Pages.T(h.lang(c), "bc.preview_count")
	case b.VarsProblem() != nil:
		status, d.Error = http.StatusBadRequest, h.errFor(c, b.VarsProblem())
	default:
		for _, id := range ids {
			// Each test fan sees the message filled in with their own name, points, ….
			fb, err := h.Store.BroadcastFor(c.Request.Context(), b, id)
			if err == nil {
				err = h.Mass.PreviewBroadcast(c.Request.Context(), id, fb)
			}
			code, msg := wechat.Describe(err)
			d.Previews = append(d.Previews, previewRow{OpenID: id, ErrCode: code, Error: msg})
		}
		web.Audit(c, h.Store, "broadcast.preview", b.Name, "id="+strconv.FormatUint(b.ID, 10)+" to="+strings.Join(ids, ","))
	}
	h.render(c, status, "broadcast", h.bcPage(c, "bc.title", d))
}

func (h *Handler) broadcastSchedule(c *gin.Context) {
	b, ok := h.loadBroadcast(c)
	if !ok {
		return
	}
	sc := models.BroadcastSchedule{Cron: strings.TrimSpace(c.PostForm("cron"))}
	var err error
	if c.PostForm("now") != "" {
		// 立即发送: a one-off due now; the broadcasts job starts it on its
		// next tick, through the same quota and approval checks as a schedule.
		now := h.Now()
		sc = models.BroadcastSchedule{At: &now}
	} else if sc.Cron == "" {
		at, perr := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(c.PostForm("at")), h.Loc)
		if perr != nil {
			err = models.Errorf(models.EINVALID, "choose a time or a cron expression")
		}
		sc.At = &at
	}
	var out *models.Broadcast
	if err == nil {
		out, err = h.Store.ScheduleBroadcast(c.Request.Context(), b.ID, sc, web.CurrentStaff(c), h.Policy)
	}
	if code := models.ErrorCode(err); code == models.EINVALID || code == models.ECONFLICT {
		d, derr := h.broadcastData(c, b)
		if derr != nil {
			web.Error(c, derr)
			return
		}
		d.Error, d.At, d.Cron = h.errFor(c, err), c.PostForm("at"), sc.Cron
		h.render(c, http.StatusBadRequest, "broadcast", h.bcPage(c, "bc.title", d))
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "broadcast.schedule", out.Name, "id="+strconv.FormatUint(out.ID, 10)+" state="+out.State)
	flash := "bc.flash.scheduled"
	if out.State == models.BroadcastPending {
		flash = "bc.flash.pending"
	}
	redirect(c, bcPath(out.ID), flash)
}

func (h *Handler) broadcastApprove(c *gin.Context) {
	b, ok := h.loadBroadcast(c)
	if !ok {
		return
	}
	if _, err := h.Store.ApproveBroadcast(c.Request.Context(), b.ID, web.CurrentStaff(c), h.Policy); err != nil {
		h.broadcastActionError(c, b, err)
		return
	}
	web.Audit(c, h.Store, "broadcast.approve", b.Name, "id="+strconv.FormatUint(b.ID, 10))
	redirect(c, bcPath(b.ID), "bc.flash.approved")
}

func (h *Handler) broadcastChange(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		b, ok := h.loadBroadcast(c)
		if !ok {
			return
		}
		if _, err := h.Store.ChangeBroadcast(c.Request.Context(), b.ID, action, h.Policy); err != nil {
			h.broadcastActionError(c, b, err)
			return
		}
		web.Audit(c, h.Store, "broadcast."+action, b.Name, "id="+strconv.FormatUint(b.ID, 10))
		redirect(c, bcPath(b.ID), "bc.flash."+action)
	}
}

// broadcastDelete deletes a draft or cancelled broadcast that never ran.
func (h *Handler) broadcastDelete(c *gin.Context) {
	b, ok := h.loadBroadcast(c)
	if !ok {
		return
	}
	if err := h.Store.DeleteBroadcast(c.Request.Context(), b.ID); err != nil {
		h.broadcastActionError(c, b, err)
		return
	}
	web.Audit(c, h.Store, "broadcast.delete", b.Name, "id="+strconv.FormatUint(b.ID, 10))
	redirect(c, Base+"/broadcasts", "bc.flash.deleted")
}

// broadcastCopy makes a new draft from a broadcast (a cancelled one cannot
// be edited or scheduled again) and opens its form.
func (h *Handler) broadcastCopy(c *gin.Context) {
	b, ok := h.loadBroadcast(c)
	if !ok {
		return
	}
	n, err := h.Store.CopyBroadcast(c.Request.Context(), b.ID, h.Pages.T(h.lang(c), "bc.copy_name", b.Name), web.CurrentStaff(c).ID)
	if err != nil {
		h.broadcastActionError(c, b, err)
		return
	}
	web.Audit(c, h.Store, "broadcast.copy", n.Name, "id="+strconv.FormatUint(n.ID, 10)+" from="+strconv.FormatUint(b.ID, 10))
	redirect(c, bcPath(n.ID)+"/edit", "bc.flash.copied")
}

// broadcastActionError shows a refused action on the broadcast's page.
func (h *Handler) broadcastActionError(c *gin.Context, b *models.Broadcast, err error) {
	code := models.ErrorCode(err)
	if code != models.EINVALID && code != models.ECONFLICT {
		web.Error(c, err)
		return
	}
	d, derr := h.broadcastData(c, b)
	if derr != nil {
		web.Error(c, derr)
		return
	}
	d.Error = h.errFor(c, err)
	h.render(c, http.StatusConflict, "broadcast", h.bcPage(c, "bc.title", d))
}

// broadcastReport is a run's final report.
func (h *Handler) broadcastReport(c *gin.Context) {
	b, ok := h.loadBroadcast(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	rid, err := idParam(c, "run")
	var run *models.BroadcastRun
	if err == nil {
		run, err = h.Store.FindBroadcastRun(ctx, rid)
	}
	if err == nil && run.BroadcastID != b.ID {
		err = models.Errorf(models.ENOTFOUND, "no such run")
	}
	var rep models.BroadcastReport
	if err == nil {
		rep, err = h.Store.RunReport(ctx, run)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	rep.BroadcastProgress = h.quiet().RunStatus(rep.BroadcastProgress, h.Now())
	failures, skips := h.reportReasons(c, rep)
	h.render(c, http.StatusOK, "broadcast_report", h.bcPage(c, "bc.report", gin.H{"B": b, "R": rep, "Failures": failures, "Skips": skips, "Bar": runView(rep.BroadcastProgress)}))
}
