package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/jobs"
)

func (h *Handler) registerSync(g, ed *gin.RouterGroup) {
	g.GET("/sync/followers", h.syncStatus)
	ed.POST("/sync/followers", h.syncStart)
}

// syncStatus returns the follower sync's progress.
func (h *Handler) syncStatus(c *gin.Context) {
	st, err := h.Store.SyncState(c.Request.Context())
	respond(c, st, err)
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
	c.JSON(http.StatusAccepted, st)
}
