package models

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// BroadcastInput is a broadcast as composed (the console form, the API).
type BroadcastInput struct {
	Name         string
	Kind         string
	Text         string
	MediaID      string
	TemplateID   string
	TemplateData map[string]string
	Audience     string
	AudienceRef  string
	OpenIDs      []string
	Channel      string // "" picks: mass for everyone, a tag or an openid list; else direct
}

// MaxOpenIDList is the largest openid list a broadcast takes, in bytes
// as stored (one openid per line): 8 MiB, about 290,000 openids of 28
// characters.
const MaxOpenIDList = 8 << 20

// ErrOpenIDListTooLarge refuses a list over MaxOpenIDList.
var ErrOpenIDListTooLarge = Errorf(EINVALID, "the openid list is larger than 8 MB (about 290,000 openids); split it into several broadcasts")

// splitOpenIDs splits a pasted or uploaded list (lines, commas, spaces).
func splitOpenIDs(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == '\t' || r == ';' }) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// ParseOpenIDs splits an uploaded or pasted openid list.
func ParseOpenIDs(s string) []string { return splitOpenIDs(s) }

// build validates in and fills b from it.
func (in BroadcastInput) build(b *Broadcast, policy BroadcastPolicy) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 191 {
		return Errorf(EINVALID, "a broadcast needs a name of 1-191 bytes")
	}
	var r Reply
	switch in.Kind {
	case BroadcastText:
		r = TextReply(strings.TrimSpace(in.Text))
	case BroadcastImage:
		r = Reply{Kind: ReplyImage, MediaID: strings.TrimSpace(in.MediaID)}
	case BroadcastNews:
		r = Reply{Kind: ReplyMpNews, MediaID: strings.TrimSpace(in.MediaID)}
	case BroadcastTemplate:
		if strings.TrimSpace(in.TemplateID) == "" || len(in.TemplateData) == 0 {
			return Errorf(EINVALID, "a template message needs the template id and at least one field")
		}
		// Fans inside their 48 h window get the fields as a text message.
		r = TextReply(templateText(in.TemplateData))
	default:
		return Errorf(EINVALID, "choose text, image, news or template")
	}
	if err := r.Validate(); err != nil {
		return err
	}
	for k, v := range in.TemplateData {
		if k == "" || len(k) > 32 || len([]rune(v)) > 200 {
			return Errorf(EINVALID, "template field %q: names up to 32 bytes, values up to 200 characters", k)
		}
	}
	if err := in.buildAudience(b, policy); err != nil {
		return err
	}
	if in.Kind != BroadcastTemplate && b.Channel == BroadcastDirect && in.TemplateID == "" {
		in.TemplateData = nil
	}
	// Variables: filled in per fan on a direct send, refused in a mass
	// send (broadcast_vars.go).
	if err := checkVars(in.Kind, b.Channel, r, in.TemplateData); err != nil {
		return err
	}
	content, _ := json.Marshal(r)
	data, _ := json.Marshal(in.TemplateData)
	b.Name, b.Content, b.TemplateData = in.Name, string(content), string(data)
	return nil
}

// buildAudience checks the audience and the channel of in and sets them on
// b, with the kind and template id they depend on; the content is not
// looked at (PlanDraft counts an audience before the message is written).
func (in BroadcastInput) buildAudience(b *Broadcast, policy BroadcastPolicy) error {
	in.AudienceRef = strings.TrimSpace(in.AudienceRef)
	switch in.Audience {
	case AudienceAll:
		in.AudienceRef, in.OpenIDs = "", nil
	case AudienceTag:
		if err := ValidTagName(in.AudienceRef); err != nil {
			return Errorf(EINVALID, "choose a tag")
		}
	case AudienceSegment:
		if id, err := strconv.ParseUint(in.AudienceRef, 10, 64); err != nil || id == 0 {
			return Errorf(EINVALID, "choose a segment")
		}
	case AudienceStage:
		if !contains(Stages, in.AudienceRef) {
			return Errorf(EINVALID, "choose a stage")
		}
	case AudienceOpenIDs:
		if len(in.OpenIDs) == 0 {
			return Errorf(EINVALID, "the openid list is empty")
		}
		size := 0
		for _, id := range in.OpenIDs {
			if len(id) > 64 {
				return Errorf(EINVALID, "%q is not an openid", truncateUTF8(id, 70))
			}
			size += len(id) + 1 // stored one per line
		}
		if size > MaxOpenIDList {
			return ErrOpenIDListTooLarge
		}
	default:
		return Errorf(EINVALID, "choose an audience: everyone, a tag, a segment, a stage or an openid list")
	}
	if in.Channel == "" {
		in.Channel = BroadcastDirect
		if in.Kind != BroadcastTemplate && (in.Audience == AudienceAll || in.Audience == AudienceTag ||
			(in.Audience == AudienceOpenIDs && policy.AccountType == AccountService)) {
			in.Channel = BroadcastMass
		}
	}
	switch in.Channel {
	case BroadcastDirect:
	case BroadcastMass:
		if in.Kind == BroadcastTemplate {
			return Errorf(EINVALID, "a template message cannot be mass-sent; choose direct delivery")
		}
		if in.Audience == AudienceSegment || in.Audience == AudienceStage {
			if policy.AccountType != AccountService {
				return Errorf(EINVALID, "a subscription account mass-sends only to everyone or a tag")
			}
		}
		if in.Audience == AudienceOpenIDs && policy.AccountType != AccountService {
			return Errorf(EINVALID, "mass send to an openid list needs a service account (48001)")
		}
	default:
		return Errorf(EINVALID, "the channel must be mass or direct")
	}
	b.Kind, b.TemplateID = in.Kind, strings.TrimSpace(in.TemplateID)
	b.Audience, b.AudienceRef, b.OpenIDs, b.Channel = in.Audience, in.AudienceRef, strings.Join(in.OpenIDs, "\n"), in.Channel
	return nil
}

// templateText renders template fields as text, in a stable order.
func templateText(data map[string]string) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		if v := strings.TrimSpace(data[k]); v != "" {
			lines = append(lines, v)
		}
	}
	return strings.Join(lines, "\n")
}
