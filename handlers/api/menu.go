package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// menuGet returns the menu draft and its publishing state.
func (h *Handler) menuGet(c *gin.Context) {
	draft, err := h.Store.MenuDraft(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	h.menuAnswer(c, draft)
}

// menuPut replaces the draft (audited). The draft is checked against
// WeChat's limits; errors name the button and the limit.
func (h *Handler) menuPut(c *gin.Context) {
	var req Menu
	if !bindJSON(c, &req) {
		return
	}
	m := req.model()
	if err := h.Store.SaveMenuDraft(c.Request.Context(), m); err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "menu.save", "", strconv.Itoa(len(m.Buttons))+" buttons via API")
	h.menuAnswer(c, m)
}

// menuPublish sends the saved draft to WeChat and, once WeChat accepted
// it, records it as published (audited).
func (h *Handler) menuPublish(c *gin.Context) {
	ctx := c.Request.Context()
	draft, err := h.Store.MenuDraft(ctx)
	if err == nil {
		err = roles.PublishMenu(ctx, h.Store, h.WX, draft)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "menu.publish", "", strconv.Itoa(len(draft.Buttons))+" buttons via API")
	h.menuAnswer(c, draft)
}

// menuLive reads back the menu WeChat shows now.
func (h *Handler) menuLive(c *gin.Context) {
	m, err := roles.LiveMenu(c.Request.Context(), h.WX)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, menuOut(m))
}

// menuAnswer writes the draft m with when fivec last published.
func (h *Handler) menuAnswer(c *gin.Context, m models.Menu) {
	pub, at, err := h.Store.PublishedMenu(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	out := MenuDraft{Menu: menuOut(m)}
	if !at.IsZero() {
		out.PublishedAt = &at
	}
	a, _ := json.Marshal(pub)
	b, _ := json.Marshal(m)
	out.UnpublishedChanges = len(m.Buttons) > 0 && string(a) != string(b)
	c.JSON(http.StatusOK, out)
}
