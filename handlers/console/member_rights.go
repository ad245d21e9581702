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

// memberExport downloads everything fivec holds about one fan (?format=csv
// or json), audited.
func (h *Handler) memberExport(c *gin.Context) {
	web.ServeMemberExport(c, h.Store, h.Log, c.Param("openid"), c.DefaultQuery("format", roles.ExportCSV))
}

// segmentExport streams the export of every member of a saved segment,
// loading a hundred members at a time.
func (h *Handler) segmentExport(c *gin.Context) {
	id, err := idParam(c, "id")
	if err != nil {
		web.Error(c, err)
		return
	}
	web.ServeSegmentExport(c, h.Store, h.Log, id, c.DefaultQuery("format", roles.ExportCSV))
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
	web.Audit(c, h.Store, "member.erase", web.MemberTarget(res.MemberID),
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
