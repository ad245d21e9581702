package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/jobs"
	"github.com/fivec/fivec/models"
)

func (h *Handler) registerSync(g, ed *gin.RouterGroup) {
	g.GET("/sync/followers", h.syncStatus)
	ed.POST("/sync/followers", h.syncStart)
}

// SyncProgress is the follower sync's progress as the API shows it. Times
// not yet known are left out (docs/api.md: empty fields are left out) rather
// than shown as 0001-01-01, and the job's page cursor stays inside.
type SyncProgress struct {
	Running    bool       `json:"running"`
	Done       int        `json:"done"`
	Total      int        `json:"total"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
}

func syncOut(st models.SyncState) SyncProgress {
	return SyncProgress{Running: st.Running, Done: st.Done, Total: st.Total,
		StartedAt: timeOrNil(st.StartedAt), FinishedAt: timeOrNil(st.FinishedAt), Error: st.Error}
}

// timeOrNil is nil for the zero time, so omitempty leaves it out.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// syncStatus returns the follower sync's progress.
func (h *Handler) syncStatus(c *gin.Context) {
	st, err := h.Store.SyncState(c.Request.Context())
	respond(c, syncOut(st), err)
}

// syncStart asks for a full follower sync (audited) and answers 202 with
// the progress; 409 while one runs.
func (h *Handler) syncStart(c *gin.Context) {
	if err := jobs.StartFollowerSync(c.Request.Context(), h.Store, h.Now().UTC()); err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "sync.start", "followers", "via API")
	st, err := h.Store.SyncState(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusAccepted, syncOut(st))
}
