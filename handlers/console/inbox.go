package console

import (
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// The staff inbox (Close Service): a live list of conversations, one page
// per conversation, canned replies and agent metrics. Agents and admins
// only; marketers never see fans' chats. docs/answering-chats.md is the
// staff guide.

// registerInbox adds the inbox routes to the logged-in group a.
func (h *Handler) registerInbox(a *gin.RouterGroup) {
	g := a.Group("", web.RequireRole(models.RoleAdmin, models.RoleAgent))
	g.GET("/inbox", h.inbox)
	g.GET("/inbox/list", h.inboxList)
	g.GET("/inbox/count", h.inboxCount)
	g.GET("/inbox/events", h.inboxEvents)
	g.GET("/inbox/alert.wav", h.alertSound)
	g.GET("/inbox/metrics", h.serviceMetrics)
	g.POST("/inbox/status", h.setAgentStatus)
	g.POST("/inbox/pickup", h.pickUp)

	g.GET("/inbox/:id", h.conversationPage)
	g.GET("/inbox/:id/live", h.conversationLive)
	g.GET("/inbox/:id/canned", h.cannedPicker)
	g.POST("/inbox/:id/claim", h.claim)
	g.POST("/inbox/:id/transfer", h.transfer)
	g.POST("/inbox/:id/resolve", h.resolve)
	g.POST("/inbox/:id/notes", h.addNote)
	g.POST("/inbox/:id/reply", h.reply)
	g.POST("/inbox/:id/template", h.templateReply)
	g.POST("/inbox/:id/typing", h.typing)

	g.GET("/canned", h.cannedPage)
	g.POST("/canned", h.createCanned)
	g.POST("/canned/:id/delete", h.deleteCanned)
}

// Inbox filters, in the order the page shows them.
var inboxFilters = []string{"mine", "waiting", "open", "resolved"}

type inboxData struct {
	Filter  string
	Filters []string
	Rows    []inboxRow
	Counts  models.InboxCounts
	Status  *models.AgentStatus
	Present bool
}

// inboxRow is one conversation in the list.
type inboxRow struct {
	ID             uint64
	OpenID, State  string
	Reason         string
	AfterHours     bool   // a 留言 left outside business hours
	Team           string // the team whose queue it is in ("" for the general one)
	Agent          string
	Mine, Unread   bool
	Preview        string
	At             time.Time // queued (waiting) or last activity
	Ago            string
	Satisfaction   int // 0: not rated
	ResolvedBy     string
	FirstResponded bool
	// Pic is the fan's last message's picture ("" when it is none).
	Pic string
}

// inbox shows the list, the agent's availability and the pick-up form.
func (h *Handler) inbox(c *gin.Context) {
	st, ctx := web.CurrentStaff(c), c.Request.Context()
	counts, err := h.Store.CountInbox(ctx, st.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	filter := c.Query("filter")
	if !validFilter(filter) {
		filter = "waiting"
		if counts.Mine > 0 {
			filter = "mine"
		}
	}
	status, err := h.Store.FindAgentStatus(ctx, st.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	d := inboxData{Filter: filter, Filters: inboxFilters, Counts: counts, Status: status, Present: h.Store.AgentPresent(*status)}
	if d.Rows, err = h.inboxRows(c, filter); err != nil {
		web.Error(c, err)
		return
	}
	p := h.page(c, "inbox", "inbox.title", d)
	p.Flash = inboxFlash(c.Query("done"))
	h.render(c, http.StatusOK, "inbox", p)
}

// inboxList is the list alone, refreshed by the page when the inbox changes.
func (h *Handler) inboxList(c *gin.Context) {
	filter := c.Query("filter")
	if !validFilter(filter) {
		web.Errorf(c, models.EINVALID, "unknown filter")
		return
	}
	rows, err := h.inboxRows(c, filter)
	if err != nil {
		web.Error(c, err)
		return
	}
	h.fragment(c, "inbox", "list", inboxData{Filter: filter, Rows: rows})
}

// inboxCount answers the badge of pages without the live stream (polled
// every 20 s, so it also keeps the agent present).
func (h *Handler) inboxCount(c *gin.Context) {
	st := web.CurrentStaff(c)
	n, err := h.Store.CountInbox(c.Request.Context(), st.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	h.beat(c, st.ID)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, n)
}

func validFilter(f string) bool {
	for _, x := range inboxFilters {
		if f == x {
			return true
		}
	}
	return false
}

// inboxRows loads the conversations of one filter with their previews and
// agent names (three queries, whatever the length of the list).
func (h *Handler) inboxRows(c *gin.Context, filter string) ([]inboxRow, error) {
	st, ctx := web.CurrentStaff(c), c.Request.Context()
	var convs []models.Conversation
	var err error
	switch filter {
	case "mine":
		convs, err = h.Store.ListConversations(ctx, models.ConvAssigned, st.ID, 200)
	case "waiting":
		// An agent sees the queues of their teams and the general one.
		var scope *models.TeamScope
		if scope, err = h.Store.ScopeForAgent(ctx, st); err == nil {
			convs, err = h.Store.ListConversationsIn(ctx, models.ConvWaiting, 0, scope, 200)
		}
	case "open":
		convs, err = h.Store.ListConversations(ctx, "", 0, 200)
	case "resolved":
		convs, err = h.Store.ListConversations(ctx, models.ConvResolved, 0, 50)
	}
	if err != nil {
		return nil, err
	}
	names, err := h.staffNames(c)
	if err != nil {
		return nil, err
	}
	teams, err := h.Store.TeamNames(ctx)
	if err != nil {
		return nil, err
	}
	openIDs := make([]string, 0, len(convs))
	for _, cv := range convs {
		openIDs = append(openIDs, cv.OpenID)
	}
	last, err := h.Store.LastFanMessages(ctx, openIDs)
	if err != nil {
		return nil, err
	}
	lang := h.lang(c)
	menu := h.menuNames(ctx)
	lastMsgs := make([]models.Message, 0, len(last))
	for _, m := range last {
		m.Direction = models.DirectionIn // LastFanMessages reads fans' messages only
		lastMsgs = append(lastMsgs, m)
	}
	files := h.fanFilesOf(ctx, lastMsgs) // a fan's last picture shows as a thumbnail
	rows := make([]inboxRow, 0, len(convs))
	for _, cv := range convs {
		r := inboxRow{ID: cv.ID, OpenID: cv.OpenID, State: cv.State, Reason: cv.Reason, AfterHours: cv.AfterHours, At: cv.UpdatedAt,
			ResolvedBy: cv.ResolvedBy, FirstResponded: cv.FirstResponseAt != nil}
		if cv.State == models.ConvWaiting {
			r.At = cv.QueuedAt
		}
		if cv.TeamID != nil {
			r.Team = teams[*cv.TeamID]
		}
		if cv.Satisfaction != nil {
			r.Satisfaction = *cv.Satisfaction
		}
		if cv.AgentID != nil {
			r.Agent, r.Mine = names[*cv.AgentID], *cv.AgentID == st.ID
		}
		r.Unread = cv.State != models.ConvResolved && cv.LastFanAt != nil &&
			(cv.LastAgentAt == nil || cv.LastFanAt.After(*cv.LastAgentAt))
		if m, ok := last[cv.OpenID]; ok {
			r.Preview = limited(h.previewText(lang, m, menu), 60)
			if fm := fanMedia(m, files[m.ID]); fm != nil && m.MsgType == "image" {
				r.Pic = fm.File
			}
		}
		r.Ago = h.ago(lang, r.At)
		rows = append(rows, r)
	}
	return rows, nil
}

// previewText is a one-line summary of a fan's message.
func (h *Handler) previewText(lang string, m models.Message, menu map[string]string) string {
	if m.Event != "" {
		return h.messageEventText(lang, m, menu)
	}
	if m.MsgType == models.ReplyVoice {
		// "[语音] 识别：…" when WeChat recognised the speech; the media id
		// is for the conversation, not the list.
		if head, _, _ := strings.Cut(m.Content, " media_id="); strings.HasPrefix(head, "[") {
			return strings.Join(strings.Fields(head), " ")
		}
	}
	if m.MsgType != models.ReplyText {
		return h.kindText(lang, m.MsgType)
	}
	return strings.Join(strings.Fields(m.Content), " ")
}

// staffNames maps staff ids to display names.
func (h *Handler) staffNames(c *gin.Context) (map[uint64]string, error) {
	list, err := h.Store.ListStaff(c.Request.Context())
	if err != nil {
		return nil, err
	}
	out := make(map[uint64]string, len(list))
	for _, s := range list {
		out[s.ID] = displayName(&s)
	}
	return out, nil
}

func displayName(s *models.Staff) string {
	if s.DisplayName != "" {
		return s.DisplayName
	}
	return s.Username
}

// ago says how long ago t was, briefly, in lang.
func (h *Handler) ago(lang string, t time.Time) string {
	d := h.Now().Sub(t)
	switch {
	case d < time.Minute:
		return h.Pages.T(lang, "inbox.ago.now")
	case d < time.Hour:
		return h.Pages.T(lang, "inbox.ago.min", int(d/time.Minute))
	case d < 48*time.Hour:
		return h.Pages.T(lang, "inbox.ago.hour", int(d/time.Hour))
	}
	return h.Pages.T(lang, "inbox.ago.day", int(d/(24*time.Hour)))
}

// setAgentStatus switches the agent online or offline and sets how many
// chats they take at once; going online also hands them waiting chats.
func (h *Handler) setAgentStatus(c *gin.Context) {
	st, ctx := web.CurrentStaff(c), c.Request.Context()
	capacity, err := strconv.Atoi(strings.TrimSpace(c.DefaultPostForm("capacity", "0")))
	if err != nil {
		web.Errorf(c, models.EINVALID, "capacity must be a number")
		return
	}
	online := c.PostForm("online") == "on" || c.PostForm("online") == "true"
	if _, err := h.Store.SetAgentStatus(ctx, st.ID, online, capacity); err != nil {
		web.Error(c, err)
		return
	}
	if online && h.Service != nil {
		if _, err := h.Service.AssignWaiting(ctx); err != nil {
			h.Log.Warn("assign waiting conversations", "err", err)
		}
	}
	flash := "inbox.offline"
	if online {
		flash = "inbox.online"
	}
	c.Redirect(http.StatusSeeOther, Base+"/inbox?done="+flash)
}

// pickUp opens a conversation with a member on staff's initiative and
// claims it (audited).
func (h *Handler) pickUp(c *gin.Context) {
	st := web.CurrentStaff(c)
	openID := strings.TrimSpace(c.PostForm("openid"))
	conv, err := h.Store.PickUp(c.Request.Context(), openID, st.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "conversation.pickup", convTarget(conv), "")
	c.Redirect(http.StatusSeeOther, convPath(conv.ID)+"?done=inbox.claimed")
}

func convPath(id uint64) string { return Base + "/inbox/" + strconv.FormatUint(id, 10) }

func convTarget(c *models.Conversation) string {
	return "conversation " + strconv.FormatUint(c.ID, 10) + " (" + c.OpenID + ")"
}

// inboxFlash limits ?done= to the notices the inbox redirects with.
func inboxFlash(k string) string {
	switch k {
	case "inbox.online", "inbox.offline", "inbox.claimed", "inbox.transferred", "inbox.resolved",
		"inbox.sent", "inbox.noted", "canned.created", "canned.deleted":
		return k
	}
	return ""
}

// fragment writes one block of a page (an htmx swap).
func (h *Handler) fragment(c *gin.Context, page, block string, data any) {
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(http.StatusOK)
	if err := h.Pages.RenderBlock(c.Writer, h.lang(c), page, block, data); err != nil {
		h.Log.Error("render fragment", "page", page, "block", block, "err", err)
	}
}

// fail answers an inbox action's error: inline for htmx (the page swaps
// the message into the form's error slot), else the error page.
func (h *Handler) fail(c *gin.Context, err error) {
	if c.GetHeader("HX-Request") != "true" {
		web.Error(c, err)
		return
	}
	code, msg := models.ErrorCode(err), h.errFor(c, err)
	status := web.Status(code)
	if status == http.StatusInternalServerError {
		h.Log.Error("internal error", "route", c.FullPath(), "err", err)
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", []byte(`<div class="notice err" role="alert">`+html.EscapeString(msg)+`</div>`))
	c.Abort()
}
