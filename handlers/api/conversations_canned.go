package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// canned lists the shared canned replies and the caller's own: ?q= matches
// the start of the code or any part of the title or text;
// ?conversation_id= adds each one's text rendered for that conversation.
func (h *Handler) canned(c *gin.Context) {
	st, ctx := web.CurrentStaff(c), c.Request.Context()
	var vars *models.CannedVars
	if v := c.Query("conversation_id"); v != "" {
		id, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			web.Errorf(c, models.EINVALID, "conversation_id must be a conversation id")
			return
		}
		v, err := h.Store.ConversationCannedVars(ctx, id, st)
		if err != nil {
			web.Error(c, err)
			return
		}
		vars = &v
	}
	list, err := h.Store.ListCanned(ctx, st.ID, c.Query("q"), 500)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := List[Canned]{Items: make([]Canned, 0, len(list))}
	for i := range list {
		r := cannedOut(&list[i])
		if vars != nil {
			var err error
			// Checked on save and again here: "" if it no longer passes.
			if r.Rendered, err = models.RenderCanned(r.Text, *vars); err != nil {
				h.Log.Warn("canned reply not rendered", "id", r.ID, "err", err)
			}
		}
		out.Items = append(out.Items, r)
	}
	c.JSON(http.StatusOK, out)
}

// createCanned stores a canned reply after checking its template: 201,
// 400 for a bad code or template, 409 for a code already in use.
func (h *Handler) createCanned(c *gin.Context) {
	var req CannedRequest
	if !bindJSON(c, &req) {
		return
	}
	r, err := h.Store.CreateCanned(c.Request.Context(), web.CurrentStaff(c).ID,
		models.NewCanned{Code: req.Code, Title: req.Title, Text: req.Text, Shared: req.Shared})
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "canned.create", "/"+r.Code, "via API")
	c.Header("Location", "/api/v1/canned/"+strconv.FormatUint(r.ID, 10))
	c.JSON(http.StatusCreated, cannedOut(r))
}

// deleteCanned removes a canned reply: a personal one by its owner, a
// shared one by its author or an admin (else 403). 204.
func (h *Handler) deleteCanned(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	st := web.CurrentStaff(c)
	r, err := h.Store.FindCanned(c.Request.Context(), st.ID, id)
	if err == nil {
		err = h.Store.DeleteCanned(c.Request.Context(), st, id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "canned.delete", "/"+r.Code, "via API")
	c.Status(http.StatusNoContent)
}
