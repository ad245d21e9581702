package roles

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/replytemplate"
	"github.com/fivec/fivec/settings"
)

// ActionFunc carries out one rule action for the turn's member. Later roles
// plug theirs in (escalate, points) through Consulting.Actions without
// touching the engine.
type ActionFunc func(ctx context.Context, t *Turn, a models.Action) error

// Consulting (咨询台) answers instantly from the rules marketers write:
// keywords, welcome and welcome-back, menu clicks, message types and a
// default reply. Rules are compiled once and recompiled when they change.
type Consulting struct {
	Store *models.Store
	Log   *slog.Logger
	Loc   *time.Location
	Now   func() time.Time
	// Actions are the rule actions this engine can run, by type.
	Actions map[string]ActionFunc
	// WelcomeText greets a new follower when no welcome rule exists.
	WelcomeText string
	// Live, when set, holds the welcome text and the default reply in
	// force (saved in the console) instead of WelcomeText.
	Live *settings.Live
	// Rand picks among alternatives (nil: math/rand).
	Rand func(n int) int

	set      atomic.Pointer[ruleSet]
	reloadMu sync.Mutex
}

// Name implements Role.
func (*Consulting) Name() string { return "consulting" }

// Reload recompiles the rules from the database.
func (c *Consulting) Reload(ctx context.Context) error {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	return c.reload(ctx)
}

// ReloadIfChanged recompiles when another process (or this one) changed the
// rules. Every process runs it every few seconds.
func (c *Consulting) ReloadIfChanged(ctx context.Context) error {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	v, err := c.Store.RulesVersion(ctx)
	if err != nil {
		return err
	}
	if cur := c.set.Load(); cur != nil && cur.version == v {
		return nil
	}
	return c.reload(ctx)
}

func (c *Consulting) reload(ctx context.Context) error {
	v, err := c.Store.RulesVersion(ctx)
	if err != nil {
		return err
	}
	rules, err := c.Store.ListRules(ctx)
	if err != nil {
		return err
	}
	rs, errs := compileRules(v, rules)
	for _, e := range errs {
		c.Log.Error("rule skipped", "err", e)
	}
	c.set.Store(rs)
	c.Log.Debug("rules compiled", "rules", len(rs.all), "version", v)
	return nil
}

func (c *Consulting) rules(ctx context.Context) *ruleSet {
	if rs := c.set.Load(); rs != nil {
		return rs
	}
	if err := c.Reload(ctx); err != nil {
		c.Log.Error("load rules", "err", err)
		return &ruleSet{}
	}
	return c.set.Load()
}

// Handle implements Role. A text no keyword rule matches is marked
// unanswered; the default reply waits for Finish, so later roles (sign-in,
// topics…) get their chance first.
func (c *Consulting) Handle(ctx context.Context, t *Turn) error {
	if t.Done {
		return nil
	}
	d, err := c.decide(ctx, t.Msg, t.Member, c.Now(), false)
	if err != nil {
		return err
	}
	t.Unanswered = t.Unanswered || d.unmatched
	return c.apply(ctx, t, d)
}

// Finish implements Finisher: the default reply, when nothing answered.
func (c *Consulting) Finish(ctx context.Context, t *Turn) error {
	if !t.Unanswered || t.Done || len(t.Replies) > 0 {
		return nil
	}
	d, err := c.decide(ctx, t.Msg, t.Member, c.Now(), true)
	if err != nil {
		return err
	}
	return c.apply(ctx, t, d)
}

func (c *Consulting) apply(ctx context.Context, t *Turn, d *decision) error {
	if d.chosen == nil {
		if d.fallback != "" {
			t.Reply(models.TextReply(d.fallback))
			t.Done = true
		}
		return nil
	}
	t.RuleID = d.chosen.rule.ID
	for _, r := range d.replies {
		t.Reply(r)
	}
	var errs []error
	for _, a := range d.chosen.spec.Actions {
		run := c.Actions[a.Type]
		if run == nil {
			errs = append(errs, fmt.Errorf("rule %d: no handler for action %q", d.chosen.rule.ID, a.Type))
			continue
		}
		if err := run(ctx, t, a); err != nil {
			errs = append(errs, fmt.Errorf("rule %d action %s: %w", d.chosen.rule.ID, a.Type, err))
		}
	}
	t.Done = len(d.replies) > 0 || t.Done
	return errors.Join(errs...)
}

// builtIn is the welcome text or default reply of the settings (key),
// rendered for member ("": none).
func (c *Consulting) builtIn(ctx context.Context, key string, member *models.Member) string {
	var text string
	switch {
	case c.Live != nil:
		text = c.Live.Current().Text(key)
	case key == settings.WelcomeText:
		text = c.WelcomeText
	}
	return c.renderSetting(ctx, key, text, member)
}

// channelWelcome is the welcome text of the channel whose QR code has
// scene ("": none, or no scene).
func (c *Consulting) channelWelcome(scene string) string {
	if scene == "" || c.Live == nil {
		return ""
	}
	return c.Live.Current().SceneWelcome(scene)
}

// renderSetting fills a settings text (valid for key's variables) for member.
func (c *Consulting) renderSetting(ctx context.Context, key, text string, member *models.Member) string {
	if text == "" {
		return ""
	}
	var data settings.TextData
	if strings.Contains(text, ".Name") {
		data.Name, _ = models.NewFanVars(ctx, c.Store, member).Name()
	}
	return settings.Render(key, text, data)
}

// decision is what the engine concluded for one message, with its reasons
// (the rule tester shows them).
type decision struct {
	chosen        *compiledRule
	keyword, mode string
	replies       []models.Reply
	unmatched     bool   // a text no keyword rule matched
	fallback      string // the welcome or default reply of the settings, when no such rule exists
	trace         []Trace
}

// Trace explains one rule the engine looked at.
type Trace struct {
	RuleID   uint64 `json:"rule_id"`
	RuleName string `json:"rule_name"`
	Keyword  string `json:"keyword,omitempty"`
	Mode     string `json:"mode,omitempty"`
	Outcome  string `json:"outcome"` // "fired", or why it did not
}

// decide finds the rule for a message; withDefault also considers the
// default rule for a text no keyword rule matched.
func (c *Consulting) decide(ctx context.Context, m *message.MixMessage, member *models.Member, at time.Time, withDefault bool) (*decision, error) {
	rs := c.rules(ctx)
	d := &decision{}
	var cands []hit
	switch {
	case m.MsgType == message.MsgTypeText:
		cands = rs.match(m.Content)
		if len(cands) == 0 {
			d.unmatched = true
			if withDefault {
				cands = specials(rs, models.RuleDefault, "")
				if len(rs.special[models.RuleDefault]) == 0 {
					d.fallback = c.builtIn(ctx, settings.DefaultReply, member)
				}
			}
		}
	case m.MsgType == message.MsgTypeEvent && m.Event == message.EventSubscribe:
		scene := strings.TrimPrefix(m.EventKey, "qrscene_")
		if member != nil && member.Refollow() {
			cands = specials(rs, models.RuleWelcomeBack, "")
		}
		var sceneRules []hit
		if scene != "" {
			sceneRules = specials(rs, models.RuleWelcome, scene)
			cands = append(cands, sceneRules...)
		}
		if text := c.channelWelcome(scene); text != "" && len(sceneRules) == 0 {
			// The channel's welcome (settings) answers a follow through
			// its QR code before the general welcome rules.
			d.fallback = c.renderSetting(ctx, settings.WelcomeText, text, member)
		} else {
			cands = append(cands, specials(rs, models.RuleWelcome, "")...)
			if len(rs.special[models.RuleWelcome]) == 0 && len(rs.special[models.RuleWelcomeBack]) == 0 {
				d.fallback = c.builtIn(ctx, settings.WelcomeText, member)
			}
		}
	case m.MsgType == message.MsgTypeEvent && m.Event == message.EventScan:
		// A follower scanning a channel's code gets the channel's welcome
		// (the welcome rule whose trigger is the scene), as a new follower
		// through it does. EventKey is the bare scene here. The general
		// welcome and the built-in text are for follows only: this fan
		// already follows.
		if m.EventKey != "" {
			cands = specials(rs, models.RuleWelcome, m.EventKey)
		}
	case m.MsgType == message.MsgTypeEvent && m.Event == message.EventClick:
		cands = specials(rs, models.RuleClick, m.EventKey)
	case m.MsgType != message.MsgTypeEvent:
		cands = specials(rs, models.RuleMsgType, string(m.MsgType))
	}
	now := at.In(c.Loc)
	var tags []string
	tagsLoaded := false
	for _, h := range cands {
		tr := Trace{RuleID: h.rule.rule.ID, RuleName: h.rule.spec.Name, Keyword: h.keyword, Mode: h.mode}
		spec := h.rule.spec
		if !inSchedule(spec.Schedule, now) {
			tr.Outcome = "outside its schedule"
			d.trace = append(d.trace, tr)
			continue
		}
		if a := spec.Audience; a != nil && member != nil {
			if len(a.Tags) > 0 && !tagsLoaded {
				var err error
				if tags, err = c.Store.MemberTags(ctx, member.ID); err != nil {
					return nil, err
				}
				tagsLoaded = true
			}
			if why := audienceMiss(a, member, tags); why != "" {
				tr.Outcome = why
				d.trace = append(d.trace, tr)
				continue
			}
		}
		if spec.CooldownMinutes > 0 && member != nil {
			since := at.Add(-time.Duration(spec.CooldownMinutes) * time.Minute)
			fired, err := c.Store.RuleFiredSince(ctx, h.rule.rule.ID, member.OpenID, since)
			if err != nil {
				return nil, err
			}
			if fired {
				tr.Outcome = fmt.Sprintf("already answered this fan in the last %d minutes", spec.CooldownMinutes)
				d.trace = append(d.trace, tr)
				continue
			}
		}
		tr.Outcome = "fired"
		d.trace = append(d.trace, tr)
		d.chosen, d.keyword, d.mode = h.rule, h.keyword, h.mode
		d.fallback = ""
		replies, err := c.render(ctx, h.rule, member)
		if err != nil {
			return nil, err
		}
		d.replies = replies
		break
	}
	return d, nil
}

func specials(rs *ruleSet, kind, trigger string) []hit {
	var out []hit
	for _, cr := range rs.special[kind][trigger] {
		out = append(out, hit{rule: cr, mode: kind, keyword: trigger})
	}
	return out
}

func audienceMiss(a *models.Audience, m *models.Member, tags []string) string {
	if a.Subscribed != nil && *a.Subscribed != m.Subscribed {
		return "audience: subscribed does not match"
	}
	if len(a.Stages) > 0 && !slices.Contains(a.Stages, m.Stage) {
		return "audience: member is in stage " + m.Stage
	}
	if len(a.Tags) > 0 {
		for _, t := range a.Tags {
			if slices.Contains(tags, t) {
				return ""
			}
		}
		return "audience: member has none of the tags " + strings.Join(a.Tags, ", ")
	}
	return ""
}

// render picks the replies (all, or one at random) and fills in variables
// with the templates compiled (and checked) with the rule.
func (c *Consulting) render(ctx context.Context, cr *compiledRule, member *models.Member) ([]models.Reply, error) {
	spec := cr.spec
	picked := make([]int, 0, len(spec.Replies))
	if spec.Random && len(spec.Replies) > 1 {
		pick := c.Rand
		if pick == nil {
			pick = rand.IntN
		}
		picked = append(picked, pick(len(spec.Replies)))
	} else {
		for i := range spec.Replies {
			picked = append(picked, i)
		}
	}
	out := make([]models.Reply, 0, len(picked))
	vars := models.NewFanVars(ctx, c.Store, member)
	for _, i := range picked {
		r := spec.Replies[i]
		if tpl := cr.texts[i]; tpl != nil {
			text, err := tpl.Execute(vars, maxRendered)
			if err != nil {
				return nil, fmt.Errorf("rule %q: %w", spec.Name, err)
			}
			r.Text = text
		}
		out = append(out, r)
	}
	return out, nil
}

// maxRendered bounds a rendered text so a template cannot balloon.
const maxRendered = models.FanTextMax

// ruleVars are the variables of a rule's text replies: those of every text
// written to one fan (models.FanVars), shared with per-fan broadcasts.
var ruleVars = models.FanTemplateVars

// replyTemplates parses and checks the templates of a rule's text replies,
// by reply index (replies without "{{" are sent as written).
func replyTemplates(spec *models.RuleSpec) (map[int]*replytemplate.Template, error) {
	var out map[int]*replytemplate.Template
	for i, r := range spec.Replies {
		if r.Kind != models.ReplyText || !strings.Contains(r.Text, "{{") {
			continue
		}
		tpl, err := replytemplate.Parse(r.Text, ruleVars)
		if err != nil {
			return nil, models.Errorf(models.EINVALID, "rule %q: 第 %d 条回复：%s", spec.Name, i+1, err)
		}
		if out == nil {
			out = map[int]*replytemplate.Template{}
		}
		out[i] = tpl
	}
	return out, nil
}

// Check validates a spec as the engine will use it: the spec's own rules,
// reply templates, and known action types. It returns warnings about rules
// that would shadow it or that it would slow matching.
func (c *Consulting) Check(ctx context.Context, spec *models.RuleSpec, selfID uint64) ([]string, error) {
	if err := c.validate(ctx, spec); err != nil {
		return nil, err
	}
	return c.shadowWarnings(ctx, spec, selfID), nil
}

// validate is Check without the warnings, which need the stored rules.
func (c *Consulting) validate(ctx context.Context, spec *models.RuleSpec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	tpls, err := replyTemplates(spec)
	if err != nil {
		return err
	}
	for i, tpl := range tpls {
		// A dry run with a sample member catches what the checks let through.
		if _, err := tpl.Execute(models.NewFanVars(ctx, nil, nil), maxRendered); err != nil {
			return models.Errorf(models.EINVALID, "rule %q: 第 %d 条回复：%s", spec.Name, i+1, err)
		}
	}
	for _, a := range spec.Actions {
		if c.Actions[a.Type] == nil {
			return models.Errorf(models.EINVALID, "rule %q: unknown action %q (available: %s)", spec.Name, a.Type, strings.Join(c.ActionTypes(), ", "))
		}
		if err := checkAction(a); err != nil {
			return models.Errorf(models.EINVALID, "rule %q: action %s: %s", spec.Name, a.Type, models.ErrorMessage(err))
		}
	}
	return nil
}

// ActionTypes lists the action types rules may use.
func (c *Consulting) ActionTypes() []string {
	var out []string
	for k := range c.Actions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkAction validates the value of the built-in actions.
func checkAction(a models.Action) error {
	switch a.Type {
	case "tag", "untag":
		return models.ValidTagName(a.Value)
	case "points":
		if n, err := strconv.ParseInt(strings.TrimSpace(a.Value), 10, 64); err != nil || n <= 0 || n > 1000000 {
			return models.Errorf(models.EINVALID, "the value must be a whole number of points from 1 to 1000000")
		}
	}
	return nil
}
