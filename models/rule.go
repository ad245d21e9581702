package models

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Rule kinds: what makes a Consulting rule fire.
const (
	RuleKeyword     = "keyword"      // the fan's text matches one of the keywords
	RuleWelcome     = "welcome"      // first follow; Trigger = QR scene ("" for any), which also answers a follower's SCAN
	RuleWelcomeBack = "welcome_back" // a follow by a fan who followed before
	RuleDefault     = "default"      // nothing else answered a text
	RuleClick       = "click"        // menu CLICK; Trigger = the button key
	RuleMsgType     = "msgtype"      // Trigger = image, voice, video, location, link
)

// RuleKinds lists the valid kinds.
var RuleKinds = []string{RuleKeyword, RuleWelcome, RuleWelcomeBack, RuleDefault, RuleClick, RuleMsgType}

// Keyword match modes.
const (
	MatchExact    = "exact"
	MatchPrefix   = "prefix"
	MatchContains = "contains"
	MatchRegex    = "regex"
)

// Keyword is one keyword of a rule and how it matches.
type Keyword struct {
	Text  string `json:"text" yaml:"text"`
	Match string `json:"match" yaml:"match"`
}

// Schedule limits when a rule may fire, in the account's time zone. Empty
// fields do not limit.
type Schedule struct {
	// Hours are "HH:MM-HH:MM" ranges; a range may cross midnight.
	Hours []string `json:"hours,omitempty" yaml:"hours,omitempty"`
	// Weekdays are 1 (Monday) to 7 (Sunday).
	Weekdays []int `json:"weekdays,omitempty" yaml:"weekdays,omitempty"`
	// From and To are dates, "2006-01-02", both inclusive.
	From string `json:"from,omitempty" yaml:"from,omitempty"`
	To   string `json:"to,omitempty" yaml:"to,omitempty"`
}

// Audience limits who a rule answers. Empty fields do not limit.
type Audience struct {
	Tags       []string `json:"tags,omitempty" yaml:"tags,omitempty"`     // the member has any of these tags
	Stages     []string `json:"stages,omitempty" yaml:"stages,omitempty"` // lifecycle stages
	Subscribed *bool    `json:"subscribed,omitempty" yaml:"subscribed,omitempty"`
}

// Action is something a rule does besides replying. Type names a handler
// registered with the Consulting engine (tag, untag, escalate, points, …).
type Action struct {
	Type  string `json:"type" yaml:"type"`
	Value string `json:"value,omitempty" yaml:"value,omitempty"`
}

// RuleSpec is everything a marketer writes about a rule. It is what the
// console edits, the API accepts and YAML import/export reads and writes.
type RuleSpec struct {
	Name     string    `json:"name" yaml:"name"`
	Kind     string    `json:"kind" yaml:"kind"`
	Trigger  string    `json:"trigger,omitempty" yaml:"trigger,omitempty"`
	Priority int       `json:"priority" yaml:"priority"`
	Disabled bool      `json:"disabled,omitempty" yaml:"disabled,omitempty"`
	Keywords []Keyword `json:"keywords,omitempty" yaml:"keywords,omitempty"`
	Schedule *Schedule `json:"schedule,omitempty" yaml:"schedule,omitempty"`
	Audience *Audience `json:"audience,omitempty" yaml:"audience,omitempty"`
	Replies  []Reply   `json:"replies,omitempty" yaml:"replies,omitempty"`
	// Random picks one reply at random instead of sending them all.
	Random  bool     `json:"random,omitempty" yaml:"random,omitempty"`
	Actions []Action `json:"actions,omitempty" yaml:"actions,omitempty"`
	// CooldownMinutes: the rule answers one fan at most once per this many
	// minutes (meant for the default reply). 0: no limit.
	CooldownMinutes int `json:"cooldown_minutes,omitempty" yaml:"cooldown_minutes,omitempty"`
}

// Rule is a stored Consulting rule.
type Rule struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:100;not null"`
	Kind      string `gorm:"size:16;not null;index"`
	Trigger   string `gorm:"size:128"`
	Priority  int    `gorm:"not null;default:0"`
	Disabled  bool   `gorm:"not null;default:false"`
	Spec      string `gorm:"type:mediumtext;not null"` // RuleSpec as JSON
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Decode returns the rule's spec.
func (r *Rule) Decode() (RuleSpec, error) {
	var s RuleSpec
	if err := json.Unmarshal([]byte(r.Spec), &s); err != nil {
		return s, fmt.Errorf("rule %d: %w", r.ID, err)
	}
	s.Name, s.Kind, s.Trigger, s.Priority, s.Disabled = r.Name, r.Kind, r.Trigger, r.Priority, r.Disabled
	return s, nil
}

var hourRange = regexp.MustCompile(`^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$`)

// Validate checks the parts of a spec that need no knowledge of the engine
// (reply templates and action types are checked by the engine on save).
func (s *RuleSpec) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" || len(s.Name) > 100 {
		return Errorf(EINVALID, "rule name must be 1-100 characters")
	}
	valid := false
	for _, k := range RuleKinds {
		valid = valid || s.Kind == k
	}
	if !valid {
		return Errorf(EINVALID, "rule %q: kind must be one of %s", s.Name, strings.Join(RuleKinds, ", "))
	}
	if len(s.Trigger) > 128 {
		return Errorf(EINVALID, "rule %q: trigger is longer than 128 bytes", s.Name)
	}
	switch s.Kind {
	case RuleKeyword:
		if len(s.Keywords) == 0 {
			return Errorf(EINVALID, "rule %q: a keyword rule needs at least one keyword", s.Name)
		}
	case RuleClick:
		if s.Trigger == "" {
			return Errorf(EINVALID, "rule %q: a click rule needs the menu key as trigger", s.Name)
		}
	case RuleMsgType:
		switch s.Trigger {
		case "image", "voice", "video", "shortvideo", "location", "link":
		default:
			return Errorf(EINVALID, "rule %q: trigger must be a message type (image, voice, video, shortvideo, location, link)", s.Name)
		}
	}
	for i, k := range s.Keywords {
		k.Text = strings.TrimSpace(k.Text)
		if k.Match == "" {
			k.Match = MatchExact
		}
		s.Keywords[i] = k
		if k.Text == "" || len(k.Text) > 200 {
			return Errorf(EINVALID, "rule %q: keyword %d must be 1-200 bytes", s.Name, i+1)
		}
		switch k.Match {
		case MatchExact, MatchPrefix, MatchContains:
		case MatchRegex:
			if _, err := regexp.Compile(k.Text); err != nil {
				return Errorf(EINVALID, "rule %q: keyword %q is not a valid RE2 regular expression: %v", s.Name, k.Text, err)
			}
		default:
			return Errorf(EINVALID, "rule %q: keyword %q: match must be exact, prefix, contains or regex", s.Name, k.Text)
		}
	}
	if err := s.Schedule.validate(); err != nil {
		return Errorf(EINVALID, "rule %q: %s", s.Name, err)
	}
	if len(s.Replies) == 0 && len(s.Actions) == 0 {
		return Errorf(EINVALID, "rule %q: needs a reply or an action", s.Name)
	}
	for i, r := range s.Replies {
		if err := r.Validate(); err != nil {
			return Errorf(EINVALID, "rule %q: reply %d: %s", s.Name, i+1, ErrorMessage(err))
		}
	}
	if s.CooldownMinutes < 0 {
		return Errorf(EINVALID, "rule %q: cooldown_minutes must not be negative", s.Name)
	}
	return nil
}

func (sc *Schedule) validate() error {
	if sc == nil {
		return nil
	}
	for _, h := range sc.Hours {
		if !hourRange.MatchString(h) {
			return fmt.Errorf("hours %q must look like 09:00-18:00", h)
		}
	}
	for _, d := range sc.Weekdays {
		if d < 1 || d > 7 {
			return fmt.Errorf("weekday %d must be 1 (Monday) to 7 (Sunday)", d)
		}
	}
	var from, to time.Time
	var err error
	if sc.From != "" {
		if from, err = time.Parse(time.DateOnly, sc.From); err != nil {
			return fmt.Errorf("from %q must be a date like 2026-01-31", sc.From)
		}
	}
	if sc.To != "" {
		if to, err = time.Parse(time.DateOnly, sc.To); err != nil {
			return fmt.Errorf("to %q must be a date like 2026-01-31", sc.To)
		}
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return fmt.Errorf("the date range ends before it starts")
	}
	return nil
}

// Validate checks one reply's fields for its kind.
func (r Reply) Validate() error {
	switch r.Kind {
	case ReplyText:
		if strings.TrimSpace(r.Text) == "" {
			return Errorf(EINVALID, "text reply is empty")
		}
		if len(r.Text) > 2048 {
			return Errorf(EINVALID, "text reply is %d bytes; WeChat shows at most 2048", len(r.Text))
		}
	case ReplyImage, ReplyVoice, ReplyMpNews:
		if r.MediaID == "" {
			return Errorf(EINVALID, "%s reply needs a media_id", r.Kind)
		}
	case ReplyVideo:
		if r.MediaID == "" {
			return Errorf(EINVALID, "video reply needs a media_id")
		}
	case ReplyMusic:
		if r.MusicURL == "" {
			return Errorf(EINVALID, "music reply needs a music_url")
		}
	case ReplyNews:
		if len(r.Articles) == 0 {
			return Errorf(EINVALID, "news reply needs an article")
		}
		for _, a := range r.Articles {
			if a.Title == "" {
				return Errorf(EINVALID, "every article needs a title")
			}
		}
	case ReplyTransfer:
	default:
		return Errorf(EINVALID, "unknown reply kind %q", r.Kind)
	}
	return nil
}

func ruleFromSpec(s RuleSpec) (*Rule, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return &Rule{Name: s.Name, Kind: s.Kind, Trigger: s.Trigger, Priority: s.Priority, Disabled: s.Disabled, Spec: string(b)}, nil
}

// CreateRule validates and stores a new rule.
func (s *Store) CreateRule(ctx context.Context, spec RuleSpec) (*Rule, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	r, err := ruleFromSpec(spec)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(r).Error; err != nil {
			return err
		}
		return bumpRulesVersion(tx)
	})
	return r, translate("create rule", err)
}

// UpdateRule replaces a rule's spec.
func (s *Store) UpdateRule(ctx context.Context, id uint64, spec RuleSpec) (*Rule, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	next, err := ruleFromSpec(spec)
	if err != nil {
		return nil, err
	}
	var r Rule
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&r, id).Error; err != nil {
			return err
		}
		r.Name, r.Kind, r.Trigger, r.Priority, r.Disabled, r.Spec = next.Name, next.Kind, next.Trigger, next.Priority, next.Disabled, next.Spec
		if err := tx.Save(&r).Error; err != nil {
			return err
		}
		return bumpRulesVersion(tx)
	})
	return &r, translate("update rule", err)
}

// DeleteRule removes a rule.
func (s *Store) DeleteRule(ctx context.Context, id uint64) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Delete(&Rule{}, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ENOTFOUND, "rule not found")
		}
		return bumpRulesVersion(tx)
	})
	return translate("delete rule", err)
}

// FindRule returns one rule.
func (s *Store) FindRule(ctx context.Context, id uint64) (*Rule, error) {
	var r Rule
	err := s.db.WithContext(ctx).Take(&r, id).Error
	return &r, translate("rule", err)
}

// ListRules returns all rules, highest priority first.
func (s *Store) ListRules(ctx context.Context) ([]Rule, error) {
	var out []Rule
	err := s.db.WithContext(ctx).Order("priority DESC, id").Find(&out).Error
	return out, translate("list rules", err)
}

// ReplaceRules swaps the whole rule set for specs in one transaction (YAML
// import). Every spec is validated first; if any is invalid nothing changes.
func (s *Store) ReplaceRules(ctx context.Context, specs []RuleSpec) error {
	rows := make([]*Rule, 0, len(specs))
	for i := range specs {
		if err := specs[i].Validate(); err != nil {
			return Errorf(EINVALID, "rule %d: %s", i+1, ErrorMessage(err))
		}
		r, err := ruleFromSpec(specs[i])
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("1 = 1").Delete(&Rule{}).Error; err != nil {
			return err
		}
		if len(rows) > 0 {
			if err := tx.CreateInBatches(rows, 200).Error; err != nil {
				return err
			}
		}
		return bumpRulesVersion(tx)
	})
	return translate("import rules", err)
}

// setting is a small key/value row for values every process must see, such
// as the rules version that tells processes to recompile.
type setting struct {
	Key       string `gorm:"primaryKey;size:64;column:name"`
	Value     string `gorm:"type:text"`
	UpdatedAt time.Time
}

func (setting) TableName() string { return "settings" }

const rulesVersionKey = "rules_version"

// bumpRulesVersion changes the rules version inside tx; every process polls
// it and recompiles its matcher when it moves.
func bumpRulesVersion(tx *gorm.DB) error { return bumpVersion(tx, rulesVersionKey) }

// bumpVersion changes the version token under key inside tx.
func bumpVersion(tx *gorm.DB, key string) error {
	v := fmt.Sprintf("%d", time.Now().UnixNano())
	res := tx.Model(&setting{}).Where("name = ?", key).Updates(map[string]any{"value": v, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tx.Create(&setting{Key: key, Value: v, UpdatedAt: time.Now().UTC()}).Error
	}
	return nil
}

// RulesVersion returns a token that changes whenever any rule changes.
func (s *Store) RulesVersion(ctx context.Context) (string, error) {
	return s.version(ctx, rulesVersionKey)
}

// version reads the version token under key ("" before the first change).
func (s *Store) version(ctx context.Context, key string) (string, error) {
	var st setting
	err := s.db.WithContext(ctx).Where("name = ?", key).Take(&st).Error
	if isNotFound(err) {
		return "", nil
	}
	return st.Value, translate(key, err)
}
