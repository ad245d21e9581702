package models

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/fivec/fivec/replytemplate"
)

// Variables in broadcasts ({{.Name}}, {{.Points}}, …: FanTemplateVars, the
// same as rule replies) are filled in per fan where each fan gets their own
// message: a direct broadcast (customer-service message or template
// message, sent fan by fan by the delivery engine) and a preview to a test
// fan. A mass send (sendall, mass/send) is one message WeChat copies to
// many fans, so it cannot carry them: such a broadcast is refused when it
// is saved, scheduled, approved or started, and never reaches a phone with
// "{{.Name}}" in it.

// HasFanVars reports whether text holds a template action ("{{"): fivec
// treats it as a template, never as literal text.
func HasFanVars(text string) bool { return strings.Contains(text, "{{") }

// firstAction is the first {{…}} of a text, to name it in a refusal.
var firstAction = regexp.MustCompile(`\{\{.*?\}\}`)

// ErrMassVariables starts the refusal of a variable in a mass send (the
// console and the API match on it).
const ErrMassVariables = "群发无法逐人填写变量"

// broadcastTexts are the texts of a broadcast that may hold variables, each
// with what to call it in a refusal: the text, and each template field.
func broadcastTexts(kind string, r Reply, fields map[string]string) [][2]string {
	var out [][2]string
	if kind == BroadcastText {
		out = append(out, [2]string{"文本", r.Text})
	}
	// A template broadcast's fields, or a direct text broadcast's fallback
	// template for fans whose window is closed.
	{
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = append(out, [2]string{"模板字段 " + k, fields[k]})
		}
	}
	return out
}

// checkVars refuses variables a broadcast cannot send: any variable in a
// mass send, and in a direct one an unknown variable or a template that is
// not allowed (package replytemplate), naming the variable.
func checkVars(kind, channel string, r Reply, fields map[string]string) error {
	for _, t := range broadcastTexts(kind, r, fields) {
		where, text := t[0], t[1]
		if !HasFanVars(text) {
			continue
		}
		if channel == BroadcastMass {
			v := firstAction.FindString(text)
			if v == "" {
				v = "{{"
			}
			return Errorf(EINVALID, "%s：%s含有变量 %s，而群发是微信把同一条消息发给所有人，每位粉丝都会看到原样的 %s。"+
				"请删除变量，或把发送方式改为「直发（客服 / 模板）」，让每位粉丝收到填好自己名字、积分的消息。", ErrMassVariables, where, v, v)
		}
		tpl, err := replytemplate.Parse(text, FanTemplateVars)
		if err == nil {
			// A dry run with sample values catches what the checks let through.
			_, err = tpl.Execute(NewFanVars(context.Background(), nil, nil), FanTextMax)
		}
		if err != nil {
			return Errorf(EINVALID, "%s：%s", where, err)
		}
	}
	return nil
}

// VarsProblem is why the broadcast cannot be sent as stored because of its
// variables (nil when it can): a mass broadcast saved with a variable
// before such broadcasts were refused, or an unknown variable. The console
// shows it on the broadcast's page; scheduling, approving and starting
// refuse with it.
func (b *Broadcast) VarsProblem() error {
	r, err := b.Reply()
	if err != nil {
		return nil // a damaged message is refused elsewhere
	}
	return checkVars(b.Kind, b.Channel, r, b.TemplateFields())
}

// Personal reports whether the push's message is filled in per fan: a
// broadcast whose text or template fields hold variables.
func (p *Push) Personal() bool {
	return p.Kind == "broadcast" && (HasFanVars(p.Content) || HasFanVars(p.TemplateData))
}

// PersonalMessage renders the push's text and template fields for one fan.
func (p *Push) PersonalMessage(v *FanVars) (Reply, map[string]string, error) {
	r, err := p.Reply()
	if err != nil {
		return r, nil, err
	}
	fields := p.TemplateFields()
	r.Text, fields, err = renderFanTexts(r.Text, fields, v)
	return r, fields, err
}

// renderFanTexts fills in the variables of a text and of template fields.
func renderFanTexts(text string, fields map[string]string, v *FanVars) (string, map[string]string, error) {
	render := func(s string) (string, error) {
		if !HasFanVars(s) {
			return s, nil
		}
		tpl, err := replytemplate.Parse(s, FanTemplateVars)
		if err != nil {
			return "", Errorf(EINVALID, "%s", err)
		}
		out, err := tpl.Execute(v, FanTextMax)
		if err != nil {
			return "", Errorf(EINVALID, "%s", err)
		}
		return out, nil
	}
	out, err := render(text)
	if err != nil {
		return "", nil, err
	}
	filled := make(map[string]string, len(fields))
	for k, f := range fields {
		if filled[k], err = render(f); err != nil {
			return "", nil, fmt.Errorf("template field %s: %w", k, err)
		}
	}
	return out, filled, nil
}

// BroadcastFor is b as the fan with openID would receive it, for a preview:
// its variables filled in with that fan's name, points, … (a fan fivec does
// not know is addressed as 朋友 with 0 points). A broadcast that cannot
// carry its variables (VarsProblem) is refused: a preview never shows a fan
// "{{.Name}}".
func (s *Store) BroadcastFor(ctx context.Context, b *Broadcast, openID string) (*Broadcast, error) {
	r, err := b.Reply()
	if err != nil || (!HasFanVars(b.Content) && !HasFanVars(b.TemplateData)) {
		return b, nil
	}
	if err := b.VarsProblem(); err != nil {
		return nil, err
	}
	m, err := s.FindMemberByOpenID(ctx, openID)
	if ErrorCode(err) == ENOTFOUND {
		m, err = &Member{OpenID: openID}, nil
	}
	if err != nil {
		return nil, err
	}
	text, fields, err := renderFanTexts(r.Text, b.TemplateFields(), NewFanVars(ctx, s, m))
	if err != nil {
		return nil, err
	}
	r.Text = text
	out := *b
	content, _ := json.Marshal(r)
	data, _ := json.Marshal(fields)
	out.Content, out.TemplateData = string(content), string(data)
	return &out, nil
}
