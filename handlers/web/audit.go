package web

import (
	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/models"
)

// Audit records an action of the current staff member with the client IP.
// The action has already happened, so a failure to record it is logged as
// an error rather than undoing or failing the request.
func Audit(c *gin.Context, store *models.Store, action, target, detail string) {
	AuditAs(c, store, CurrentStaff(c), action, target, detail)
}

// AuditAs is Audit for requests where the actor is not yet in the context
// (a login).
func AuditAs(c *gin.Context, store *models.Store, actor *models.Staff, action, target, detail string) {
	e := models.AuditEntry{Action: action, Target: target, Detail: detail, IP: c.ClientIP()}
	if actor != nil {
		e.StaffID, e.Username = actor.ID, actor.Username
	}
	if err := store.Audit(c.Request.Context(), e); err != nil {
		Logger(c).Error("audit failed", "action", action, "target", target, "err", err)
	}
}
