package api

import (
	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// registerCRM adds the member CRM endpoints: member details and actions,
// segments, channels, the follower sync, points and rewards, topics and
// draws. Every role may read; marketers and admins change things.
func (h *Handler) registerCRM(g *gin.RouterGroup) {
	ed := g.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer))
	h.registerMemberCRM(g, ed)
	h.registerSegments(g, ed)
	h.registerChannels(g, ed)
	h.registerSync(g, ed)
	h.registerPoints(g, ed)
	h.registerTopics(g, ed)
	h.registerDraws(g, ed)
	h.registerShares(g, ed)
}
