package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// registerConversations adds Close Service: conversations, canned replies
// and the agent's status. Agents and admins only.
func (h *Handler) registerConversations(g *gin.RouterGroup) {
	s := g.Group("", web.RequireRole(models.RoleAdmin, models.RoleAgent))
	s.GET("/conversations", h.conversations)
	s.POST("/conversations", h.pickUp)
	s.GET("/conversations/:id", h.conversation)
	s.POST("/conversations/:id/claim", h.claim)
	s.POST("/conversations/:id/transfer", h.transfer)
	s.POST("/conversations/:id/resolve", h.resolve)
	s.POST("/conversations/:id/reply", h.reply)
	s.GET("/conversations/:id/notes", h.notes)
	s.POST("/conversations/:id/notes", h.addNote)
	s.GET("/canned", h.canned)
	s.POST("/canned", h.createCanned)
	s.DELETE("/canned/:id", h.deleteCanned)
	s.GET("/agent/status", h.agentStatus)
	s.PUT("/agent/status", h.setAgentStatus)
}

// conversations lists conversations: ?state=open (default: waiting and
// assigned), waiting, assigned or resolved; ?mine=true for the caller's;
// ?agent_id= for one agent's; ?limit= (1-500, default 100).
func (h *Handler) conversations(c *gin.Context) {
	state := c.DefaultQuery("state", "open")
	switch state {
	case "open":
		state = ""
	case models.ConvWaiting, models.ConvAssigned, models.ConvResolved:
	default:
		web.Errorf(c, models.EINVALID, "state must be open, waiting, assigned or resolved")
		return
	}
	var agent uint64
	if v := c.Query("agent_id"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			web.Errorf(c, models.EINVALID, "agent_id must be a staff id")
			return
		}
		agent = n
	}
	if c.Query("mine") == "true" {
		agent = web.CurrentStaff(c).ID
	}
	limit := 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			web.Errorf(c, models.EINVALID, "limit must be 1-500")
			return
		}
		limit = n
	}
	list, err := h.Store.ListConversations(c.Request.Context(), state, agent, limit)
	respondList(c, list, err, conversationOut)
}

// conversation returns one conversation with its member, window, notes
// and latest messages (?messages=, 1-1000, default 100).
func (h *Handler) conversation(c *gin.Context) {
	ctx := c.Request.Context()
	limit := 100
	if v := c.Query("messages"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			web.Errorf(c, models.EINVALID, "messages must be 1-1000")
			return
		}
		limit = n
	}
	conv, err := h.findConversation(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	d, err := h.detail(ctx, conv, limit)
	respond(c, d, err)
}

func (h *Handler) detail(ctx context.Context, conv *models.Conversation, limit int) (*ConversationDetail, error) {
	m, err := h.Store.FindMemberByOpenID(ctx, conv.OpenID)
	if err != nil {
		return nil, err
	}
	tags, err := h.Store.MemberTags(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	rules := models.DefaultWindowRules
	if h.Service != nil {
		rules = h.Service.Window
	}
	w, err := h.Store.ServiceWindow(ctx, conv.OpenID, rules)
	if err != nil {
		return nil, err
	}
	notes, err := h.Store.Notes(ctx, conv.ID)
	if err != nil {
		return nil, err
	}
	msgs, err := h.Store.Conversation(ctx, conv.OpenID, limit)
	if err != nil {
		return nil, err
	}
	d := &ConversationDetail{Conversation: conversationOut(conv), Window: windowOut(w),
		Member: Profile{Member: memberOut(m), Stage: m.Stage, Tags: append([]string{}, tags...), Points: m.Points},
		Notes:  make([]Note, 0, len(notes)), Messages: make([]Message, 0, len(msgs))}
	for i := range notes {
		d.Notes = append(d.Notes, noteOut(&notes[i]))
	}
	for i := range msgs {
		d.Messages = append(d.Messages, messageOut(&msgs[i]))
	}
	return d, nil
}

// findConversation loads :id.
func (h *Handler) findConversation(c *gin.Context) (*models.Conversation, error) {
	return loadByID(c, h.Store.FindConversation)
}

// pickUp opens a conversation with a member and claims it for the caller:
// 201 with the conversation, 409 when another agent holds the member's
// open conversation.
func (h *Handler) pickUp(c *gin.Context) {
	var req PickUpRequest
	if !bindJSON(c, &req) {
		return
	}
	conv, err := h.Store.PickUp(c.Request.Context(), strings.TrimSpace(req.OpenID), web.CurrentStaff(c).ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "conversation.pickup", convTarget(conv), "via API")
	c.Header("Location", "/api/v1/conversations/"+strconv.FormatUint(conv.ID, 10))
	c.JSON(http.StatusCreated, conversationOut(conv))
}

// claim takes a waiting conversation; 409 when another agent won.
func (h *Handler) claim(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	conv, err := h.Store.Claim(c.Request.Context(), id, web.CurrentStaff(c).ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "conversation.claim", convTarget(conv), "via API")
	c.JSON(http.StatusOK, conversationOut(conv))
}

// transfer hands an assigned conversation to another agent with a note.
func (h *Handler) transfer(c *gin.Context) {
	var req TransferRequest
	if !bindJSON(c, &req) {
		return
	}
	conv, err := h.findConversation(c)
	if err == nil {
		var from uint64
		if from, err = conv.TransferFrom(web.CurrentStaff(c)); err == nil {
			conv, err = h.Store.Transfer(c.Request.Context(), conv.ID, from, req.ToAgentID, strings.TrimSpace(req.Note))
		}
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "conversation.transfer", convTarget(conv), "to="+strconv.FormatUint(req.ToAgentID, 10)+" via API")
	c.JSON(http.StatusOK, conversationOut(conv))
}

// resolve closes the conversation; the fan is told and asked for a rating.
func (h *Handler) resolve(c *gin.Context) {
	conv, err := h.findConversation(c)
	if err == nil {
		err = conv.CheckResolve(web.CurrentStaff(c))
	}
	if err == nil && h.Service == nil {
		err = roles.ErrNoService
	}
	if err == nil {
		conv, err = h.Service.Resolve(c.Request.Context(), conv.ID, "agent")
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "conversation.resolve", convTarget(conv), "via API")
	c.JSON(http.StatusOK, conversationOut(conv))
}

// reply sends text or an image (media_id) to the fan: 204, or 409 with
// the reason when WeChat would not deliver it (window closed, quota used).
func (h *Handler) reply(c *gin.Context) {
	var req ReplyRequest
	if !bindJSON(c, &req) {
		return
	}
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	var r models.Reply
	switch req.Kind {
	case "", models.ReplyText:
		r = models.TextReply(strings.TrimSpace(req.Text))
	case models.ReplyImage:
		r = models.Reply{Kind: models.ReplyImage, MediaID: strings.TrimSpace(req.MediaID)}
	default:
		web.Errorf(c, models.EINVALID, "kind must be text or image")
		return
	}
	if h.Service == nil {
		web.Error(c, roles.ErrNoService)
		return
	}
	if err := h.Service.Reply(c.Request.Context(), id, web.CurrentStaff(c), r); err != nil {
		web.Error(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// notes lists a conversation's internal notes, oldest first.
func (h *Handler) notes(c *gin.Context) {
	conv, err := h.findConversation(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	list, err := h.Store.Notes(c.Request.Context(), conv.ID)
	respondList(c, list, err, noteOut)
}

// addNote stores an internal note: 201 with it.
func (h *Handler) addNote(c *gin.Context) {
	var req NoteRequest
	if !bindJSON(c, &req) {
		return
	}
	st := web.CurrentStaff(c)
	conv, err := h.findConversation(c)
	var n *models.ConversationNote
	if err == nil {
		n, err = h.Store.AddNote(c.Request.Context(), conv.ID, st.ID, st.Username, strings.TrimSpace(req.Text))
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusCreated, noteOut(n))
}

// agentStatus returns whether the caller takes chats.
func (h *Handler) agentStatus(c *gin.Context) {
	st, err := h.Store.FindAgentStatus(c.Request.Context(), web.CurrentStaff(c).ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, h.statusOut(st))
}

// setAgentStatus switches the caller online or offline and sets their
// capacity. Staying present needs a heartbeat: an open console inbox, or
// calling this again within two minutes.
func (h *Handler) setAgentStatus(c *gin.Context) {
	var req AgentStatusRequest
	if !bindJSON(c, &req) {
		return
	}
	if req.Online == nil {
		web.Errorf(c, models.EINVALID, "online (true or false) is required")
		return
	}
	st, err := h.Store.SetAgentStatus(c.Request.Context(), web.CurrentStaff(c).ID, *req.Online, req.Capacity)
	if err != nil {
		web.Error(c, err)
		return
	}
	if *req.Online && h.Service != nil {
		if _, err := h.Service.AssignWaiting(c.Request.Context()); err != nil {
			h.Log.Warn("assign waiting conversations", "err", err)
		}
	}
	c.JSON(http.StatusOK, h.statusOut(st))
}

func (h *Handler) statusOut(st *models.AgentStatus) AgentStatus {
	return AgentStatus{Online: st.Online, Present: h.Store.AgentPresent(*st), Capacity: st.Capacity, LastSeenAt: st.LastSeenAt}
}

func convTarget(c *models.Conversation) string {
	return "conversation " + strconv.FormatUint(c.ID, 10) + " (" + c.OpenID + ")"
}
