package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// staffList returns every staff account (admin only).
func (h *Handler) staffList(c *gin.Context) {
	list, err := h.Store.ListStaff(c.Request.Context())
	respondList(c, list, err, staffOut)
}

// createStaff adds an account (admin only, audited).
func (h *Handler) createStaff(c *gin.Context) {
	var req CreateStaffRequest
	if !bindJSON(c, &req) {
		return
	}
	st, err := h.Store.CreateStaff(c.Request.Context(), models.NewStaff{Username: strings.TrimSpace(req.Username),
		DisplayName: strings.TrimSpace(req.DisplayName), Password: req.Password, Role: req.Role})
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "staff.create", st.Username, "role="+st.Role+" via API")
	c.Header("Location", "/api/v1/staff/"+strconv.FormatUint(st.ID, 10))
	c.JSON(http.StatusCreated, staffOut(st))
}

// updateStaff changes an account's name, role, disabled flag or password
// (admin only, audited; the password is never logged).
func (h *Handler) updateStaff(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	var req UpdateStaffRequest
	if !bindJSON(c, &req) {
		return
	}
	st, err := h.Store.UpdateStaff(c.Request.Context(), id, models.StaffUpdate{
		DisplayName: req.DisplayName, Role: req.Role, Disabled: req.Disabled, Password: req.Password})
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "staff.update", st.Username, updateDetail(req))
	c.JSON(http.StatusOK, staffOut(st))
}

// updateDetail says what a PATCH changed, for the audit log.
func updateDetail(r UpdateStaffRequest) string {
	var parts []string
	if r.DisplayName != nil {
		parts = append(parts, "display_name="+*r.DisplayName)
	}
	if r.Role != nil {
		parts = append(parts, "role="+*r.Role)
	}
	if r.Disabled != nil {
		parts = append(parts, "disabled="+strconv.FormatBool(*r.Disabled))
	}
	if r.Password != nil {
		parts = append(parts, "password reset")
	}
	return strings.Join(append(parts, "via API"), " ")
}

// audit returns the audit log, newest first (admin only).
func (h *Handler) audit(c *gin.Context) {
	limit, offset, err := paging(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	list, total, err := h.Store.ListAudit(c.Request.Context(), limit, offset)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := Page[AuditEntry]{Items: make([]AuditEntry, 0, len(list)), Total: total, Limit: limit, Offset: offset}
	for _, e := range list {
		out.Items = append(out.Items, AuditEntry{ID: e.ID, StaffID: e.StaffID, Username: e.Username, Action: e.Action,
			Target: e.Target, Detail: e.Detail, IP: e.IP, CreatedAt: e.CreatedAt})
	}
	c.JSON(http.StatusOK, out)
}

// tokens lists the caller's own API tokens.
func (h *Handler) tokens(c *gin.Context) {
	list, err := h.Store.ListAPITokens(c.Request.Context(), web.CurrentStaff(c).ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := List[Token]{Items: make([]Token, 0, len(list))}
	for _, t := range list {
		out.Items = append(out.Items, Token{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt})
	}
	c.JSON(http.StatusOK, out)
}

// createToken issues a token for the caller; the answer is the only time
// the secret is shown (audited).
func (h *Handler) createToken(c *gin.Context) {
	var req CreateTokenRequest
	if !bindJSON(c, &req) {
		return
	}
	plain, tok, err := h.Store.CreateAPIToken(c.Request.Context(), web.CurrentStaff(c).ID, req.Name)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "token.create", tok.Name, "id="+strconv.FormatUint(tok.ID, 10)+" via API")
	c.JSON(http.StatusCreated, Token{ID: tok.ID, Name: tok.Name, Token: plain, CreatedAt: tok.CreatedAt})
}

// deleteToken revokes one of the caller's tokens (audited).
func (h *Handler) deleteToken(c *gin.Context) {
	id, err := idParam(c)
	if err == nil {
		err = h.Store.DeleteAPIToken(c.Request.Context(), web.CurrentStaff(c).ID, id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "token.revoke", c.Param("id"), "via API")
	c.Status(http.StatusNoContent)
}
