package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// interestRow is one keyword interest as the page shows and edits it.
type interestRow struct {
	ID                  uint64
	Name, Keywords, Tag string
}

type interestsData struct {
	Rows    []interestRow
	New     interestRow
	ErrorID uint64 // the row the error belongs to (0: the new one)
	Error   string
	CanEdit bool
}

// interestsPage lists the keyword interests: the words that give fans an
// interest tag, which journeys can start from.
func (h *Handler) interestsPage(c *gin.Context) {
	h.interests(c, http.StatusOK, interestsData{}, nil)
}

func (h *Handler) interests(c *gin.Context, status int, d interestsData, err error) {
	list, lerr := h.Store.ListInterests(c.Request.Context())
	if lerr != nil {
		web.Error(c, lerr)
		return
	}
	for _, in := range list {
		row := interestRow{ID: in.ID, Name: in.Name, Keywords: strings.Join(in.Words(), ", "), Tag: in.Tag}
		if err != nil && d.ErrorID == in.ID {
			row = d.New // shown as typed
			row.ID = in.ID
			d.New = interestRow{}
		}
		d.Rows = append(d.Rows, row)
	}
	if err != nil {
		d.Error = h.errFor(c, err)
	}
	d.CanEdit = canEditCRM(c)
	h.render(c, status, "journey_interests", h.carePage(c, "care.interests.title", d))
}

func (h *Handler) interestCreate(c *gin.Context) { h.interestSave(c, 0) }

func (h *Handler) interestUpdate(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		web.Error(c, err)
		return
	}
	h.interestSave(c, id)
}

// interestSave stores a keyword interest (audited); a refused one is shown
// again as typed.
func (h *Handler) interestSave(c *gin.Context, id uint64) {
	v := postForm(c)
	row := interestRow{Name: strings.TrimSpace(v.Get("name")), Keywords: strings.TrimSpace(v.Get("keywords")), Tag: strings.TrimSpace(v.Get("tag"))}
	in, err := h.Store.SaveInterest(c.Request.Context(), id, models.NewInterest{Name: row.Name, Keywords: splitList(row.Keywords), Tag: row.Tag})
	switch code := models.ErrorCode(err); {
	case err == nil:
	case code == models.EINVALID || code == models.ECONFLICT:
		h.interests(c, web.Status(code), interestsData{New: row, ErrorID: id}, err)
		return
	default:
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "interest.save", in.Name, "tag="+in.Tag+" keywords="+in.Keywords)
	redirect(c, Base+"/journeys/interests", "care.flash.interest")
}

func (h *Handler) interestDelete(c *gin.Context) {
	id, err := idParam(c, "id")
	if err == nil {
		err = h.Store.DeleteInterest(c.Request.Context(), id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "interest.delete", "", "id="+strconv.FormatUint(id, 10))
	redirect(c, Base+"/journeys/interests", "care.flash.interest")
}
