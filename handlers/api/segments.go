package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// Segment is a saved member filter with how many members it selects now.
type Segment struct {
	ID        uint64               `json:"id"`
	Name      string               `json:"name"`
	Filter    models.SegmentFilter `json:"filter"`
	Count     int64                `json:"count"`
	UpdatedAt time.Time            `json:"updated_at"`
}

// SegmentRequest is the body of POST /segments and PUT /segments/:id. The
// filter is models.SegmentFilter: a plain value type whose JSON form is
// also how segments are stored, not a gorm model.
type SegmentRequest struct {
	Name   string               `json:"name"`
	Filter models.SegmentFilter `json:"filter"`
}

// CountRequest is the body of POST /segments/count.
type CountRequest struct {
	Filter models.SegmentFilter `json:"filter"`
}

// CountResult answers a count.
type CountResult struct {
	Count int64 `json:"count"`
}

func (h *Handler) registerSegments(g, ed *gin.RouterGroup) {
	g.GET("/segments", h.segmentsList)
	g.GET("/segments/:id", h.segmentGet)
	g.GET("/segments/:id/members", h.segmentMembers)
	g.POST("/segments/count", h.segmentCount)
	ed.POST("/segments", h.segmentCreate)
	ed.PUT("/segments/:id", h.segmentUpdate)
	ed.DELETE("/segments/:id", h.segmentDelete)
}

// segmentOut counts the segment's members now.
func (h *Handler) segmentOut(c *gin.Context, sg *models.Segment) (Segment, error) {
	f, err := sg.Decode()
	if err != nil {
		return Segment{}, err
	}
	n, err := h.Store.CountSegment(c.Request.Context(), f)
	return Segment{ID: sg.ID, Name: sg.Name, Filter: f, Count: n, UpdatedAt: sg.UpdatedAt}, err
}

// segmentsList returns every segment by name, with counts.
func (h *Handler) segmentsList(c *gin.Context) {
	list, err := h.Store.ListSegments(c.Request.Context())
	respondListErr(c, list, err, func(m *models.Segment) (Segment, error) { return h.segmentOut(c, m) })
}

// findSegment resolves :id, answering the error itself.
func (h *Handler) findSegment(c *gin.Context) (*models.Segment, bool) {
	return findByID(c, h.Store.FindSegment)
}

func (h *Handler) segmentGet(c *gin.Context) {
	respondOne(c, h.Store.FindSegment, func(m *models.Segment) (Segment, error) { return h.segmentOut(c, m) })
}

// segmentMembers pages through the segment's members by id: ?after= (the
// last id seen, default 0) and ?limit= (1-200, default 50).
func (h *Handler) segmentMembers(c *gin.Context) {
	limit, _, err := paging(c)
	var after uint64
	if v := c.Query("after"); v != "" && err == nil {
		if after, err = strconv.ParseUint(v, 10, 64); err != nil {
			err = models.Errorf(models.EINVALID, "after must be a member id")
		}
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	sg, ok := h.findSegment(c)
	if !ok {
		return
	}
	f, err := sg.Decode()
	var list []models.Member
	if err == nil {
		list, err = h.Store.SegmentMembers(c.Request.Context(), f, after, limit)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	out := SegmentPage{Items: make([]Member, 0, len(list))}
	for i := range list {
		out.Items = append(out.Items, memberOut(&list[i]))
		out.Next = list[i].ID
	}
	if len(list) < limit {
		out.Next = 0
	}
	c.JSON(http.StatusOK, out)
}

// SegmentPage is a page of a segment's members; Next is the ?after= of the
// next page (0 on the last).
type SegmentPage struct {
	Items []Member `json:"items"`
	Next  uint64   `json:"next,omitempty"`
}

// segmentCount counts the members a filter selects, without saving it.
func (h *Handler) segmentCount(c *gin.Context) {
	var req CountRequest
	if !bindJSON(c, &req) {
		return
	}
	n, err := h.Store.CountSegment(c.Request.Context(), req.Filter)
	respond(c, CountResult{Count: n}, err)
}

func (h *Handler) segmentCreate(c *gin.Context) { h.segmentSave(c, 0) }

func (h *Handler) segmentUpdate(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	h.segmentSave(c, id)
}

// segmentSave creates or replaces a segment (audited).
func (h *Handler) segmentSave(c *gin.Context, id uint64) {
	var req SegmentRequest
	if !bindJSON(c, &req) {
		return
	}
	sg, err := h.Store.SaveSegment(c.Request.Context(), id, req.Name, req.Filter)
	if err == nil {
		sg, err = h.Store.FindSegment(c.Request.Context(), sg.ID)
	}
	var out Segment
	if err == nil {
		out, err = h.segmentOut(c, sg)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	status, action := http.StatusOK, "segment.update"
	if id == 0 {
		status, action = http.StatusCreated, "segment.create"
		c.Header("Location", "/api/v1/segments/"+strconv.FormatUint(sg.ID, 10))
	}
	web.Audit(c, h.Store, action, sg.Name, "id="+strconv.FormatUint(sg.ID, 10)+" "+sg.Filter+" via API")
	c.JSON(status, out)
}

// segmentDelete removes a segment (audited).
func (h *Handler) segmentDelete(c *gin.Context) {
	sg, ok := h.findSegment(c)
	if !ok {
		return
	}
	if err := h.Store.DeleteSegment(c.Request.Context(), sg.ID); err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "segment.delete", sg.Name, "id="+strconv.FormatUint(sg.ID, 10)+" via API")
	c.Status(http.StatusNoContent)
}
