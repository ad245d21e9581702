package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// Journey is a care journey with its steps and its flow.
type Journey struct {
	ID           uint64             `json:"id"`
	Name         string             `json:"name"`
	State        string             `json:"state"`
	Trigger      string             `json:"trigger"`
	TriggerValue string             `json:"trigger_value,omitempty"`
	Goal         string             `json:"goal,omitempty"`
	GoalValue    string             `json:"goal_value,omitempty"`
	ReEntry      string             `json:"re_entry"`
	Steps        []JourneyStep      `json:"steps"`
	Flow         models.JourneyFlow `json:"flow"`
	UpdatedAt    time.Time          `json:"updated_at"`
}

// JourneyStep is one step as the API reads and writes it.
type JourneyStep struct {
	After        string                `json:"after"` // "0", "3d", "12h", "1d12h"
	Message      models.Reply          `json:"message"`
	Condition    *models.SegmentFilter `json:"condition,omitempty"`
	TemplateID   string                `json:"template_id,omitempty"`
	TemplateData map[string]string     `json:"template_data,omitempty"`
}

// JourneyRequest is the body of POST /journeys and PUT /journeys/:id.
type JourneyRequest struct {
	Name         string        `json:"name"`
	State        string        `json:"state"` // active (default) or paused
	Trigger      string        `json:"trigger"`
	TriggerValue string        `json:"trigger_value"`
	Goal         string        `json:"goal"`
	GoalValue    string        `json:"goal_value"`
	ReEntry      string        `json:"re_entry"`
	Steps        []JourneyStep `json:"steps"`
}

// InterestRequest is the body of POST /interests and PUT /interests/:id;
// Interest is what the API answers.
type InterestRequest struct {
	Name     string   `json:"name"`
	Keywords []string `json:"keywords"`
	Tag      string   `json:"tag"`
}

// Interest is a keyword interest.
type Interest struct {
	ID       uint64   `json:"id"`
	Name     string   `json:"name"`
	Keywords []string `json:"keywords"`
	Tag      string   `json:"tag"`
}

func (h *Handler) registerCare(g, ed *gin.RouterGroup) {
	g.GET("/journeys", h.journeysList)
	g.GET("/journeys/:id", h.journeyGet)
	g.GET("/journeys/:id/members", h.journeyMembers)
	ed.POST("/journeys", h.journeyCreate)
	ed.PUT("/journeys/:id", h.journeyUpdate)
	ed.DELETE("/journeys/:id", h.journeyDelete)
	g.GET("/interests", h.interestsList)
	ed.POST("/interests", h.interestCreate)
	ed.PUT("/interests/:id", h.interestUpdate)
	ed.DELETE("/interests/:id", h.interestDelete)
}

// journeyOut adds the flow to a stored journey.
func (h *Handler) journeyOut(c *gin.Context, j *models.Journey) (Journey, error) {
	f, err := h.Store.Flow(c.Request.Context(), j)
	out := Journey{ID: j.ID, Name: j.Name, State: j.State, Trigger: j.Trigger, TriggerValue: j.TriggerValue, Goal: j.Goal,
		GoalValue: j.GoalValue, ReEntry: j.ReEntry, Flow: f, UpdatedAt: j.UpdatedAt, Steps: make([]JourneyStep, 0, len(j.Steps))}
	for i := range j.Steps {
		st := &j.Steps[i]
		out.Steps = append(out.Steps, JourneyStep{After: models.FormatAfter(st.AfterMinutes), Message: st.Reply(),
			Condition: st.Filter(), TemplateID: st.TemplateID, TemplateData: st.TemplateFields()})
	}
	return out, err
}

func (h *Handler) journeysList(c *gin.Context) {
	list, err := h.Store.ListJourneys(c.Request.Context(), false)
	respondListErr(c, list, err, func(m *models.Journey) (Journey, error) { return h.journeyOut(c, m) })
}

// findJourney resolves :id, answering the error itself.
func (h *Handler) findJourney(c *gin.Context) (*models.Journey, bool) {
	return findByID(c, h.Store.FindJourney)
}

func (h *Handler) journeyGet(c *gin.Context) {
	respondOne(c, h.Store.FindJourney, func(m *models.Journey) (Journey, error) { return h.journeyOut(c, m) })
}

// journeyMembers lists the latest enrolments (?limit= 1-200, default 50).
func (h *Handler) journeyMembers(c *gin.Context) {
	limit, _, err := paging(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	j, ok := h.findJourney(c)
	if !ok {
		return
	}
	rows, err := h.Store.RecentEnrollments(c.Request.Context(), j, limit)
	if err != nil {
		web.Error(c, err)
		return
	}
	if rows == nil {
		rows = []models.EnrollmentRow{}
	}
	c.JSON(http.StatusOK, List[models.EnrollmentRow]{Items: rows})
}

func (h *Handler) journeyCreate(c *gin.Context) { h.journeySave(c, 0) }

func (h *Handler) journeyUpdate(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	h.journeySave(c, id)
}

// journeySave creates or replaces a journey (audited).
func (h *Handler) journeySave(c *gin.Context, id uint64) {
	var req JourneyRequest
	if !bindJSON(c, &req) {
		return
	}
	if req.State != "" && req.State != models.JourneyActive && req.State != models.JourneyPaused {
		web.Errorf(c, models.EINVALID, "state must be %q or %q", models.JourneyActive, models.JourneyPaused)
		return
	}
	n := models.NewJourney{Name: req.Name, Paused: req.State == models.JourneyPaused, Trigger: req.Trigger, TriggerVal: req.TriggerValue,
		Goal: req.Goal, GoalVal: req.GoalValue, ReEntry: req.ReEntry, StaffID: web.CurrentStaff(c).ID}
	for _, st := range req.Steps {
		n.Steps = append(n.Steps, models.NewStep{After: st.After, Reply: st.Message, Condition: st.Condition,
			TemplateID: st.TemplateID, TemplateData: st.TemplateData})
	}
	j, err := h.Store.SaveJourney(c.Request.Context(), id, n)
	if err == nil {
		j, err = h.Store.FindJourney(c.Request.Context(), j.ID)
	}
	var out Journey
	if err == nil {
		out, err = h.journeyOut(c, j)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	status, action := http.StatusOK, "journey.update"
	if id == 0 {
		status, action = http.StatusCreated, "journey.create"
		c.Header("Location", "/api/v1/journeys/"+strconv.FormatUint(j.ID, 10))
	}
	web.Audit(c, h.Store, action, j.Name, "id="+strconv.FormatUint(j.ID, 10)+" trigger="+j.Trigger+" state="+j.State+" via API")
	c.JSON(status, out)
}

func (h *Handler) journeyDelete(c *gin.Context) {
	j, ok := h.findJourney(c)
	if !ok {
		return
	}
	if err := h.Store.DeleteJourney(c.Request.Context(), j.ID); err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "journey.delete", j.Name, "id="+strconv.FormatUint(j.ID, 10)+" via API")
	c.Status(http.StatusNoContent)
}

func interestOut(in *models.Interest) Interest {
	return Interest{ID: in.ID, Name: in.Name, Keywords: in.Words(), Tag: in.Tag}
}

func (h *Handler) interestsList(c *gin.Context) {
	list, err := h.Store.ListInterests(c.Request.Context())
	respondList(c, list, err, interestOut)
}

func (h *Handler) interestCreate(c *gin.Context) { h.interestSave(c, 0) }

func (h *Handler) interestUpdate(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	h.interestSave(c, id)
}

func (h *Handler) interestSave(c *gin.Context, id uint64) {
	var req InterestRequest
	if !bindJSON(c, &req) {
		return
	}
	in, err := h.Store.SaveInterest(c.Request.Context(), id, models.NewInterest{Name: req.Name, Keywords: req.Keywords, Tag: req.Tag})
	if err == nil {
		in, err = h.Store.FindInterest(c.Request.Context(), in.ID)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
		c.Header("Location", "/api/v1/interests/"+strconv.FormatUint(in.ID, 10))
	}
	web.Audit(c, h.Store, "interest.save", in.Name, "tag="+in.Tag+" keywords="+in.Keywords+" via API")
	c.JSON(status, interestOut(in))
}

func (h *Handler) interestDelete(c *gin.Context) {
	id, err := idParam(c)
	if err == nil {
		err = h.Store.DeleteInterest(c.Request.Context(), id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "interest.delete", "", "id="+strconv.FormatUint(id, 10)+" via API")
	c.Status(http.StatusNoContent)
}
