package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// registerRights adds the fan's data rights (docs/data-rights.md), as the
// console: exports of one member or a segment and the erase. Admins only.
func (h *Handler) registerRights(admin *gin.RouterGroup) {
	admin.GET("/members/:openid/export", h.memberExport)
	admin.POST("/members/:openid/erase", h.memberErase)
	admin.GET("/segments/:id/export", h.segmentExport)
}

// EraseRequest is the body of POST /members/:openid/erase: confirm must
// repeat the openid, so a wrong path or a replayed call erases nobody.
type EraseRequest struct {
	Confirm string `json:"confirm"`
}

// EraseResponse says what the erase did, without personal data.
type EraseResponse struct {
	MemberID          uint64 `json:"member_id"`
	MessagesBlanked   int64  `json:"messages_blanked"`
	TagsRemoved       int64  `json:"tags_removed"`
	PlaceholderOpenID string `json:"placeholder_openid"`
}

// memberExport returns everything fivec holds about one fan: ?format=json
// (the default) or csv.
func (h *Handler) memberExport(c *gin.Context) {
	web.ServeMemberExport(c, h.Store, h.Log, c.Param("openid"), c.DefaultQuery("format", roles.ExportJSON))
}

// segmentExport streams the export of a saved segment's members: a JSON
// list or one CSV.
func (h *Handler) segmentExport(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.ServeSegmentExport(c, h.Store, h.Log, id, c.DefaultQuery("format", roles.ExportJSON))
}

// memberErase anonymises a member once the body repeats its openid.
func (h *Handler) memberErase(c *gin.Context) {
	var req EraseRequest
	if !bindJSON(c, &req) {
		return
	}
	openID := c.Param("openid")
	if req.Confirm != openID {
		web.Errorf(c, models.EINVALID, "to erase this member, send {\"confirm\": \"<the member's openid>\"}")
		return
	}
	res, err := h.Store.EraseMember(c.Request.Context(), openID)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "member.erase", web.MemberTarget(res.MemberID),
		strconv.FormatInt(res.Messages, 10)+" messages blanked, "+strconv.FormatInt(res.Tags, 10)+" tags removed")
	c.JSON(http.StatusOK, EraseResponse{MemberID: res.MemberID, MessagesBlanked: res.Messages, TagsRemoved: res.Tags,
		PlaceholderOpenID: res.Placeholder})
}
