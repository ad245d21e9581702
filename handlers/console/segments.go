package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// previewSize is how many members the segment editor shows.
const previewSize = 10

// segmentRow is one line of the segments list.
type segmentRow struct {
	ID        uint64
	Name      string
	Count     int64
	Broken    bool // the stored filter no longer validates
	UpdatedAt time.Time
}

type segmentsData struct {
	Rows    []segmentRow
	CanEdit bool
}

// segmentsList shows the saved segments with how many members each
// selects now.
func (h *Handler) segmentsList(c *gin.Context) {
	ctx := c.Request.Context()
	list, err := h.Store.ListSegments(ctx)
	if err != nil {
		web.Error(c, err)
		return
	}
	d := segmentsData{CanEdit: canEditCRM(c)}
	for _, sg := range list {
		row := segmentRow{ID: sg.ID, Name: sg.Name, UpdatedAt: sg.UpdatedAt}
		f, err := sg.Decode()
		if err != nil {
			row.Broken = true
		} else if row.Count, err = h.Store.CountSegment(ctx, f); models.ErrorCode(err) == models.EINVALID {
			row.Broken = true
		} else if err != nil {
			web.Error(c, err)
			return
		}
		d.Rows = append(d.Rows, row)
	}
	h.render(c, http.StatusOK, "segments", h.crmPage(c, "segments", "crm.segments.title", d))
}

// segmentEditData is the editor: the form, the live count and a preview.
type segmentEditData struct {
	ID       uint64
	Form     segmentForm
	Count    segmentCountData
	Error    string
	CanEdit  bool
	Stages   []string
	Levels   []string
	Channels []string // known QR scenes, as a hint
}

// segmentCountData is the live count panel.
type segmentCountData struct {
	Count   int64
	Preview []models.Member
	Error   string
}

func (h *Handler) segmentNew(c *gin.Context) {
	h.segmentEditor(c, http.StatusOK, segmentEditData{}, nil)
}

// segmentEdit shows a saved segment in the editor.
func (h *Handler) segmentEdit(c *gin.Context) {
	id, err := idParam(c, "id")
	var sg *models.Segment
	if err == nil {
		sg, err = h.Store.FindSegment(c.Request.Context(), id)
	}
	var f models.SegmentFilter
	if err == nil {
		f, err = sg.Decode()
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	h.segmentEditor(c, http.StatusOK, segmentEditData{ID: id, Form: segmentFormFrom(sg.Name, f)}, nil)
}

// segmentEditor renders the editor with d's form; err (a known error)
// shows above it.
func (h *Handler) segmentEditor(c *gin.Context, status int, d segmentEditData, err error) {
	d.CanEdit, d.Stages, d.Levels = canEditCRM(c), models.Stages, models.Levels
	if err != nil {
		d.Error = h.errFor(c, err)
	}
	d.Count = h.segmentCountFor(c, d.Form)
	if channels, err := h.Store.ListChannels(c.Request.Context()); err == nil {
		for _, ch := range channels {
			d.Channels = append(d.Channels, ch.Scene)
		}
	}
	title := "crm.segments.edit_title"
	if d.ID == 0 {
		title = "crm.segments.new_title"
	}
	h.render(c, status, "segment_edit", h.crmPage(c, "segments", title, d))
}

// segmentCountFor counts what the form selects and previews the first
// members; a filter that does not validate shows why instead.
func (h *Handler) segmentCountFor(c *gin.Context, form segmentForm) segmentCountData {
	var d segmentCountData
	f, err := form.filter()
	if err == nil {
		d.Count, err = h.Store.CountSegment(c.Request.Context(), f)
	}
	if err == nil && d.Count > 0 {
		d.Preview, err = h.Store.SegmentMembers(c.Request.Context(), f, 0, previewSize)
	}
	if err != nil {
		if models.ErrorCode(err) != models.EINVALID {
			h.Log.Error("count segment", "err", err)
		}
		d.Error = h.errFor(c, err)
	}
	return d
}

// segmentCount is the live count: the editor posts its form here on every
// change (htmx) and swaps the answer into the count panel.
func (h *Handler) segmentCount(c *gin.Context) {
	d := h.segmentCountFor(c, parseSegmentForm(postForm(c)))
	status := http.StatusOK
	if d.Error != "" {
		status = http.StatusBadRequest
	}
	h.block(c, status, "segment_edit", "count", d)
}

func (h *Handler) segmentCreate(c *gin.Context) { h.segmentSave(c, 0) }

func (h *Handler) segmentUpdate(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		web.Error(c, err)
		return
	}
	h.segmentSave(c, id)
}

// segmentSave stores the segment (audited); a refused form is shown
// again as typed.
func (h *Handler) segmentSave(c *gin.Context, id uint64) {
	form := parseSegmentForm(postForm(c))
	f, err := form.filter()
	var sg *models.Segment
	if err == nil {
		sg, err = h.Store.SaveSegment(c.Request.Context(), id, form.Name, f)
	}
	switch code := models.ErrorCode(err); {
	case err == nil:
	case code == models.EINVALID || code == models.ECONFLICT:
		h.segmentEditor(c, web.Status(code), segmentEditData{ID: id, Form: form}, err)
		return
	default:
		web.Error(c, err)
		return
	}
	action := map[bool]string{true: "segment.create", false: "segment.update"}[id == 0]
	web.Audit(c, h.Store, action, sg.Name, "id="+strconv.FormatUint(sg.ID, 10)+" "+sg.Filter)
	redirect(c, Base+"/segments/"+strconv.FormatUint(sg.ID, 10), "crm.flash.segment_saved")
}

// segmentDelete removes a segment (audited). Draws keep their own copy of
// the filter, so past draws stay verifiable.
func (h *Handler) segmentDelete(c *gin.Context) {
	id, err := idParam(c, "id")
	var sg *models.Segment
	if err == nil {
		sg, err = h.Store.FindSegment(c.Request.Context(), id)
	}
	if err == nil {
		err = h.Store.DeleteSegment(c.Request.Context(), id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "segment.delete", sg.Name, "id="+c.Param("id"))
	redirect(c, Base+"/segments", "crm.flash.segment_deleted")
}
