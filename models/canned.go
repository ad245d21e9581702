package models

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fivec/fivec/replytemplate"
)

// CannedReply is a prepared answer agents insert into the reply box by its
// short code ("/price"). OwnerID 0 makes it shared with every agent;
// otherwise only its owner sees it. Text is a reply template limited to
// the fields of CannedVars (see ParseCannedText).
type CannedReply struct {
	ID uint64 `gorm:"primaryKey"`
	// OwnerID is the staff member a personal reply belongs to, 0 when
	// shared. Codes are unique per owner (and among shared replies).
	OwnerID   uint64 `gorm:"not null;default:0;uniqueIndex:idx_canned_owner_code,priority:1"`
	Code      string `gorm:"size:32;not null;uniqueIndex:idx_canned_owner_code,priority:2"`
	Title     string `gorm:"size:64"`
	Text      string `gorm:"type:text;not null"`
	CreatedBy uint64 `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Shared reports whether every agent sees the reply.
func (r *CannedReply) Shared() bool { return r.OwnerID == 0 }

// CannedVars are the values a canned reply can use: {{.Name}}, {{.Points}}
// and {{.Agent}}.
type CannedVars struct {
	// Name is how to address the fan (FanName): the profile name, else 朋友.
	Name string
	// Points is the fan's points balance.
	Points string
	// Agent is the display name of the agent sending the reply.
	Agent string
}

// DefaultFanName is how fivec addresses a fan it has no name for.
const DefaultFanName = "朋友"

// FanName is how to address a fan: the name on their profile (p, nil when
// they have none) when given, else 朋友. fivec stores no nicknames (WeChat
// stopped sharing them in 2021); rule replies and canned replies both
// address fans through this one function.
func FanName(p *MemberProfile) string {
	if p != nil {
		if n := strings.TrimSpace(p.Name); n != "" {
			return n
		}
	}
	return DefaultFanName
}

// CannedVarsFor are the values a canned reply shows when agent answers
// member m, whose profile is p (nil when none).
func CannedVarsFor(m *Member, p *MemberProfile, agent *Staff) CannedVars {
	v := CannedVars{Name: FanName(p), Points: strconv.FormatInt(m.Points, 10), Agent: agent.DisplayName}
	if v.Agent == "" {
		v.Agent = agent.Username
	}
	return v
}

// ConversationCannedVars are the values canned replies show when agent
// answers conversation convID: its fan's member row and profile, looked up
// (ENOTFOUND for an unknown conversation). The console's "/" picker and the
// API's canned list both fill replies with them.
func (s *Store) ConversationCannedVars(ctx context.Context, convID uint64, agent *Staff) (CannedVars, error) {
	conv, err := s.FindConversation(ctx, convID)
	if err != nil {
		return CannedVars{}, err
	}
	m, err := s.FindMemberByOpenID(ctx, conv.OpenID)
	if err != nil {
		return CannedVars{}, err
	}
	p, err := s.Profile(ctx, m.ID)
	if err != nil {
		return CannedVars{}, err
	}
	return CannedVarsFor(m, p, agent), nil
}

// Limits of a canned reply.
const (
	CannedTextMax  = 2000 // bytes; WeChat's text limit is about 2048
	cannedRenderTo = 4000 // bytes a rendering may produce before it fails
)

var cannedCode = regexp.MustCompile(`^[\p{L}\p{N}_-]{1,32}$`)

// NewCanned is the input for CreateCanned.
type NewCanned struct {
	Code   string
	Title  string
	Text   string
	Shared bool
}

// Validate checks the code, the title and the template.
func (n NewCanned) Validate() error {
	if !cannedCode.MatchString(n.Code) {
		return Errorf(EINVALID, "a code is 1-32 letters, digits, '_' or '-' (no spaces)")
	}
	if utf8.RuneCountInString(n.Title) > 64 {
		return Errorf(EINVALID, "a title is at most 64 characters")
	}
	if strings.TrimSpace(n.Text) == "" || len(n.Text) > CannedTextMax {
		return Errorf(EINVALID, "the text must be 1-%d bytes", CannedTextMax)
	}
	_, err := ParseCannedText(n.Text)
	return err
}

// cannedVars are the variables of a canned reply: the fields of CannedVars.
var cannedVars = replytemplate.Vars{"Name": replytemplate.String, "Points": replytemplate.String, "Agent": replytemplate.String}

// ParseCannedText parses a canned reply's text as a template and checks it
// with the rules every reply template follows (package replytemplate):
// the fields of CannedVars, if/else/with and a few comparisons; no range,
// no template calls, no other functions. Rendering is then cheap and can
// only show these three values.
func ParseCannedText(text string) (*replytemplate.Template, error) {
	t, err := replytemplate.Parse(text, cannedVars)
	if err != nil {
		return nil, Errorf(EINVALID, "%s", err)
	}
	// A dry run with sample values catches anything the checks let through.
	if _, err := renderCanned(t, CannedVars{Name: "x", Points: "0", Agent: "x"}); err != nil {
		return nil, err
	}
	return t, nil
}

func renderCanned(t *replytemplate.Template, v CannedVars) (string, error) {
	out, err := t.Execute(v, cannedRenderTo)
	if err != nil {
		return "", Errorf(EINVALID, "%s", err)
	}
	return out, nil
}

// RenderCanned renders a canned reply's text with v. The text is checked
// again first, so a reply stored before the checks existed (or edited in
// the database) is refused rather than run. The text is plain text for
// WeChat: text/template does no HTML escaping, and the console escapes
// when it shows the result.
func RenderCanned(text string, v CannedVars) (string, error) {
	t, err := ParseCannedText(text)
	if err != nil {
		return "", err
	}
	return renderCanned(t, v)
}

// CreateCanned stores a canned reply for staffID, personal unless shared.
func (s *Store) CreateCanned(ctx context.Context, staffID uint64, n NewCanned) (*CannedReply, error) {
	n.Code, n.Title = strings.TrimPrefix(strings.TrimSpace(n.Code), "/"), strings.TrimSpace(n.Title)
	if err := n.Validate(); err != nil {
		return nil, err
	}
	r := &CannedReply{OwnerID: staffID, Code: n.Code, Title: n.Title, Text: n.Text, CreatedBy: staffID}
	if n.Shared {
		r.OwnerID = 0
	}
	err := s.db.WithContext(ctx).Create(r).Error
	if isDuplicate(err) {
		return nil, Errorf(ECONFLICT, "the code /%s is already used", n.Code)
	}
	return r, translate("create canned reply", err)
}

// ListCanned returns the shared canned replies and staffID's own, by code.
// q, when given, matches the start of the code or any part of the title or
// text.
func (s *Store) ListCanned(ctx context.Context, staffID uint64, q string, limit int) ([]CannedReply, error) {
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	db := s.db.WithContext(ctx).Where("owner_id IN ?", []uint64{0, staffID})
	if q = strings.TrimPrefix(strings.TrimSpace(q), "/"); q != "" {
		e := escapeLike(q)
		db = db.Where("code LIKE ? ESCAPE '!' OR title LIKE ? ESCAPE '!' OR text LIKE ? ESCAPE '!'", e+"%", "%"+e+"%", "%"+e+"%")
	}
	var out []CannedReply
	err := db.Order("code, owner_id DESC").Limit(limit).Find(&out).Error
	return out, translate("list canned replies", err)
}

// FindCanned returns a canned reply staffID may see.
func (s *Store) FindCanned(ctx context.Context, staffID, id uint64) (*CannedReply, error) {
	var r CannedReply
	err := s.db.WithContext(ctx).Where("id = ? AND owner_id IN ?", id, []uint64{0, staffID}).Take(&r).Error
	return &r, translate("canned reply", err)
}

// DeleteCanned removes a canned reply: a personal one by its owner, a
// shared one by its author or an admin.
func (s *Store) DeleteCanned(ctx context.Context, st *Staff, id uint64) error {
	r, err := s.FindCanned(ctx, st.ID, id)
	if err != nil {
		return err
	}
	if r.Shared() && r.CreatedBy != st.ID && st.Role != RoleAdmin {
		return Errorf(EFORBIDDEN, "only its author or an admin can delete a shared reply")
	}
	return translate("delete canned reply", s.db.WithContext(ctx).Delete(&CannedReply{}, r.ID).Error)
}
