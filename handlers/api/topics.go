package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// Topic is a conversation campaign.
type Topic struct {
	ID        uint64    `json:"id"`
	Keyword   string    `json:"keyword"`
	Title     string    `json:"title"`
	Prompt    string    `json:"prompt,omitempty"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Points    int64     `json:"points"`
	CreatedAt time.Time `json:"created_at"`
}

func topicOut(t *models.Topic) Topic {
	return Topic{ID: t.ID, Keyword: t.Keyword, Title: t.Title, Prompt: t.Prompt, StartsAt: t.StartsAt, EndsAt: t.EndsAt,
		Points: t.Points, CreatedAt: t.CreatedAt}
}

// TopicRequest is the body of POST /topics and PUT /topics/:id.
type TopicRequest struct {
	Keyword  string    `json:"keyword"`
	Title    string    `json:"title"`
	Prompt   string    `json:"prompt"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Points   int64     `json:"points"`
}

// TopicEntry is one fan's answer to a topic.
type TopicEntry struct {
	ID        uint64    `json:"id"`
	OpenID    string    `json:"openid"`
	Text      string    `json:"text"`
	Featured  bool      `json:"featured"`
	Hidden    bool      `json:"hidden"`
	CreatedAt time.Time `json:"created_at"`
}

// MarkEntryRequest is the body of PUT /topics/:id/entries/:entry.
type MarkEntryRequest struct {
	Featured bool `json:"featured"`
	Hidden   bool `json:"hidden"`
}

func (h *Handler) registerTopics(g, ed *gin.RouterGroup) {
	g.GET("/topics", h.topicsList)
	g.GET("/topics/:id", h.topicGet)
	g.GET("/topics/:id/entries", h.topicEntries)
	g.GET("/topics/:id/export", h.topicExport)
	ed.POST("/topics", h.topicCreate)
	ed.PUT("/topics/:id", h.topicUpdate)
	ed.PUT("/topics/:id/entries/:entry", h.topicMark)
}

func (h *Handler) topicsList(c *gin.Context) {
	list, err := h.Store.ListTopics(c.Request.Context())
	respondList(c, list, err, topicOut)
}

// findTopic resolves :id, answering the error itself.
func (h *Handler) findTopic(c *gin.Context) (*models.Topic, bool) {
	return findByID(c, h.Store.FindTopic)
}

func (h *Handler) topicGet(c *gin.Context) {
	if t, ok := h.findTopic(c); ok {
		c.JSON(http.StatusOK, topicOut(t))
	}
}

func (h *Handler) topicCreate(c *gin.Context) { h.topicSave(c, nil) }

func (h *Handler) topicUpdate(c *gin.Context) {
	if t, ok := h.findTopic(c); ok {
		h.topicSave(c, t)
	}
}

// topicSave creates a topic, or replaces old (audited).
func (h *Handler) topicSave(c *gin.Context, old *models.Topic) {
	var req TopicRequest
	if !bindJSON(c, &req) {
		return
	}
	t := models.Topic{Keyword: req.Keyword, Title: req.Title, Prompt: req.Prompt, StartsAt: req.StartsAt.UTC(),
		EndsAt: req.EndsAt.UTC(), Points: req.Points}
	if old != nil {
		t.ID, t.CreatedAt = old.ID, old.CreatedAt
	}
	saved, err := h.Store.SaveTopic(c.Request.Context(), t)
	if err != nil {
		web.Error(c, err)
		return
	}
	status, action := http.StatusOK, "topic.update"
	if old == nil {
		status, action = http.StatusCreated, "topic.create"
		c.Header("Location", "/api/v1/topics/"+strconv.FormatUint(saved.ID, 10))
	}
	web.Audit(c, h.Store, action, saved.Title, "id="+strconv.FormatUint(saved.ID, 10)+" keyword="+saved.Keyword+" via API")
	c.JSON(status, topicOut(saved))
}

// topicEntries lists entries, featured first (?all=true: hidden ones too).
func (h *Handler) topicEntries(c *gin.Context) {
	t, ok := h.findTopic(c)
	if !ok {
		return
	}
	all, _ := strconv.ParseBool(c.Query("all"))
	list, err := h.Store.TopicEntries(c.Request.Context(), t.ID, all)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := List[TopicEntry]{Items: make([]TopicEntry, 0, len(list))}
	for _, e := range list {
		out.Items = append(out.Items, TopicEntry{ID: e.ID, OpenID: e.OpenID, Text: e.Text, Featured: e.Featured, Hidden: e.Hidden, CreatedAt: e.CreatedAt})
	}
	c.JSON(http.StatusOK, out)
}

// topicMark features or hides an entry (audited).
func (h *Handler) topicMark(c *gin.Context) {
	var req MarkEntryRequest
	if !bindJSON(c, &req) {
		return
	}
	t, ok := h.findTopic(c)
	if !ok {
		return
	}
	id, err := strconv.ParseUint(c.Param("entry"), 10, 64)
	var e *models.TopicEntry
	if err != nil {
		err = models.Errorf(models.ENOTFOUND, "no such entry")
	} else {
		e, err = h.Store.FindTopicEntry(c.Request.Context(), t.ID, id)
	}
	if err == nil {
		err = h.Store.MarkTopicEntry(c.Request.Context(), e.ID, req.Featured, req.Hidden)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "topic.entry", t.Title, "entry="+strconv.FormatUint(e.ID, 10)+" openid="+e.OpenID+
		" featured="+strconv.FormatBool(req.Featured)+" hidden="+strconv.FormatBool(req.Hidden)+" via API")
	c.JSON(http.StatusOK, TopicEntry{ID: e.ID, OpenID: e.OpenID, Text: e.Text, Featured: req.Featured, Hidden: req.Hidden, CreatedAt: e.CreatedAt})
}

// topicExport returns every entry as CSV (UTF-8 with a BOM, times in the
// account zone), as the console's export.
func (h *Handler) topicExport(c *gin.Context) {
	t, ok := h.findTopic(c)
	if !ok {
		return
	}
	list, err := h.Store.TopicEntries(c.Request.Context(), t.ID, true)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="topic-`+strconv.FormatUint(t.ID, 10)+`.csv"`)
	c.Status(http.StatusOK)
	if err := models.WriteTopicCSV(c.Writer, list, h.Loc); err != nil {
		h.Log.Warn("topic export cut short", "topic", t.ID, "err", err)
	}
}
