package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

type cannedData struct {
	Q       string
	Replies []cannedRow
	Form    models.NewCanned // the form as submitted, after an error
}

// cannedRow is a canned reply as the list shows it.
type cannedRow struct {
	models.CannedReply
	Mine, Deletable bool
}

// cannedPage lists the shared canned replies and the agent's own, with a
// search and the form for a new one.
func (h *Handler) cannedPage(c *gin.Context) {
	h.cannedList(c, http.StatusOK, models.NewCanned{}, nil)
}

func (h *Handler) cannedList(c *gin.Context, status int, form models.NewCanned, formErr error) {
	st := web.CurrentStaff(c)
	d := cannedData{Q: strings.TrimSpace(c.Query("q")), Form: form}
	list, err := h.Store.ListCanned(c.Request.Context(), st.ID, d.Q, 500)
	if err != nil {
		web.Error(c, err)
		return
	}
	for _, r := range list {
		d.Replies = append(d.Replies, cannedRow{CannedReply: r, Mine: r.OwnerID == st.ID,
			Deletable: !r.Shared() || r.CreatedBy == st.ID || st.Role == models.RoleAdmin})
	}
	p := h.page(c, "canned", "canned.title", d)
	p.Flash = inboxFlash(c.Query("done"))
	if formErr != nil {
		p.Error = h.errFor(c, formErr)
	}
	h.render(c, status, "canned", p)
}

// createCanned saves a canned reply after checking its template.
func (h *Handler) createCanned(c *gin.Context) {
	n := models.NewCanned{Code: c.PostForm("code"), Title: c.PostForm("title"),
		Text: strings.ReplaceAll(c.PostForm("text"), "\r\n", "\n"), Shared: c.PostForm("shared") == "on"}
	r, err := h.Store.CreateCanned(c.Request.Context(), web.CurrentStaff(c).ID, n)
	if err != nil {
		if code := models.ErrorCode(err); code == models.EINVALID || code == models.ECONFLICT {
			h.cannedList(c, web.Status(code), n, err)
			return
		}
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "canned.create", "/"+r.Code, sharedDetail(r))
	c.Redirect(http.StatusSeeOther, Base+"/canned?done=canned.created")
}

// deleteCanned removes one (audited).
func (h *Handler) deleteCanned(c *gin.Context) {
	id, _ := strconv.ParseUint(c.Param("id"), 10, 64)
	st := web.CurrentStaff(c)
	r, err := h.Store.FindCanned(c.Request.Context(), st.ID, id)
	if err == nil {
		err = h.Store.DeleteCanned(c.Request.Context(), st, id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "canned.delete", "/"+r.Code, sharedDetail(r))
	c.Redirect(http.StatusSeeOther, Base+"/canned?done=canned.deleted")
}

func sharedDetail(r *models.CannedReply) string {
	if r.Shared() {
		return "shared"
	}
	return "personal"
}

// pickedCanned is one entry of the reply box's "/" picker, rendered for
// the conversation's fan.
type pickedCanned struct {
	Code, Title, Text string
}

// cannedPicker answers the reply box's "/": matching canned replies with
// their variables filled in for this conversation.
func (h *Handler) cannedPicker(c *gin.Context) {
	st, ctx := web.CurrentStaff(c), c.Request.Context()
	id, err := convID(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	vars, err := h.Store.ConversationCannedVars(ctx, id, st)
	if err != nil {
		h.fail(c, err)
		return
	}
	list, err := h.Store.ListCanned(ctx, st.ID, c.Query("q"), 12)
	if err != nil {
		h.fail(c, err)
		return
	}
	var out []pickedCanned
	for _, r := range list {
		text, err := models.RenderCanned(r.Text, vars)
		if err != nil {
			// Saved before a rule change (or an unsafe template from before
			// templates were checked): never run; the canned page shows it.
			h.Log.Warn("canned reply not rendered", "id", r.ID, "err", err)
			continue
		}
		out = append(out, pickedCanned{Code: r.Code, Title: r.Title, Text: text})
	}
	h.fragment(c, "inbox_conv", "picker", out)
}
