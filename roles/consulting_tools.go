package roles

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/models"
)

// TestInput is a message to try against the rules without sending anything.
type TestInput struct {
	Text   string
	OpenID string    // optional: evaluate audience conditions for this member
	At     time.Time // optional: evaluate schedules at this time
	// Event tries an event instead of a text: "subscribe" (EventKey =
	// "qrscene_<scene>" for a QR follow) or "CLICK" (EventKey = menu key).
	Event, EventKey string
}

// TestRequest is a message to try as a transport receives it: a text
// (Event ""), a follow ("subscribe", through the QR code of Scene when set)
// or a menu click ("click" on the button whose key is Key). The console's
// tester and the API's build the engine's input from it the same way.
type TestRequest struct {
	Text, OpenID string
	At           time.Time // zero: now
	Event        string
	Scene, Key   string
}

// Input checks r and builds the engine's input (EINVALID naming what is
// missing).
func (r TestRequest) Input() (TestInput, error) {
	in := TestInput{Text: r.Text, OpenID: strings.TrimSpace(r.OpenID), At: r.At}
	switch r.Event {
	case "":
		if strings.TrimSpace(r.Text) == "" {
			return in, models.Errorf(models.EINVALID, "type the message a fan would send")
		}
	case "subscribe":
		in.Event, in.Text = "subscribe", ""
		if r.Scene != "" {
			in.EventKey = "qrscene_" + r.Scene
		}
	case "click":
		if r.Key == "" {
			return in, models.Errorf(models.EINVALID, "a menu click needs the button's key")
		}
		in.Event, in.EventKey, in.Text = "CLICK", r.Key, ""
	default:
		return in, models.Errorf(models.EINVALID, "event must be empty, subscribe or click")
	}
	return in, nil
}

// TestResult tells which rule would fire, why, and the exact reply.
type TestResult struct {
	Matched   bool            `json:"matched"`
	RuleID    uint64          `json:"rule_id,omitempty"`
	RuleName  string          `json:"rule_name,omitempty"`
	Keyword   string          `json:"keyword,omitempty"`
	Mode      string          `json:"mode,omitempty"`
	Replies   []models.Reply  `json:"replies"`
	Actions   []models.Action `json:"actions,omitempty"`
	Unmatched bool            `json:"unmatched"` // would be listed as an unanswered question
	Trace     []Trace         `json:"trace"`
}

// Test runs the engine on in exactly as a message would, minus sending and
// actions, and explains the outcome.
func (c *Consulting) Test(ctx context.Context, in TestInput) (*TestResult, error) {
	m := &message.MixMessage{}
	m.MsgType = message.MsgTypeText
	m.Content = in.Text
	if in.Event != "" {
		m.MsgType = message.MsgTypeEvent
		m.Event = message.EventType(in.Event)
		m.EventKey = in.EventKey
	}
	var member *models.Member
	if in.OpenID != "" {
		var err error
		if member, err = c.Store.FindMemberByOpenID(ctx, in.OpenID); err != nil {
			return nil, err
		}
		m.FromUserName = message.CDATA(in.OpenID)
	}
	at := in.At
	if at.IsZero() {
		at = c.Now()
	}
	d, err := c.decide(ctx, m, member, at, true)
	if err != nil {
		return nil, err
	}
	res := &TestResult{Unmatched: d.unmatched, Trace: d.trace, Replies: d.replies}
	if d.chosen != nil {
		res.Matched = true
		res.RuleID, res.RuleName = d.chosen.rule.ID, d.chosen.spec.Name
		res.Keyword, res.Mode = d.keyword, d.mode
		res.Actions = d.chosen.spec.Actions
	} else if d.fallback != "" {
		res.Replies = []models.Reply{models.TextReply(d.fallback)}
	}
	if res.Replies == nil {
		res.Replies = []models.Reply{}
	}
	return res, nil
}

// shadowWarnings lists what saving spec (as selfID, 0 if new) should warn
// about, against the rules stored now (see shadowIndex).
func (c *Consulting) shadowWarnings(ctx context.Context, spec *models.RuleSpec, selfID uint64) []string {
	if spec.Kind != models.RuleKeyword || spec.Disabled {
		return regexWarnings(spec)
	}
	rules, err := c.Store.ListRules(ctx)
	if err != nil {
		c.Log.Error("shadow check", "err", err)
		return regexWarnings(spec)
	}
	return shadowWarnings(newShadowIndex(rules), spec, selfID)
}

// PointsAction awards points (Value = a positive number), once per message.
func PointsAction(store *models.Store, life time.Duration) ActionFunc {
	return func(ctx context.Context, t *Turn, a models.Action) error {
		n, err := strconv.ParseInt(strings.TrimSpace(a.Value), 10, 64)
		if err != nil || n <= 0 {
			return models.Errorf(models.EINVALID, "points action needs a positive number, got %q", a.Value)
		}
		var expires *time.Time
		if life > 0 {
			at := time.Now().Add(life)
			expires = &at
		}
		_, _, err = store.Earn(ctx, t.Member.ID, n, models.SourceRule, models.SystemReason(models.ReasonRulePoints, ""), fmt.Sprintf("rule:%d:msg:%d", t.RuleID, t.Inbound.ID), expires)
		return err
	}
}

// TagActions are the built-in tag and untag actions (Value = tag name).
func TagActions(store *models.Store) map[string]ActionFunc {
	return map[string]ActionFunc{
		"tag": func(ctx context.Context, t *Turn, a models.Action) error {
			return store.TagMember(ctx, t.Member.ID, a.Value)
		},
		"untag": func(ctx context.Context, t *Turn, a models.Action) error {
			return store.UntagMember(ctx, t.Member.ID, a.Value)
		},
	}
}

// ImportRules replaces every rule with those in a YAML file. Each rule is
// checked as on save; if any is invalid nothing changes. It returns the
// shadowing warnings of the imported set.
func (c *Consulting) ImportRules(ctx context.Context, yamlText []byte) ([]string, error) {
	specs, err := models.ParseRulesYAML(yamlText)
	if err != nil {
		return nil, err
	}
	for i := range specs {
		if err := c.validate(ctx, &specs[i]); err != nil {
			return nil, models.Errorf(models.EINVALID, "rule %d: %s", i+1, models.ErrorMessage(err))
		}
	}
	if err := c.Store.ReplaceRules(ctx, specs); err != nil {
		return nil, err
	}
	if err := c.Reload(ctx); err != nil {
		return nil, err
	}
	// One index for the whole set: checking each rule against every other
	// was quadratic (203 s for 5,000 rules).
	var warnings []string
	rules, err := c.Store.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	idx := newShadowIndex(rules)
	for _, r := range rules {
		spec, err := r.Decode()
		if err == nil {
			warnings = append(warnings, shadowWarnings(idx, &spec, r.ID)...)
		}
	}
	return warnings, nil
}

// SaveRule validates and stores a rule (id 0 creates one), recompiles, and
// returns the rule with any warnings.
func (c *Consulting) SaveRule(ctx context.Context, id uint64, spec models.RuleSpec) (*models.Rule, []string, error) {
	warnings, err := c.Check(ctx, &spec, id)
	if err != nil {
		return nil, nil, err
	}
	var r *models.Rule
	if id == 0 {
		r, err = c.Store.CreateRule(ctx, spec)
	} else {
		r, err = c.Store.UpdateRule(ctx, id, spec)
	}
	if err != nil {
		return nil, nil, err
	}
	if id == 0 {
		// Now that it has an id, ties in priority are judged against it.
		warnings = c.shadowWarnings(ctx, &spec, r.ID)
	}
	return r, warnings, c.Reload(ctx)
}

// DeleteRule removes a rule and recompiles.
func (c *Consulting) DeleteRule(ctx context.Context, id uint64) error {
	if err := c.Store.DeleteRule(ctx, id); err != nil {
		return err
	}
	return c.Reload(ctx)
}
