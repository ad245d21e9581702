package console

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/templates"
)

// registerCare adds the care journeys (客户关怀): the list, the editor, the
// flow view and the keyword interests. Every role may look; marketers and
// admins change things.
func (h *Handler) registerCare(a *gin.RouterGroup) {
	ed := a.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer))
	a.GET("/journeys", h.journeysList)
	a.GET("/journeys/new", h.journeyNew)
	a.GET("/journeys/interests", h.interestsPage)
	a.GET("/journeys/:id", h.journeyFlow)
	a.GET("/journeys/:id/edit", h.journeyEdit)
	ed.POST("/journeys/new", h.journeyCreate)
	ed.POST("/journeys/:id", h.journeyUpdate)
	ed.POST("/journeys/:id/delete", h.journeyDelete)
	ed.POST("/journeys/interests", h.interestCreate)
	ed.POST("/journeys/interests/:id", h.interestUpdate)
	ed.POST("/journeys/interests/:id/delete", h.interestDelete)
}

// journeyRow is one line of the journeys list.
type journeyRow struct {
	models.Journey
	Flow models.JourneyFlow
}

type journeysData struct {
	Rows    []journeyRow
	CanEdit bool
}

// journeysList shows every journey with how many entered, are in it now
// and met the goal.
func (h *Handler) journeysList(c *gin.Context) {
	ctx := c.Request.Context()
	list, err := h.Store.ListJourneys(ctx, false)
	if err != nil {
		web.Error(c, err)
		return
	}
	d := journeysData{CanEdit: canEditCRM(c)}
	for i := range list {
		f, err := h.Store.Flow(ctx, &list[i])
		if err != nil {
			web.Error(c, err)
			return
		}
		d.Rows = append(d.Rows, journeyRow{Journey: list[i], Flow: f})
	}
	h.render(c, http.StatusOK, "journeys", h.carePage(c, "care.title", d))
}

// carePage is crmPage with the care notices and the care nav item.
func (h *Handler) carePage(c *gin.Context, title string, data any) templates.Page {
	p := h.crmPage(c, "journeys", title, data)
	if k := c.Query("ok"); k == "care.flash.saved" || k == "care.flash.deleted" || k == "care.flash.interest" {
		p.Flash = k
	}
	return p
}

// journeyFlowData is the flow view.
type journeyFlowData struct {
	Journey *models.Journey
	Flow    models.JourneyFlow
	Steps   []stepView
	Members []models.EnrollmentRow
	CanEdit bool
}

// stepView is one box of the flow.
type stepView struct {
	After, Text string
	Cond        *models.SegmentFilter
	models.StepFlow
}

// journeyFlow draws a journey as a flow: members at each step, how each
// step went, exits and goal conversion.
func (h *Handler) journeyFlow(c *gin.Context) {
	j, ok := h.findJourney(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	f, err := h.Store.Flow(ctx, j)
	var members []models.EnrollmentRow
	if err == nil {
		members, err = h.Store.RecentEnrollments(ctx, j, 50)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	d := journeyFlowData{Journey: j, Flow: f, Members: members, CanEdit: canEditCRM(c)}
	for i := range j.Steps {
		st := &j.Steps[i]
		d.Steps = append(d.Steps, stepView{After: models.FormatAfter(st.AfterMinutes), Text: st.Reply().Summary(), Cond: st.Filter(), StepFlow: f.Steps[i]})
	}
	h.render(c, http.StatusOK, "journey", h.carePage(c, "care.flow.title", d))
}

func (h *Handler) findJourney(c *gin.Context) (*models.Journey, bool) {
	id, err := idParam(c, "id")
	var j *models.Journey
	if err == nil {
		j, err = h.Store.FindJourney(c.Request.Context(), id)
	}
	if err != nil {
		web.Error(c, err)
		return nil, false
	}
	return j, true
}

// journeyEditData is the editor.
type journeyEditData struct {
	ID       uint64
	Form     journeyForm
	Error    string
	CanEdit  bool
	Triggers []string
	Goals    []string
	Stages   []string
	Levels   []string
	Tags     []string // interest tags, as hints
}

func (h *Handler) journeyNew(c *gin.Context) {
	h.journeyEditor(c, http.StatusOK, journeyEditData{Form: newJourneyForm()}, nil)
}

func (h *Handler) journeyEdit(c *gin.Context) {
	j, ok := h.findJourney(c)
	if !ok {
		return
	}
	h.journeyEditor(c, http.StatusOK, journeyEditData{ID: j.ID, Form: journeyFormFrom(j)}, nil)
}

// journeyEditor renders the editor; err (a known error) shows above it.
func (h *Handler) journeyEditor(c *gin.Context, status int, d journeyEditData, err error) {
	d.CanEdit, d.Triggers, d.Goals, d.Stages, d.Levels = canEditCRM(c), models.Triggers, models.Goals, models.Stages, models.Levels
	if err != nil {
		d.Error = h.errFor(c, err)
	}
	if list, err := h.Store.ListInterests(c.Request.Context()); err == nil {
		for _, in := range list {
			d.Tags = append(d.Tags, in.Tag)
		}
	}
	title := "care.edit.edit_title"
	if d.ID == 0 {
		title = "care.edit.new_title"
	}
	h.render(c, status, "journey_edit", h.carePage(c, title, d))
}

func (h *Handler) journeyCreate(c *gin.Context) { h.journeySave(c, 0) }

func (h *Handler) journeyUpdate(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		web.Error(c, err)
		return
	}
	h.journeySave(c, id)
}

// journeySave stores the journey (audited). "Add a step" and a refused
// form show the form again exactly as typed.
func (h *Handler) journeySave(c *gin.Context, id uint64) {
	v := postForm(c)
	form := parseJourneyForm(v)
	if v.Get("add_step") != "" {
		form.Steps = append(form.Steps, stepForm{})
		h.journeyEditor(c, http.StatusOK, journeyEditData{ID: id, Form: form}, nil)
		return
	}
	n, err := form.journey()
	var j *models.Journey
	if err == nil {
		n.StaffID = web.CurrentStaff(c).ID
		j, err = h.Store.SaveJourney(c.Request.Context(), id, n)
	}
	switch code := models.ErrorCode(err); {
	case err == nil:
	case code == models.EINVALID || code == models.ECONFLICT:
		h.journeyEditor(c, web.Status(code), journeyEditData{ID: id, Form: form}, err)
		return
	default:
		web.Error(c, err)
		return
	}
	action := map[bool]string{true: "journey.create", false: "journey.update"}[id == 0]
	web.Audit(c, h.Store, action, j.Name, "id="+strconv.FormatUint(j.ID, 10)+" trigger="+j.Trigger+" state="+j.State)
	redirect(c, Base+"/journeys/"+strconv.FormatUint(j.ID, 10), "care.flash.saved")
}

// journeyDelete removes a journey and its enrolments (audited); the
// messages already sent stay in the conversations.
func (h *Handler) journeyDelete(c *gin.Context) {
	j, ok := h.findJourney(c)
	if !ok {
		return
	}
	if err := h.Store.DeleteJourney(c.Request.Context(), j.ID); err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "journey.delete", j.Name, "id="+strconv.FormatUint(j.ID, 10))
	redirect(c, Base+"/journeys", "care.flash.deleted")
}
