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

func rightsTarget(id uint64) string { return "member #" + strconv.FormatUint(id, 10) }

func exportHeaders(c *gin.Context, name, format string) {
	ctype := "text/csv; charset=utf-8"
	if format == roles.ExportJSON {
		ctype = "application/json; charset=utf-8"
	}
	c.Header("Content-Type", ctype)
	c.Header("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	c.Status(http.StatusOK)
}

// memberExport returns everything fivec holds about one fan: ?format=json
// (the default) or csv.
func (h *Handler) memberExport(c *gin.Context) {
	format := c.DefaultQuery("format", roles.ExportJSON)
	if err := roles.ValidExportFormat(format); err != nil {
		web.Error(c, err)
		return
	}
	e, err := h.Store.ExportMember(c.Request.Context(), c.Param("openid"))
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "member.export", rightsTarget(e.Member.ID), format)
	exportHeaders(c, "member-"+strconv.FormatUint(e.Member.ID, 10), format)
	ew, err := roles.NewExportWriter(c.Writer, format, true)
	if err == nil {
		if err = ew.Write(e); err == nil {
			err = ew.Close()
		}
	}
	if err != nil {
		h.Log.Warn("member export cut short", "member", e.Member.ID, "err", err)
	}
}

// segmentExport streams the export of a saved segment's members: a JSON
// list or one CSV.
func (h *Handler) segmentExport(c *gin.Context) {
	format := c.DefaultQuery("format", roles.ExportJSON)
	err := roles.ValidExportFormat(format)
	var id uint64
	if err == nil {
		id, err = idParam(c)
	}
	var sg *models.Segment
	if err == nil {
		sg, err = h.Store.FindSegment(c.Request.Context(), id)
	}
	var f models.SegmentFilter
	if err == nil {
		f, err = sg.Decode()
	}
	if err == nil {
		err = f.Validate()
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	exportHeaders(c, "segment-"+strconv.FormatUint(id, 10), format)
	n, err := roles.ExportSegment(c.Request.Context(), h.Store, f, c.Writer, format)
	detail := format + ", " + strconv.Itoa(n) + " members"
	if err != nil {
		h.Log.Warn("segment export cut short", "segment", id, "members", n, "err", err)
		detail += " (cut short)"
	}
	web.Audit(c, h.Store, "segment.export", "segment #"+strconv.FormatUint(id, 10), detail)
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
	web.Audit(c, h.Store, "member.erase", rightsTarget(res.MemberID),
		strconv.FormatInt(res.Messages, 10)+" messages blanked, "+strconv.FormatInt(res.Tags, 10)+" tags removed")
	c.JSON(http.StatusOK, EraseResponse{MemberID: res.MemberID, MessagesBlanked: res.Messages, TagsRemoved: res.Tags,
		PlaceholderOpenID: res.Placeholder})
}
