package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// me returns the token's staff account.
func (h *Handler) me(c *gin.Context) {
	c.JSON(http.StatusOK, staffOut(web.CurrentStaff(c)))
}

// members searches members: ?q= (openid/unionid substring),
// ?subscribed=true|false, ?stage=, ?level=, ?channel= (QR scene),
// ?limit=, ?offset=.
func (h *Handler) members(c *gin.Context) {
	limit, offset, err := paging(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	q := models.MemberSearch{Query: strings.TrimSpace(c.Query("q")), Limit: limit, Offset: offset}
	if v := c.Query("subscribed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			web.Errorf(c, models.EINVALID, "subscribed must be true or false")
			return
		}
		q.Filter.Subscribed = &b
	}
	if v := c.Query("stage"); v != "" {
		q.Filter.Stages = []string{v}
	}
	if v := c.Query("level"); v != "" {
		q.Filter.Levels = []string{v}
	}
	if v := c.Query("channel"); v != "" {
		q.Filter.Channels = []string{v}
	}
	list, total, err := h.Store.SearchMembers(c.Request.Context(), q)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := Page[Member]{Items: make([]Member, 0, len(list)), Total: total, Limit: limit, Offset: offset}
	for i := range list {
		out.Items = append(out.Items, memberOut(&list[i]))
	}
	c.JSON(http.StatusOK, out)
}

// member returns one member by openid.
func (h *Handler) member(c *gin.Context) {
	m, err := h.Store.FindMemberByOpenID(c.Request.Context(), c.Param("openid"))
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, memberOut(m))
}

// messages returns a member's conversation, oldest first: at most ?limit=
// (1-1000, default 200) of the most recent messages.
func (h *Handler) messages(c *gin.Context) {
	limit := 200
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			web.Errorf(c, models.EINVALID, "limit must be 1-1000")
			return
		}
		limit = n
	}
	m, err := h.Store.FindMemberByOpenID(c.Request.Context(), c.Param("openid"))
	if err != nil {
		web.Error(c, err)
		return
	}
	msgs, err := h.Store.ConversationFor(c.Request.Context(), web.CurrentStaff(c), m.OpenID, limit)
	respondList(c, msgs, err, messageOut)
}
