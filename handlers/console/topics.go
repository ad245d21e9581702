package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// localMinute is how <input type="datetime-local"> sends a time.
const localMinute = "2006-01-02T15:04"

// topicForm is the topic form as typed; times are in the account zone.
type topicForm struct {
	ID               uint64
	Keyword, Title   string
	Prompt           string
	StartsAt, EndsAt string
	Points           string
	Error            string
}

// topicRow is a topic with where it stands now.
type topicRow struct {
	models.Topic
	State string // upcoming, running, ended
}

type topicsData struct {
	Rows    []topicRow
	Form    topicForm
	CanEdit bool
}

func topicState(t models.Topic, now time.Time) string {
	switch {
	case now.Before(t.StartsAt):
		return "upcoming"
	case now.Before(t.EndsAt):
		return "running"
	}
	return "ended"
}

func (h *Handler) topicsList(c *gin.Context) {
	now := h.Now().In(h.Loc)
	h.renderTopics(c, http.StatusOK, topicForm{StartsAt: now.Format(localMinute), EndsAt: now.AddDate(0, 0, 7).Format(localMinute), Points: "10"})
}

// renderTopics lists the topics under the new-topic form (as typed).
func (h *Handler) renderTopics(c *gin.Context, status int, f topicForm) {
	list, err := h.Store.ListTopics(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	d := topicsData{Form: f, CanEdit: canEditCRM(c)}
	for _, t := range list {
		d.Rows = append(d.Rows, topicRow{Topic: t, State: topicState(t, h.Now())})
	}
	h.render(c, status, "topics", h.crmPage(c, "campaigns", "crm.topics.title", d))
}

func parseTopicForm(c *gin.Context) topicForm {
	return topicForm{Keyword: strings.TrimSpace(c.PostForm("keyword")), Title: strings.TrimSpace(c.PostForm("title")),
		Prompt: strings.TrimSpace(c.PostForm("prompt")), StartsAt: c.PostForm("starts_at"), EndsAt: c.PostForm("ends_at"),
		Points: strings.TrimSpace(c.PostForm("points"))}
}

// topic reads the form's times (account zone) and points.
func (f topicForm) topic(loc *time.Location) (models.Topic, error) {
	t := models.Topic{ID: f.ID, Keyword: f.Keyword, Title: f.Title, Prompt: f.Prompt}
	var err error
	if t.StartsAt, err = time.ParseInLocation(localMinute, f.StartsAt, loc); err != nil {
		return t, models.Errorf(models.EINVALID, "the start must be a date and time")
	}
	if t.EndsAt, err = time.ParseInLocation(localMinute, f.EndsAt, loc); err != nil {
		return t, models.Errorf(models.EINVALID, "the end must be a date and time")
	}
	t.StartsAt, t.EndsAt = t.StartsAt.UTC(), t.EndsAt.UTC()
	points, err := intField(f.Points, "points")
	if points != nil {
		t.Points = *points
	}
	return t, err
}

func topicFormFrom(t *models.Topic, loc *time.Location) topicForm {
	return topicForm{ID: t.ID, Keyword: t.Keyword, Title: t.Title, Prompt: t.Prompt, StartsAt: t.StartsAt.In(loc).Format(localMinute),
		EndsAt: t.EndsAt.In(loc).Format(localMinute), Points: strconv.FormatInt(t.Points, 10)}
}

// topicCreate starts a topic (audited); a refused form comes back as typed.
func (h *Handler) topicCreate(c *gin.Context) {
	f := parseTopicForm(c)
	t, err := f.topic(h.Loc)
	var saved *models.Topic
	if err == nil {
		saved, err = h.Store.SaveTopic(c.Request.Context(), t)
	}
	if models.ErrorCode(err) == models.EINVALID {
		f.Error = h.errFor(c, err)
		h.renderTopics(c, http.StatusBadRequest, f)
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "topic.create", saved.Title, "id="+strconv.FormatUint(saved.ID, 10)+" keyword="+saved.Keyword)
	redirect(c, topicPath(saved.ID), "crm.flash.topic")
}

func topicPath(id uint64) string { return Base + "/topics/" + strconv.FormatUint(id, 10) }

type topicData struct {
	Topic   topicRow
	Form    topicForm
	Entries []models.TopicEntry
	CanEdit bool
}

// topicPage shows a topic's entries, hidden ones too, featured first.
func (h *Handler) topicPage(c *gin.Context) {
	t, ok := h.findTopic(c)
	if !ok {
		return
	}
	h.renderTopic(c, http.StatusOK, t, topicFormFrom(t, h.Loc))
}

func (h *Handler) renderTopic(c *gin.Context, status int, t *models.Topic, f topicForm) {
	entries, err := h.Store.TopicEntries(c.Request.Context(), t.ID, true)
	if err != nil {
		web.Error(c, err)
		return
	}
	d := topicData{Topic: topicRow{Topic: *t, State: topicState(*t, h.Now())}, Form: f, Entries: entries, CanEdit: canEditCRM(c)}
	h.render(c, status, "topic", h.crmPage(c, "campaigns", "crm.topics.title", d))
}

func (h *Handler) findTopic(c *gin.Context) (*models.Topic, bool) {
	id, err := idParam(c, "id")
	var t *models.Topic
	if err == nil {
		t, err = h.Store.FindTopic(c.Request.Context(), id)
	}
	if err != nil {
		web.Error(c, err)
		return nil, false
	}
	return t, true
}

// topicUpdate changes a topic (audited).
func (h *Handler) topicUpdate(c *gin.Context) {
	old, ok := h.findTopic(c)
	if !ok {
		return
	}
	f := parseTopicForm(c)
	f.ID = old.ID
	t, err := f.topic(h.Loc)
	t.CreatedAt = old.CreatedAt
	if err == nil {
		_, err = h.Store.SaveTopic(c.Request.Context(), t)
	}
	if models.ErrorCode(err) == models.EINVALID {
		f.Error = h.errFor(c, err)
		h.renderTopic(c, http.StatusBadRequest, old, f)
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "topic.update", t.Title, "id="+strconv.FormatUint(t.ID, 10)+" keyword="+t.Keyword)
	redirect(c, topicPath(t.ID), "crm.flash.topic")
}

// topicMark features or hides an entry (audited).
func (h *Handler) topicMark(c *gin.Context) {
	t, ok := h.findTopic(c)
	if !ok {
		return
	}
	id, err := idParam(c, "entry")
	var e *models.TopicEntry
	if err == nil {
		e, err = h.Store.FindTopicEntry(c.Request.Context(), t.ID, id)
	}
	featured, hidden := c.PostForm("featured") == "1", c.PostForm("hidden") == "1"
	if err == nil {
		err = h.Store.MarkTopicEntry(c.Request.Context(), e.ID, featured, hidden)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "topic.entry", t.Title, "entry="+strconv.FormatUint(e.ID, 10)+" openid="+e.OpenID+
		" featured="+strconv.FormatBool(featured)+" hidden="+strconv.FormatBool(hidden))
	redirect(c, topicPath(t.ID)+"#entry-"+strconv.FormatUint(e.ID, 10), "crm.flash.entry")
}

// topicExport downloads the entries as CSV: UTF-8 with a byte-order mark,
// so Excel opens the Chinese text correctly.
func (h *Handler) topicExport(c *gin.Context) {
	t, ok := h.findTopic(c)
	if !ok {
		return
	}
	entries, err := h.Store.TopicEntries(c.Request.Context(), t.ID, true)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="topic-`+strconv.FormatUint(t.ID, 10)+`.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if err := models.WriteTopicCSV(c.Writer, entries, h.Loc); err != nil {
		h.Log.Warn("topic export cut short", "topic", t.ID, "err", err)
	}
}
