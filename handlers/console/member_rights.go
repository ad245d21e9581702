package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// registerRights adds the fan's data rights (docs/data-rights.md): export
// one member or a segment, and erase a member. Admins only: an export is
// all of a fan's personal data, an erase cannot be undone.
func (h *Handler) registerRights(admin *gin.RouterGroup) {
	admin.GET("/members/:openid/export", h.memberExport)
	admin.POST("/members/:openid/erase", h.memberErase)
	admin.GET("/segments/:id/export", h.segmentExport)
}

// memberTarget names a member in the audit log by id, not openid, so an
// erased fan's entries hold nothing that points back to them.
func memberTarget(id uint64) string { return "member #" + strconv.FormatUint(id, 10) }

// attachment starts a download of name in format.
func attachment(c *gin.Context, name, format string) {
	ctype := "text/csv; charset=utf-8"
	if format == roles.ExportJSON {
		ctype = "application/json; charset=utf-8"
	}
	c.Header("Content-Type", ctype)
	c.Header("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
}

// memberExport downloads everything fivec holds about one fan (?format=csv
// or json), audited.
func (h *Handler) memberExport(c *gin.Context) {
	format := c.DefaultQuery("format", roles.ExportCSV)
	if err := roles.ValidExportFormat(format); err != nil {
		web.Error(c, err)
		return
	}
	e, err := h.Store.ExportMember(c.Request.Context(), c.Param("openid"))
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "member.export", memberTarget(e.Member.ID), format)
	attachment(c, "member-"+strconv.FormatUint(e.Member.ID, 10), format)
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

// segmentExport streams the export of every member of a saved segment,
// loading a hundred members at a time.
func (h *Handler) segmentExport(c *gin.Context) {
	format := c.DefaultQuery("format", roles.ExportCSV)
	err := roles.ValidExportFormat(format)
	var id uint64
	if err == nil {
		id, err = idParam(c, "id")
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
	attachment(c, "segment-"+strconv.FormatUint(id, 10), format)
	n, err := roles.ExportSegment(c.Request.Context(), h.Store, f, c.Writer, format)
	detail := format + ", " + strconv.Itoa(n) + " members"
	if err != nil {
		h.Log.Warn("segment export cut short", "segment", id, "members", n, "err", err)
		detail += " (cut short)"
	}
	web.Audit(c, h.Store, "segment.export", "segment #"+strconv.FormatUint(id, 10), detail)
}

// memberErase anonymises a member (models.EraseMember) once the admin has
// typed the member's openid to confirm; anything else changes nothing and
// says what to type.
func (h *Handler) memberErase(c *gin.Context) {
	openID := c.Param("openid")
	if strings.TrimSpace(c.PostForm("confirm")) != openID {
		h.memberPage(c, http.StatusBadRequest, memberForm{Section: "erase",
			Error: h.Pages.T(h.lang(c), "rights.erase.confirm_mismatch")})
		return
	}
	res, err := h.Store.EraseMember(c.Request.Context(), openID)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "member.erase", memberTarget(res.MemberID),
		strconv.FormatInt(res.Messages, 10)+" messages blanked, "+strconv.FormatInt(res.Tags, 10)+" tags removed")
	redirect(c, Base+"/members", "rights.erased")
}

// blacklist puts the member on the account's blacklist or takes them off
// (roles.SetBlacklist); a WeChat refusal is shown next to the button.
func (h *Handler) blacklist(c *gin.Context, m *models.Member, on bool) (flash, anchor, detail string, err error) {
	changed, err := roles.SetBlacklist(c.Request.Context(), h.Store, h.WX, m, on)
	if err != nil || !changed {
		return "crm.flash.unchanged", "blacklist", "", err
	}
	if on {
		return "rights.blacklisted", "blacklist", "blacklisted", nil
	}
	return "rights.unblacklisted", "blacklist", "unblacklisted", nil
}
