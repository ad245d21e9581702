package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// staffForm is the create form, kept on a failed submit (without password).
type staffForm struct {
	Username, DisplayName, Role string
}

type staffData struct {
	Staff []models.Staff
	// Locked are the accounts locked after too many failed logins.
	Locked map[uint64]bool
	Roles  []string
	Form   staffForm
}

func (h *Handler) staffList(c *gin.Context) {
	h.staffPage(c, http.StatusOK, staffForm{Role: models.RoleAgent}, nil)
}

// staffPage renders the staff list, with err (a known error) shown above it.
func (h *Handler) staffPage(c *gin.Context, status int, form staffForm, err error) {
	list, lerr := h.Store.ListStaff(c.Request.Context())
	if lerr != nil {
		web.Error(c, lerr)
		return
	}
	locked, lerr := h.Store.LockedStaff(c.Request.Context())
	if lerr != nil {
		web.Error(c, lerr)
		return
	}
	p := h.page(c, "staff", "staff.title", staffData{Staff: list, Locked: locked, Roles: models.Roles, Form: form})
	var pe *models.PasswordError
	switch {
	case errors.As(err, &pe):
		p.Error = h.Pages.T(p.Lang, "password."+pe.Reason)
	case err != nil:
		p.Error = h.errFor(c, err)
	}
	h.render(c, status, "staff", p)
}

// createStaff adds an account (admin only, audited).
func (h *Handler) createStaff(c *gin.Context) {
	n := models.NewStaff{
		Username:    strings.TrimSpace(c.PostForm("username")),
		DisplayName: strings.TrimSpace(c.PostForm("display_name")),
		Password:    c.PostForm("password"),
		Role:        c.PostForm("role"),
	}
	st, err := h.Store.CreateStaff(c.Request.Context(), n)
	if err != nil {
		h.staffFailed(c, staffForm{n.Username, n.DisplayName, n.Role}, err)
		return
	}
	web.Audit(c, h.Store, "staff.create", st.Username, "role="+st.Role)
	redirect(c, Base+"/staff", "staff.created")
}

// updateStaff applies one action to an account: role, disable, enable,
// password or unlock (admin only, audited).
func (h *Handler) updateStaff(c *gin.Context) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		web.Errorf(c, models.ENOTFOUND, "no such staff member")
		return
	}
	var u models.StaffUpdate
	detail := ""
	switch action := c.Param("action"); action {
	case "role":
		role := c.PostForm("role")
		u.Role, detail = &role, "role="+role
	case "disable", "enable":
		off := action == "disable"
		if off && web.CurrentStaff(c).ID == id {
			// One click used to lock an admin out of their own console.
			h.staffFailed(c, staffForm{Role: models.RoleAgent}, errSelfDisable)
			return
		}
		u.Disabled = &off
	case "password":
		pw := c.PostForm("password")
		u.Password = &pw
	case "unlock":
		h.unlockStaff(c, id)
		return
	default:
		web.Errorf(c, models.ENOTFOUND, "unknown staff action")
		return
	}
	st, err := h.Store.UpdateStaff(c.Request.Context(), id, u)
	if err != nil {
		h.staffFailed(c, staffForm{Role: models.RoleAgent}, err)
		return
	}
	web.Audit(c, h.Store, "staff."+c.Param("action"), st.Username, detail)
	redirect(c, Base+"/staff", "staff.updated")
}

// unlockStaff lifts the lock after too many failed logins from an account.
func (h *Handler) unlockStaff(c *gin.Context, id uint64) {
	if err := h.Store.UnlockStaff(c.Request.Context(), id); err != nil {
		h.staffFailed(c, staffForm{Role: models.RoleAgent}, err)
		return
	}
	st, err := h.Store.FindStaff(c.Request.Context(), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "staff.unlock", st.Username, "")
	redirect(c, Base+"/staff", "staff.unlocked")
}

// errSelfDisable refuses an admin disabling their own account.
var errSelfDisable = models.Errorf(models.ECONFLICT, "you cannot disable your own account")

// staffFailed shows a known error on the staff page with its status; other
// errors go to the error page.
func (h *Handler) staffFailed(c *gin.Context, form staffForm, err error) {
	switch code := models.ErrorCode(err); code {
	case models.EINVALID, models.ECONFLICT, models.ENOTFOUND:
		h.staffPage(c, web.Status(code), form, err)
	default:
		web.Error(c, err)
	}
}

type auditData struct {
	Entries []models.AuditEntry
	Pager   pager
}

// audit shows the audit log, newest first (admin only).
func (h *Handler) audit(c *gin.Context) {
	page := pageParam(c)
	entries, total, err := h.Store.ListAudit(c.Request.Context(), pageSize, (page-1)*pageSize)
	if err != nil {
		web.Error(c, err)
		return
	}
	d := auditData{Entries: entries, Pager: newPager(c.Request.URL, page, total)}
	h.render(c, http.StatusOK, "audit", h.page(c, "audit", "audit.title", d))
}
