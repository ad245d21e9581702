package roles

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/settings"
	"github.com/fivec/fivec/wechat"
)

// ServiceTexts are what Close Service says to fans: reply templates
// (settings.Render) with the variables the console names for each
// ({{.Ahead}}: conversations ahead, {{.Agent}}: the agent's name, {{.Name}}:
// the fan's name).
type ServiceTexts struct {
	Queued       string
	Waiting      string
	Assigned     string
	Resolved     string
	Timeout      string
	Apology      string
	Satisfaction string
	Thanks       string
	// OffHours answers an escalation outside business hours ({{.OpensAt}}:
	// when they next begin).
	OffHours string
}

// DefaultServiceTexts are the Chinese defaults.
var DefaultServiceTexts = ServiceTexts{
	Queued:       "已为您转接人工客服，前面还有 {{.Ahead}} 位，请稍候。",
	Waiting:      "您正在排队，前面还有 {{.Ahead}} 位，客服会尽快回复您。",
	Assigned:     "客服 {{.Agent}} 为您服务，请问有什么可以帮您？",
	Resolved:     "本次服务已结束，感谢您的耐心。",
	Timeout:      "由于长时间没有新消息，本次服务已自动结束。如需帮助，回复“人工”即可再次联系客服。",
	Apology:      "非常抱歉，目前咨询人数较多，让您久等了。客服会尽快联系您。",
	Satisfaction: "请为本次服务打分：回复 1-5（5 为非常满意）。",
	Thanks:       "感谢您的评价！",
	OffHours:     "现在是非工作时间，客服将于 {{.OpensAt}} 上班后第一时间回复您。您可以直接在这里留言，我们会按顺序处理。",
}

// ErrNoService is what the console and the API answer when Close Service is
// not wired in this process (a desk action with no desk).
var ErrNoService = models.Errorf(models.ECONFLICT, "Close Service is not running in this process")

// Service (贴身客服) puts fans in touch with staff: it escalates on request
// (keywords, a menu button, a rule action) or after repeated unanswered
// questions, keeps the bot quiet while a person handles the chat, and asks
// for a rating afterwards.
type Service struct {
	Store  *models.Store
	Sender *wechat.Sender
	Log    *slog.Logger
	// Keywords escalate when a text is exactly one of them (after folding).
	Keywords []string
	// MenuKey is the menu CLICK key that escalates.
	MenuKey string
	// UnansweredLimit escalates after this many unanswered texts in a row
	// (0: never).
	UnansweredLimit int
	// Policy is models.PolicyLeastLoaded or models.PolicyRoundRobin.
	Policy string
	// WeChatKf hands chats to WeChat's own 多客服 instead of fivec's inbox.
	WeChatKf bool
	// AskSatisfaction asks for a 1–5 rating when a conversation is resolved.
	AskSatisfaction bool
	Texts           ServiceTexts
	// Window is the platform's customer-service window.
	Window models.WindowRules
	// TemplateID is the template message offered when a fan's window is
	// closed ("" disables it); TemplateField is the keyword the agent's
	// text fills (e.g. thing1: at most 20 characters).
	TemplateID    string
	TemplateField string
	// Hours are the business hours when Live is nil (zero: always open).
	Hours settings.Hours
	// Loc is the account's time zone (business hours); Now the clock.
	Loc *time.Location
	Now func() time.Time
	// Live, when set, holds the keywords, menu key, unanswered limit,
	// texts and business hours in force (saved in the console); the fields
	// above are then not used for them.
	Live *settings.Live
	// Pictures lets agents answer with pictures (nil: text only).
	Pictures *Pictures
}

// serviceConf is what the console may change, as in force now.
type serviceConf struct {
	keywords        []string
	menuKey         string
	unansweredLimit int
	texts           ServiceTexts
	hours           settings.Hours
}

// conf returns the settings in force: Live's, else the fields.
func (s *Service) conf() serviceConf {
	if s.Live == nil {
		return serviceConf{keywords: s.Keywords, menuKey: s.MenuKey, unansweredLimit: s.UnansweredLimit, texts: s.Texts, hours: s.Hours}
	}
	v := s.Live.Current()
	var keywords []string
	for _, k := range v.List(settings.ServiceKeywords) {
		if k = normalize(k); k != "" {
			keywords = append(keywords, k)
		}
	}
	return serviceConf{keywords: keywords, menuKey: v.Text(settings.ServiceMenuKey), unansweredLimit: int(v.Int(settings.ServiceUnanswered)),
		texts: ServiceTexts{
			Queued: v.Text(settings.ServiceQueued), Waiting: v.Text(settings.ServiceWaiting), Assigned: v.Text(settings.ServiceAssigned),
			Resolved: v.Text(settings.ServiceResolved), Timeout: v.Text(settings.ServiceTimeout), Apology: v.Text(settings.ServiceApology),
			Satisfaction: v.Text(settings.ServiceSatisfaction), Thanks: v.Text(settings.ServiceThanks),
			OffHours: v.Text(settings.ServiceOffHours),
		}, hours: v.Hours()}
}

// now is the time in the account's zone.
func (s *Service) now() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	loc := s.Loc
	if loc == nil {
		loc = time.Local
	}
	return now().In(loc)
}

// Closed reports whether it is outside business hours now and, if so, when
// they next begin as a fan reads it ("明天 09:00").
func (s *Service) Closed() (closed bool, opensAt string) {
	return closedAt(s.conf().hours, s.now())
}

func closedAt(h settings.Hours, now time.Time) (bool, string) {
	if h.Open(now) {
		return false, ""
	}
	at, _ := h.NextOpen(now)
	return true, settings.FormatOpensAt(at, now)
}

// offHours is the off-hours text for member.
func (s *Service) offHours(ctx context.Context, conf serviceConf, opensAt string, member *models.Member) models.Reply {
	if opensAt == "" {
		opensAt = "工作日" // every coming day is a holiday: no date to give
	}
	return models.TextReply(s.say(ctx, settings.ServiceOffHours, conf.texts.OffHours, member, settings.TextData{OpensAt: opensAt}))
}

// say renders one of the texts for member (nil: no name known).
func (s *Service) say(ctx context.Context, key, text string, member *models.Member, data settings.TextData) string {
	if member != nil && strings.Contains(text, ".Name") {
		data.Name, _ = models.NewFanVars(ctx, s.Store, member).Name()
	}
	return settings.Render(key, text, data)
}

// TemplateFallback reports whether a template message can reach fans whose
// window is closed.
func (s *Service) TemplateFallback() bool { return s.TemplateID != "" }

// SendTemplateFallback sends text in the configured template message to the
// conversation's fan, for when the 48-hour window is closed.
func (s *Service) SendTemplateFallback(ctx context.Context, convID uint64, agent *models.Staff, text string) error {
	if !s.TemplateFallback() {
		return models.Errorf(models.EINVALID, "no template is configured (FIVEC_SERVICE_TEMPLATE_ID)")
	}
	conv, err := s.heldConversation(ctx, convID, agent)
	if err != nil {
		return err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return models.Errorf(models.EINVALID, "write the message first")
	}
	if r := []rune(text); len(r) > 20 {
		return models.Errorf(models.EINVALID, "a template keyword holds at most 20 characters; this is %d", len(r))
	}
	field := s.TemplateField
	if field == "" {
		field = "thing1"
	}
	if _, err := s.Sender.SendTemplate(ctx, conv.OpenID, s.TemplateID, map[string]string{field: text}); err != nil {
		if code := wechat.ErrCode(err); code != 0 {
			return models.Errorf(models.ECONFLICT, "WeChat refused the template message (errcode %d)", code)
		}
		return err
	}
	return s.Store.NoteAgentReply(ctx, convID)
}

// Name implements Role.
func (*Service) Name() string { return "service" }

// Handle implements Role.
func (s *Service) Handle(ctx context.Context, t *Turn) error {
	m := t.Msg
	if m.MsgType == message.MsgTypeEvent {
		switch {
		case m.Event == message.EventUnsubscribe:
			return s.closeOnUnfollow(ctx, t)
		case m.Event == message.EventClick && m.EventKey != "" && m.EventKey == s.conf().menuKey:
			return s.escalate(ctx, t, models.ReasonMenu, m.EventKey)
		case m.Event == message.EventClick && m.EventKey != "" && !t.Member.InConversation:
			// A button routed to a team (售前, 售后) hands the fan over too.
			routed, err := s.Store.MenuRouted(ctx, m.EventKey)
			if err != nil || !routed {
				return err
			}
			return s.escalate(ctx, t, models.ReasonMenu, m.EventKey)
		}
		return nil
	}
	var conv *models.Conversation
	ahead := int64(-1)
	switch {
	case !t.Member.InConversation: // only then is there anything to look up
	case t.Member.OpenKnown: // read with the member when the message was recorded
		if o := t.Member.Open; o != nil {
			conv, ahead = &o.Conversation, o.Ahead
		}
	default:
		var err error
		if conv, err = s.Store.OpenConversation(ctx, t.Member.ID); err != nil {
			return err
		}
	}
	if conv != nil {
		// A person has (or will have) this fan: the bot stays quiet.
		t.Done = true
		t.ConversationID = conv.ID // noted with the answer (last fan message)
		if conv.State == models.ConvWaiting && !s.WeChatKf {
			conf := s.conf()
			if closed, opensAt := closedAt(conf.hours, s.now()); closed {
				// A 留言: the fan is told again when someone will answer,
				// not a queue position nobody is working through.
				t.Reply(s.offHours(ctx, conf, opensAt, t.Member))
				return nil
			}
			if ahead < 0 {
				var err error
				if ahead, err = s.Store.QueuePosition(ctx, conv); err != nil {
					return err
				}
			}
			t.Reply(models.TextReply(s.say(ctx, settings.ServiceWaiting, s.conf().texts.Waiting, t.Member, settings.TextData{Ahead: ahead})))
		}
		return nil
	}
	if m.MsgType != message.MsgTypeText {
		return nil
	}
	text := normalize(m.Content)
	if done, err := s.rating(ctx, t, text); done || err != nil {
		return err
	}
	if slices.Contains(s.conf().keywords, text) {
		return s.escalate(ctx, t, models.ReasonKeyword, text)
	}
	return nil
}

// Finish runs after the whole chain: repeated unanswered questions escalate.
func (s *Service) Finish(ctx context.Context, t *Turn) error {
	limit := s.conf().unansweredLimit
	if limit <= 0 || t.Msg.MsgType != message.MsgTypeText || t.Member == nil {
		return nil
	}
	// The run is stored with the answer (models.Answer.Run), in the same
	// batch as the message's final state.
	run := 0
	switch {
	case t.Unanswered:
		run, t.RunChange = t.Member.UnansweredRun+1, models.RunAdd
	case t.Member.UnansweredRun != 0:
		t.RunChange = models.RunReset
	}
	if run < limit || t.Member.InConversation {
		return nil
	}
	// The bot's default reply (if any) stays first; the handoff follows.
	return s.Escalate(ctx, t, models.ReasonUnanswered)
}

// Escalate hands the fan to people: a queued conversation, assigned at once
// when an agent is free. It is also the "escalate" rule action.
func (s *Service) Escalate(ctx context.Context, t *Turn, reason string) error {
	return s.escalate(ctx, t, reason, "")
}

// escalate routes the fan to a team's queue by trigger (the menu key or
// keyword that escalated) and the member's level, stage and tags
// (models.RouteFor); with no team that can serve, to the general queue.
func (s *Service) escalate(ctx context.Context, t *Turn, reason, trigger string) error {
	conf := s.conf()
	closed, opensAt := closedAt(conf.hours, s.now())
	var route models.Route
	if !s.WeChatKf {
		var err error
		if route, err = s.Store.RouteFor(ctx, t.Member, reason, trigger); err != nil {
			return err
		}
		if route.Skipped != "" && s.Log != nil {
			s.Log.Warn("team has no agent; fan sent on", "teams", route.Skipped, "openid", t.Member.OpenID)
		}
	}
	conv, created, err := s.Store.EscalateTo(ctx, t.Member.ID, t.Member.OpenID, reason, route, closed && !s.WeChatKf)
	if err != nil {
		return err
	}
	t.Member.InConversation = true
	t.Done = true
	if s.WeChatKf {
		t.Replies = nil
		t.Reply(models.Reply{Kind: models.ReplyTransfer})
		return nil
	}
	if closed && conv.State == models.ConvWaiting {
		// Outside business hours nobody is assigned: the conversation
		// waits as a 留言, answered first thing (AssignWaiting, oldest
		// first, once the hours begin).
		t.Reply(s.offHours(ctx, conf, opensAt, t.Member))
		return nil
	}
	if created {
		assigned, err := s.Store.AutoAssign(ctx, conv, s.Policy)
		if err != nil {
			return err
		}
		if assigned != nil {
			agent, err := s.Store.FindStaff(ctx, *assigned.AgentID)
			if err != nil {
				return err
			}
			t.Reply(models.TextReply(s.say(ctx, settings.ServiceAssigned, s.conf().texts.Assigned, t.Member, settings.TextData{Agent: agent.DisplayName})))
			return nil
		}
	}
	ahead, err := s.Store.QueuePosition(ctx, conv)
	if err != nil {
		return err
	}
	t.Reply(models.TextReply(s.say(ctx, settings.ServiceQueued, s.conf().texts.Queued, t.Member, settings.TextData{Ahead: ahead})))
	return nil
}

// EscalateAction is the "escalate" rule action.
func (s *Service) EscalateAction(ctx context.Context, t *Turn, _ models.Action) error {
	return s.Escalate(ctx, t, models.ReasonRule)
}

// rating stores a 1–5 answer to the satisfaction question.
func (s *Service) rating(ctx context.Context, t *Turn, text string) (bool, error) {
	if len(text) != 1 || text[0] < '1' || text[0] > '5' {
		return false, nil
	}
	ok, err := s.Store.RateLastConversation(ctx, t.Member.ID, int(text[0]-'0'), 24*time.Hour)
	if err != nil || !ok {
		return false, err
	}
	t.Reply(models.TextReply(s.say(ctx, settings.ServiceThanks, s.conf().texts.Thanks, t.Member, settings.TextData{})))
	t.Done = true
	return true, nil
}

func (s *Service) closeOnUnfollow(ctx context.Context, t *Turn) error {
	if !t.Member.InConversation {
		return nil
	}
	conv, err := s.Store.OpenConversation(ctx, t.Member.ID)
	if err != nil || conv == nil {
		return err
	}
	_, err = s.Store.Resolve(ctx, conv.ID, "fan")
	return err
}

// Reply sends an agent's message to the conversation's fan, refusing what
// the platform would reject (closed window, used-up quota) with a reason.
func (s *Service) Reply(ctx context.Context, convID uint64, agent *models.Staff, r models.Reply) error {
	conv, err := s.heldConversation(ctx, convID, agent)
	if err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	if err := s.windowOpen(ctx, conv.OpenID); err != nil {
		return err
	}
	if err := s.Sender.SendCustom(ctx, conv.OpenID, r); err != nil {
		if code := wechat.ErrCode(err); code != 0 {
			return models.Errorf(models.ECONFLICT, "WeChat refused the message (errcode %d)", code)
		}
		return err
	}
	return s.Store.NoteAgentReply(ctx, convID)
}

// heldConversation is the conversation when agent may reply in it.
func (s *Service) heldConversation(ctx context.Context, convID uint64, agent *models.Staff) (*models.Conversation, error) {
	conv, err := s.Store.FindConversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	if conv.State != models.ConvAssigned || conv.AgentID == nil || (*conv.AgentID != agent.ID && agent.Role != models.RoleAdmin) {
		return nil, models.Errorf(models.ECONFLICT, "claim the conversation before replying")
	}
	return conv, nil
}

// windowOpen refuses a send the 48 h window (and its 5-message ledger)
// does not allow.
func (s *Service) windowOpen(ctx context.Context, openID string) error {
	w, err := s.Store.ServiceWindow(ctx, openID, s.Window)
	if err != nil {
		return err
	}
	if !w.Open {
		if s.TemplateID == "" {
			return models.Errorf(models.ECONFLICT, "WeChat will not deliver this message: %s. Reply when the fan writes again", w.Why)
		}
		return models.Errorf(models.ECONFLICT, "WeChat will not deliver this message: %s. Send the template message instead", w.Why)
	}
	return nil
}

// Resolve closes a conversation, tells the fan, and asks for a rating.
func (s *Service) Resolve(ctx context.Context, convID uint64, by string) (*models.Conversation, error) {
	conv, err := s.Store.Resolve(ctx, convID, by)
	if err != nil {
		return conv, err
	}
	texts := s.conf().texts
	text := settings.Render(settings.ServiceResolved, texts.Resolved, settings.TextData{})
	if by == "timeout" {
		text = settings.Render(settings.ServiceTimeout, texts.Timeout, settings.TextData{})
	}
	if s.AskSatisfaction && by != "fan" {
		text += "\n" + settings.Render(settings.ServiceSatisfaction, texts.Satisfaction, settings.TextData{})
		if err := s.Store.MarkSatisfactionAsked(ctx, convID); err != nil {
			return conv, err
		}
	}
	if by != "fan" {
		// Best effort: a closed window is recorded in the conversation.
		_ = s.Sender.SendCustom(ctx, conv.OpenID, models.TextReply(strings.TrimSpace(text)))
	}
	return conv, nil
}

// Apologize tells a fan who has waited too long that someone will follow
// up; each conversation gets it once.
func (s *Service) Apologize(ctx context.Context, conv models.Conversation) error {
	first, err := s.Store.MarkApologySent(ctx, conv.ID)
	if err != nil || !first {
		return err
	}
	_ = s.Sender.SendCustom(ctx, conv.OpenID, models.TextReply(settings.Render(settings.ServiceApology, s.conf().texts.Apology, settings.TextData{}))) // recorded either way
	return nil
}

// Tick is the desk's minute (the service-timeouts job): it resolves
// conversations idle longer than idle (telling the fan), apologises once to
// fans queued longer than waitLimit, and assigns queued chats to agents who
// have room. It goes on after an error and returns them all.
func (s *Service) Tick(ctx context.Context, idle, waitLimit time.Duration, now time.Time) error {
	var errs []error
	stale, err := s.Store.IdleConversations(ctx, now.Add(-idle))
	errs = append(errs, err)
	for _, c := range stale {
		if _, err := s.Resolve(ctx, c.ID, "timeout"); err != nil && models.ErrorCode(err) != models.ECONFLICT {
			errs = append(errs, err)
		}
	}
	long, err := s.Store.LongWaiting(ctx, now.Add(-waitLimit))
	errs = append(errs, err)
	for _, c := range long {
		errs = append(errs, s.Apologize(ctx, c))
	}
	if n, err := s.AssignWaiting(ctx); err != nil {
		errs = append(errs, err)
	} else if n > 0 && s.Log != nil {
		s.Log.Info("assigned waiting conversations", "count", n)
	}
	return errors.Join(errs...)
}

// AssignWaiting gives queued conversations, oldest first, to agents who
// have room, and tells each fan who is serving them. Outside business hours
// it assigns none.
func (s *Service) AssignWaiting(ctx context.Context) (int, error) {
	if s.WeChatKf {
		return 0, nil
	}
	if closed, _ := s.Closed(); closed {
		// Outside business hours the queue (留言 included) waits for the
		// morning; an agent who is there may still claim from the inbox.
		return 0, nil
	}
	waiting, err := s.Store.ListConversations(ctx, models.ConvWaiting, 0, 100) // by priority, then queue order
	if err != nil {
		return 0, err
	}
	n := 0
	assigned := s.conf().texts.Assigned
	for i := range waiting {
		c, err := s.Store.AutoAssign(ctx, &waiting[i], s.Policy)
		if err != nil {
			return n, err
		}
		if c == nil {
			continue
		}
		n++
		if agent, err := s.Store.FindStaff(ctx, *c.AgentID); err == nil {
			var member *models.Member
			if strings.Contains(assigned, ".Name") {
				member, _ = s.Store.FindMemberByOpenID(ctx, c.OpenID)
			}
			_ = s.Sender.SendCustom(ctx, c.OpenID, models.TextReply(s.say(ctx, settings.ServiceAssigned, assigned, member, settings.TextData{Agent: agent.DisplayName})))
		}
	}
	return n, nil
}

// TransferToTeam puts an agent's conversation in a team's queue and gives
// it at once to a free member of that team when there is one.
func (s *Service) TransferToTeam(ctx context.Context, convID, fromAgent, teamID uint64, note string) (*models.Conversation, error) {
	conv, err := s.Store.TransferToTeam(ctx, convID, fromAgent, teamID, note)
	if err != nil {
		return nil, err
	}
	if closed, _ := s.Closed(); closed {
		return conv, nil
	}
	assigned, err := s.Store.AutoAssign(ctx, conv, s.Policy)
	if err != nil || assigned == nil {
		return conv, err
	}
	if agent, err := s.Store.FindStaff(ctx, *assigned.AgentID); err == nil {
		var member *models.Member
		if strings.Contains(s.conf().texts.Assigned, ".Name") {
			member, _ = s.Store.FindMemberByOpenID(ctx, assigned.OpenID)
		}
		_ = s.Sender.SendCustom(ctx, assigned.OpenID, models.TextReply(s.say(ctx, settings.ServiceAssigned, s.conf().texts.Assigned, member, settings.TextData{Agent: agent.DisplayName})))
	}
	return assigned, nil
}
