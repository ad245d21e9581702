package console

import (
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// templateFallback reaches a fan whose customer-service window is closed
// with the template message FIVEC_SERVICE_TEMPLATE_ID names. Close Service
// does not offer it yet (it needs a template send in wechat/); the page
// offers the fallback as soon as h.Service has these methods.
type templateFallback interface {
	TemplateFallback() bool
	SendTemplateFallback(ctx context.Context, convID uint64, agent *models.Staff, text string) error
}

// typingSender shows the fan "typing…" (/cgi-bin/message/custom/typing).
// wechat.Client does not have it yet; typing is skipped until it does.
type typingSender interface {
	Typing(ctx context.Context, openID string) error
}

// typingWindow is how recent the fan's last message must be for WeChat to
// accept the typing status (wechat-platform.md §2).
const typingWindow = 30 * time.Second

type convData struct {
	Conv       *models.Conversation
	Member     *models.Member
	Tags       []string
	Agent      string
	Items      []convItem
	Notes      []models.ConversationNote
	NoteBy     map[uint64]string // note authors' display names by staff id
	Rating     int               // the fan's 1–5 satisfaction answer (0: none yet)
	Channel    string            // the QR channel the fan followed through, by name
	Window     models.Window
	WindowLeft string // time left in an open window
	// WindowClosesIn is how long until an open window closes, in
	// milliseconds: the page asks for a live update then.
	WindowClosesIn int64
	WindowWhy      string // why it is closed, translated when known
	// WindowBy says what the fan's last action allows: "粉丝 3 分钟前点击了
	// 菜单：1 分钟内可回复 3 条".
	WindowBy string
	// Held: the viewer may reply, transfer and resolve.
	Held, Claimable, Resolvable bool
	Agents                      []agentOption
	Template                    bool
	// Library: the reply box offers the 素材库's newest Images.
	Library bool
	Images  []models.Material
	// Key changes when the state or the agent does: the page reloads.
	Key string
	// History are the customer's earlier conversations, newest first.
	History []pastConv
}

// pastConv is one of the customer's earlier conversations.
type pastConv struct {
	ID            uint64
	State, Reason string
	AfterHours    bool
	QueuedAt      time.Time
	Agent         string
	Rating        int
}

// historyLimit is how many earlier conversations the page lists.
const historyLimit = 20

// agentOption is a transfer target.
type agentOption struct {
	ID     uint64
	Name   string
	Online bool
}

// convID parses :id; a malformed id is simply not found.
func convID(c *gin.Context) (uint64, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		return 0, models.Errorf(models.ENOTFOUND, "no such conversation")
	}
	return id, nil
}

// loadConv gathers everything the conversation page shows.
func (h *Handler) loadConv(c *gin.Context) (*convData, error) {
	st, ctx := web.CurrentStaff(c), c.Request.Context()
	id, err := convID(c)
	if err != nil {
		return nil, err
	}
	d := &convData{}
	if d.Conv, err = h.Store.FindConversation(ctx, id); err != nil {
		return nil, err
	}
	if d.Member, err = h.Store.FindMemberByOpenID(ctx, d.Conv.OpenID); err != nil {
		return nil, err
	}
	if d.Tags, err = h.Store.MemberTags(ctx, d.Member.ID); err != nil {
		return nil, err
	}
	msgs, err := h.Store.Conversation(ctx, d.Conv.OpenID, 300)
	if err != nil {
		return nil, err
	}
	if h.Library != nil {
		d.Library = true
		if page, err := h.Store.Materials(ctx, models.MaterialImage, 0, pickerSize); err == nil {
			d.Images = page.Items
		} else {
			h.Log.Error("reply box: media picker", "err", err)
		}
	}
	d.Items = h.conversation(ctx, h.lang(c), msgs)
	if d.Notes, err = h.Store.Notes(ctx, id); err != nil {
		return nil, err
	}
	if d.NoteBy, err = h.noteAuthors(ctx, d.Notes); err != nil {
		return nil, err
	}
	rules := models.DefaultWindowRules
	if h.Service != nil {
		rules = h.Service.Window
	}
	if d.Window, err = h.Store.ServiceWindow(ctx, d.Conv.OpenID, rules); err != nil {
		return nil, err
	}
	lang := h.lang(c)
	if d.Window.Open {
		d.WindowLeft = h.span(lang, d.Window.Ends.Sub(h.Now()))
		d.WindowClosesIn = max(d.Window.Ends.Sub(h.Now()).Milliseconds(), 0)
	} else {
		d.WindowWhy = h.windowWhy(lang, d.Window.Why)
	}
	if w := d.Window; w.By != "" {
		d.WindowBy = h.Pages.T(lang, "inbox.window.by", h.ago(lang, w.At), h.windowAction(lang, w.By), h.length(lang, w.For), w.Allows)
	}
	if d.Channel, err = h.channelName(ctx, d.Member.SubscribeScene); err != nil {
		return nil, err
	}
	if d.Conv.Satisfaction != nil {
		d.Rating = *d.Conv.Satisfaction
	}
	d.Held, d.Claimable = d.Conv.HeldBy(st), d.Conv.State == models.ConvWaiting
	d.Resolvable = d.Conv.CheckResolve(st) == nil
	d.Key = d.Conv.State
	if d.Conv.AgentID != nil {
		d.Key += "/" + strconv.FormatUint(*d.Conv.AgentID, 10)
		if a, err := h.Store.FindStaff(ctx, *d.Conv.AgentID); err == nil {
			d.Agent = displayName(a)
		}
	}
	if d.Held {
		if d.Agents, err = h.transferTargets(ctx, *d.Conv.AgentID); err != nil {
			return nil, err
		}
	}
	if tf, ok := any(h.Service).(templateFallback); ok && h.Service != nil {
		d.Template = tf.TemplateFallback()
	}
	if d.History, err = h.history(ctx, d.Conv); err != nil {
		return nil, err
	}
	return d, nil
}

// history lists the member's other conversations with who served them.
func (h *Handler) history(ctx context.Context, conv *models.Conversation) ([]pastConv, error) {
	convs, err := h.Store.MemberConversations(ctx, conv.MemberID, conv.ID, historyLimit)
	if err != nil || len(convs) == 0 {
		return nil, err
	}
	names := map[uint64]string{}
	out := make([]pastConv, len(convs))
	for i, cv := range convs {
		p := pastConv{ID: cv.ID, State: cv.State, Reason: cv.Reason, AfterHours: cv.AfterHours, QueuedAt: cv.QueuedAt}
		if cv.Satisfaction != nil {
			p.Rating = *cv.Satisfaction
		}
		if cv.AgentID != nil {
			name, ok := names[*cv.AgentID]
			if !ok {
				if a, err := h.Store.FindStaff(ctx, *cv.AgentID); err == nil {
					name = displayName(a)
				}
				names[*cv.AgentID] = name
			}
			p.Agent = name
		}
		out[i] = p
	}
	return out, nil
}

// transferTargets lists enabled agents and admins other than the holder,
// online ones first.
func (h *Handler) transferTargets(ctx context.Context, holder uint64) ([]agentOption, error) {
	staff, err := h.Store.ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	statuses, err := h.Store.AgentStatuses(ctx)
	if err != nil {
		return nil, err
	}
	var on, off []agentOption
	for i := range staff {
		s := &staff[i]
		if s.ID == holder || s.Disabled || s.Role == models.RoleMarketer {
			continue
		}
		o := agentOption{ID: s.ID, Name: displayName(s), Online: h.Store.AgentPresent(statuses[s.ID])}
		if o.Online {
			on = append(on, o)
		} else {
			off = append(off, o)
		}
	}
	return append(on, off...), nil
}

// windowAction names the fan action that opened the window.
func (h *Handler) windowAction(lang, by string) string {
	switch by {
	case "message", "click", "subscribe", "scan", "scancode_push", "scancode_waitmsg":
		return h.Pages.T(lang, "inbox.window.action."+by)
	}
	return h.Pages.T(lang, "inbox.window.action.event")
}

// length writes a window's length: "48 小时", "1 分钟".
func (h *Handler) length(lang string, d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return h.Pages.T(lang, "inbox.window.hours", int(d/time.Hour))
	}
	return h.Pages.T(lang, "inbox.window.minutes", int(d/time.Minute))
}

// windowWhy translates the reasons models.ServiceWindow gives.
func (h *Handler) windowWhy(lang, why string) string {
	switch {
	case why == models.WhyEventClosed:
		return h.Pages.T(lang, "inbox.why.event_closed")
	case strings.Contains(why, "unfollowed"):
		return h.Pages.T(lang, "inbox.why.unfollowed")
	case strings.Contains(why, "quota"):
		return h.Pages.T(lang, "inbox.why.quota")
	case strings.Contains(why, "not written"):
		return h.Pages.T(lang, "inbox.why.silent")
	}
	return why
}

// span writes a duration briefly: "3 h 12 min", "4 min 5 s".
func (h *Handler) span(lang string, d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	switch {
	case d < time.Minute:
		return h.Pages.T(lang, "inbox.span.s", int(d/time.Second))
	case d < time.Hour:
		return h.Pages.T(lang, "inbox.span.ms", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	return h.Pages.T(lang, "inbox.span.hm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// conversationPage shows one conversation with its member, window, notes
// and the agent's tools.
func (h *Handler) conversationPage(c *gin.Context) {
	d, err := h.loadConv(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	p := h.page(c, "inbox", "inbox.conversation", d)
	p.Flash = inboxFlash(c.Query("done"))
	h.render(c, http.StatusOK, "inbox_conv", p)
}

// conversationLive is the part of the page that changes by itself (the
// history, the window, the notes), refreshed on inbox events.
func (h *Handler) conversationLive(c *gin.Context) {
	d, err := h.loadConv(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.fragment(c, "inbox_conv", "live", d)
}

// acted answers a successful action: htmx gets a notice and refreshes the
// live part; a plain form goes back to the conversation.
func (h *Handler) acted(c *gin.Context, id uint64, flash string) {
	if c.GetHeader("HX-Request") == "true" {
		c.Header("HX-Trigger", "inbox-changed")
		c.Header("Cache-Control", "no-store")
		c.Data(http.StatusOK, "text/html; charset=utf-8",
			[]byte(`<div class="notice ok" role="status">`+h.Pages.T(h.lang(c), flash)+`</div>`))
		return
	}
	c.Redirect(http.StatusSeeOther, convPath(id)+"?done="+flash)
}

// claim takes a waiting conversation; 409 when another agent was faster.
func (h *Handler) claim(c *gin.Context) {
	id, err := convID(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	conv, err := h.Store.Claim(c.Request.Context(), id, web.CurrentStaff(c).ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	web.Audit(c, h.Store, "conversation.claim", convTarget(conv), "")
	h.acted(c, id, "inbox.claimed")
}

// transfer hands the conversation to another agent with a note.
func (h *Handler) transfer(c *gin.Context) {
	st, ctx := web.CurrentStaff(c), c.Request.Context()
	id, err := convID(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	to, err := strconv.ParseUint(c.PostForm("to"), 10, 64)
	if err != nil {
		h.fail(c, models.Errorf(models.EINVALID, "choose an agent"))
		return
	}
	conv, err := h.Store.FindConversation(ctx, id)
	if err == nil {
		var from uint64
		if from, err = conv.TransferFrom(st); err == nil {
			conv, err = h.Store.Transfer(ctx, id, from, to, limited(c.PostForm("note"), 1000))
		}
	}
	if errors.Is(err, models.ErrNotAnAgent) {
		err = models.Errorf(models.ErrorCode(err), "%s", h.Pages.T(h.lang(c), "inbox.transfer.not_agent"))
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	web.Audit(c, h.Store, "conversation.transfer", convTarget(conv), "to="+strconv.FormatUint(to, 10))
	c.Redirect(http.StatusSeeOther, Base+"/inbox?done=inbox.transferred")
}

// resolve closes the conversation; Close Service tells the fan and asks
// for a rating.
func (h *Handler) resolve(c *gin.Context) {
	st, ctx := web.CurrentStaff(c), c.Request.Context()
	id, err := convID(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	conv, err := h.Store.FindConversation(ctx, id)
	if err == nil {
		err = conv.CheckResolve(st)
	}
	if err == nil {
		conv, err = h.service().Resolve(ctx, id, "agent")
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	web.Audit(c, h.Store, "conversation.resolve", convTarget(conv), "")
	h.acted(c, id, "inbox.resolved")
}

// addNote stores an internal note (staff only; the fan never sees it).
func (h *Handler) addNote(c *gin.Context) {
	st, ctx := web.CurrentStaff(c), c.Request.Context()
	id, err := convID(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	if _, err = h.Store.FindConversation(ctx, id); err == nil {
		_, err = h.Store.AddNote(ctx, id, st.ID, st.Username, strings.TrimSpace(c.PostForm("text")))
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.acted(c, id, "inbox.noted")
}

// reply sends text or an image (by media_id) to the fan. Close Service
// refuses what WeChat would reject and says why.
func (h *Handler) reply(c *gin.Context) {
	id, err := convID(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	r := models.TextReply(strings.TrimSpace(c.PostForm("text")))
	if c.PostForm("kind") == models.ReplyImage {
		if fh, ferr := c.FormFile("picture"); ferr == nil && fh.Size > 0 {
			h.replyPicture(c, id, fh)
			return
		}
		r = models.Reply{Kind: models.ReplyImage, MediaID: strings.TrimSpace(c.PostForm("media_id"))}
		if r.MediaID == "" {
			h.fail(c, models.Errorf(models.EINVALID, "choose a picture on your computer or from the media library"))
			return
		}
	}
	if err := h.service().Reply(c.Request.Context(), id, web.CurrentStaff(c), r); err != nil {
		h.fail(c, err)
		return
	}
	h.acted(c, id, "inbox.sent")
}

// replyPicture sends the picture the agent chose on their computer.
func (h *Handler) replyPicture(c *gin.Context, id uint64, fh *multipart.FileHeader) {
	desk, ok := h.service().(pictureDesk)
	if !ok {
		h.fail(c, roles.ErrNoService)
		return
	}
	data, err := readUpload(fh)
	if err == nil {
		err = desk.ReplyPicture(c.Request.Context(), id, web.CurrentStaff(c), fh.Filename, data)
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.acted(c, id, "inbox.sent")
}

// pictureDesk is Close Service when it can send agents' pictures.
type pictureDesk interface {
	ReplyPicture(ctx context.Context, convID uint64, agent *models.Staff, fileName string, data []byte) error
}

// templateReply sends the template-message fallback when the window is
// closed.
func (h *Handler) templateReply(c *gin.Context) {
	id, err := convID(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	tf, ok := any(h.Service).(templateFallback)
	if !ok || h.Service == nil || !tf.TemplateFallback() {
		h.fail(c, models.Errorf(models.ECONFLICT, "no template message is configured (FIVEC_SERVICE_TEMPLATE_ID)"))
		return
	}
	if err := tf.SendTemplateFallback(c.Request.Context(), id, web.CurrentStaff(c), strings.TrimSpace(c.PostForm("text"))); err != nil {
		h.fail(c, err)
		return
	}
	h.acted(c, id, "inbox.sent")
}

// typing shows the fan that the agent is typing, where WeChat allows it
// (the fan wrote within 30 s). It is cosmetic: it always answers 204.
func (h *Handler) typing(c *gin.Context) {
	c.Status(http.StatusNoContent)
	ts, ok := any(h.WX).(typingSender)
	if !ok || h.WX == nil {
		return
	}
	id, err := convID(c)
	if err != nil {
		return
	}
	conv, err := h.Store.FindConversation(c.Request.Context(), id)
	if err != nil || !conv.HeldBy(web.CurrentStaff(c)) || conv.LastFanAt == nil || h.Now().Sub(*conv.LastFanAt) >= typingWindow {
		return
	}
	if err := ts.Typing(c.Request.Context(), conv.OpenID); err != nil {
		h.Log.Info("typing status refused", "conversation", id, "err", err)
	}
}

// service is Close Service; a console built without one refuses actions
// that message fans.
func (h *Handler) service() serviceDesk {
	if h.Service == nil {
		return noService{}
	}
	return h.Service
}

// serviceDesk is what the inbox needs from Close Service.
type serviceDesk interface {
	Reply(ctx context.Context, convID uint64, agent *models.Staff, r models.Reply) error
	Resolve(ctx context.Context, convID uint64, by string) (*models.Conversation, error)
}

type noService struct{}

func (noService) Reply(context.Context, uint64, *models.Staff, models.Reply) error {
	return roles.ErrNoService
}
func (noService) Resolve(context.Context, uint64, string) (*models.Conversation, error) {
	return nil, roles.ErrNoService
}

// noteAuthors maps the notes' authors to the names colleagues know them by
// (display name, else login name); a note keeps the login name it was
// written under when its author is gone.
func (h *Handler) noteAuthors(ctx context.Context, notes []models.ConversationNote) (map[uint64]string, error) {
	out := map[uint64]string{}
	if len(notes) == 0 {
		return out, nil
	}
	all, err := h.Store.ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		out[all[i].ID] = displayName(&all[i])
	}
	for _, n := range notes {
		if _, ok := out[n.StaffID]; !ok {
			out[n.StaffID] = n.Username
		}
	}
	return out, nil
}
