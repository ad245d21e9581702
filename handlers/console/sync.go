package console

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/jobs"
	"github.com/fivec/fivec/models"
)

// syncData is the follower sync panel of the members page.
type syncData struct {
	State   models.SyncState
	CanEdit bool
	CSRF    string
	Error   string // why a start was refused
}

func (h *Handler) syncData(c *gin.Context) (syncData, error) {
	st, err := h.Store.SyncState(c.Request.Context())
	d := syncData{State: st, CanEdit: canEditCRM(c)}
	if s := web.CurrentSession(c); s != nil {
		d.CSRF = s.CSRFToken
	}
	return d, err
}

// syncStatus is the sync panel alone; the page polls it every 2 s while a
// sync runs (the panel stops polling once it has finished).
func (h *Handler) syncStatus(c *gin.Context) {
	d, err := h.syncData(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	h.block(c, http.StatusOK, "members", "sync", d)
}

// syncStart asks for a full follower sync (audited); the job does the
// work a page at a time. A second request while one runs is refused.
func (h *Handler) syncStart(c *gin.Context) {
	err := jobs.StartFollowerSync(c.Request.Context(), h.Store, h.Now().UTC())
	if models.ErrorCode(err) == models.ECONFLICT && c.GetHeader("HX-Request") == "true" {
		d, serr := h.syncData(c)
		if serr != nil {
			web.Error(c, serr)
			return
		}
		d.Error = h.errFor(c, err)
		h.block(c, http.StatusConflict, "members", "sync", d)
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "sync.start", "followers", "")
	if c.GetHeader("HX-Request") == "true" {
		h.syncStatus(c)
		return
	}
	redirect(c, Base+"/members", "crm.flash.sync")
}
