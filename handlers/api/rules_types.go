package api

import (
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// RuleRequest is the body of POST /rules and PUT /rules/:id: the whole
// rule, in the same shape as a rule in the YAML file.
type RuleRequest struct {
	Name            string        `json:"name"`
	Kind            string        `json:"kind"`
	Trigger         string        `json:"trigger,omitempty"`
	Priority        int           `json:"priority"`
	Disabled        bool          `json:"disabled"`
	Keywords        []RuleKeyword `json:"keywords,omitempty"`
	Schedule        *RuleSchedule `json:"schedule,omitempty"`
	Audience        *RuleAudience `json:"audience,omitempty"`
	Replies         []RuleReply   `json:"replies,omitempty"`
	Random          bool          `json:"random,omitempty"`
	Actions         []RuleAction  `json:"actions,omitempty"`
	CooldownMinutes int           `json:"cooldown_minutes,omitempty"`
}

// RuleKeyword is a keyword and how it matches (exact, prefix, contains, regex).
type RuleKeyword struct {
	Text  string `json:"text"`
	Match string `json:"match"`
}

// RuleSchedule limits when a rule fires, in the account's time zone.
type RuleSchedule struct {
	Hours    []string `json:"hours,omitempty"`
	Weekdays []int    `json:"weekdays,omitempty"`
	From     string   `json:"from,omitempty"`
	To       string   `json:"to,omitempty"`
}

// RuleAudience limits whom a rule answers.
type RuleAudience struct {
	Tags       []string `json:"tags,omitempty"`
	Stages     []string `json:"stages,omitempty"`
	Subscribed *bool    `json:"subscribed,omitempty"`
}

// RuleReply is one reply of a rule.
type RuleReply struct {
	Kind        string    `json:"kind"`
	Text        string    `json:"text,omitempty"`
	MediaID     string    `json:"media_id,omitempty"`
	Title       string    `json:"title,omitempty"`
	Description string    `json:"description,omitempty"`
	MusicURL    string    `json:"music_url,omitempty"`
	HQMusicURL  string    `json:"hq_music_url,omitempty"`
	Articles    []Article `json:"articles,omitempty"`
	KfAccount   string    `json:"kf_account,omitempty"`
}

// RuleAction is something a rule does besides replying.
type RuleAction struct {
	Type  string `json:"type"`
	Value string `json:"value,omitempty"`
}

// Rule is a stored rule with its hit counts.
type Rule struct {
	ID uint64 `json:"id"`
	RuleRequest
	Hits      RuleHits  `json:"hits"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RuleWithWarnings is one rule as GET, POST and PUT answer it: with the
// engine's warnings (rules that shadow it, regexes that slow matching).
type RuleWithWarnings struct {
	Rule
	Warnings []string `json:"warnings"`
}

// RuleHits counts the messages a rule answered in the last 24 hours, 7
// days and 30 days.
type RuleHits struct {
	Day   int64 `json:"24h"`
	Week  int64 `json:"7d"`
	Month int64 `json:"30d"`
}

// spec converts the request to the engine's form.
func (r RuleRequest) spec() models.RuleSpec {
	s := models.RuleSpec{Name: r.Name, Kind: r.Kind, Trigger: r.Trigger, Priority: r.Priority, Disabled: r.Disabled,
		Random: r.Random, CooldownMinutes: r.CooldownMinutes}
	for _, k := range r.Keywords {
		s.Keywords = append(s.Keywords, models.Keyword(k))
	}
	if sc := r.Schedule; sc != nil {
		s.Schedule = &models.Schedule{Hours: sc.Hours, Weekdays: sc.Weekdays, From: sc.From, To: sc.To}
	}
	if a := r.Audience; a != nil {
		s.Audience = &models.Audience{Tags: a.Tags, Stages: a.Stages, Subscribed: a.Subscribed}
	}
	for _, rep := range r.Replies {
		s.Replies = append(s.Replies, rep.reply())
	}
	for _, a := range r.Actions {
		s.Actions = append(s.Actions, models.Action(a))
	}
	return s
}

func (r RuleReply) reply() models.Reply {
	out := models.Reply{Kind: r.Kind, Text: r.Text, MediaID: r.MediaID, Title: r.Title, Description: r.Description,
		MusicURL: r.MusicURL, HQMusicURL: r.HQMusicURL, KfAccount: r.KfAccount}
	for _, a := range r.Articles {
		out.Articles = append(out.Articles, models.Article(a))
	}
	return out
}

func ruleReplyOut(r models.Reply) RuleReply {
	out := RuleReply{Kind: r.Kind, Text: r.Text, MediaID: r.MediaID, Title: r.Title, Description: r.Description,
		MusicURL: r.MusicURL, HQMusicURL: r.HQMusicURL, KfAccount: r.KfAccount}
	for _, a := range r.Articles {
		out.Articles = append(out.Articles, Article(a))
	}
	return out
}

func ruleRequestOut(s models.RuleSpec) RuleRequest {
	r := RuleRequest{Name: s.Name, Kind: s.Kind, Trigger: s.Trigger, Priority: s.Priority, Disabled: s.Disabled,
		Random: s.Random, CooldownMinutes: s.CooldownMinutes}
	for _, k := range s.Keywords {
		r.Keywords = append(r.Keywords, RuleKeyword(k))
	}
	if sc := s.Schedule; sc != nil {
		r.Schedule = &RuleSchedule{Hours: sc.Hours, Weekdays: sc.Weekdays, From: sc.From, To: sc.To}
	}
	if a := s.Audience; a != nil {
		r.Audience = &RuleAudience{Tags: a.Tags, Stages: a.Stages, Subscribed: a.Subscribed}
	}
	for _, rep := range s.Replies {
		r.Replies = append(r.Replies, ruleReplyOut(rep))
	}
	for _, a := range s.Actions {
		r.Actions = append(r.Actions, RuleAction(a))
	}
	return r
}

// ruleOut renders a stored rule; hits holds the counts per window.
func ruleOut(r *models.Rule, hits [3]int64) (Rule, error) {
	spec, err := r.Decode()
	if err != nil {
		return Rule{}, err
	}
	return Rule{ID: r.ID, RuleRequest: ruleRequestOut(spec), Hits: RuleHits{hits[0], hits[1], hits[2]},
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

// RuleTestRequest is the body of POST /rules/test.
type RuleTestRequest struct {
	Text   string     `json:"text"`
	OpenID string     `json:"openid"`
	At     *time.Time `json:"at"`
	// Event is "" (a text message), "subscribe" or "click".
	Event string `json:"event"`
	Scene string `json:"scene"` // subscribe: the QR scene
	Key   string `json:"key"`   // click: the button key
}

// RuleTestResult tells which rule would fire, why, and the exact replies.
type RuleTestResult struct {
	Matched    bool             `json:"matched"`
	RuleID     uint64           `json:"rule_id,omitempty"`
	RuleName   string           `json:"rule_name,omitempty"`
	Keyword    string           `json:"keyword,omitempty"`
	Mode       string           `json:"mode,omitempty"`
	Replies    []RuleReply      `json:"replies"`
	Actions    []RuleAction     `json:"actions,omitempty"`
	Unanswered bool             `json:"unanswered"`
	Trace      []RuleTraceEntry `json:"trace"`
}

// RuleTraceEntry is one candidate rule and what became of it.
type RuleTraceEntry struct {
	RuleID   uint64 `json:"rule_id"`
	RuleName string `json:"rule_name"`
	Keyword  string `json:"keyword,omitempty"`
	Mode     string `json:"mode,omitempty"`
	Outcome  string `json:"outcome"`
}

func ruleTestOut(t *roles.TestResult) RuleTestResult {
	out := RuleTestResult{Matched: t.Matched, RuleID: t.RuleID, RuleName: t.RuleName, Keyword: t.Keyword, Mode: t.Mode,
		Replies: []RuleReply{}, Unanswered: t.Unmatched, Trace: []RuleTraceEntry{}}
	for _, r := range t.Replies {
		out.Replies = append(out.Replies, ruleReplyOut(r))
	}
	for _, a := range t.Actions {
		out.Actions = append(out.Actions, RuleAction(a))
	}
	for _, tr := range t.Trace {
		out.Trace = append(out.Trace, RuleTraceEntry(tr))
	}
	return out
}

// UnansweredQuestion is a group of fans' texts no rule matched.
type UnansweredQuestion struct {
	Text    string    `json:"text"`
	Example string    `json:"example"`
	Count   int       `json:"count"`
	Fans    int       `json:"fans"`
	LastAt  time.Time `json:"last_at"`
}

// RulesImportResult answers POST /rules/import.
type RulesImportResult struct {
	Imported int      `json:"imported"`
	Warnings []string `json:"warnings"`
}

// Menu is the custom menu, in WeChat's own shape.
type Menu struct {
	Button []MenuButton `json:"button"`
}

// MenuButton is one button; a top-level button with sub_button is a folder.
type MenuButton struct {
	Type      string       `json:"type,omitempty"`
	Name      string       `json:"name"`
	Key       string       `json:"key,omitempty"`
	URL       string       `json:"url,omitempty"`
	AppID     string       `json:"appid,omitempty"`
	PagePath  string       `json:"pagepath,omitempty"`
	SubButton []MenuButton `json:"sub_button,omitempty"`
}

// MenuDraft answers GET/PUT /menu and POST /menu/publish: the draft, when
// fivec last published, and whether the draft differs from that.
type MenuDraft struct {
	Menu
	PublishedAt        *time.Time `json:"published_at,omitempty"`
	UnpublishedChanges bool       `json:"unpublished_changes"`
}

func (m Menu) model() models.Menu {
	out := models.Menu{}
	for _, b := range m.Button {
		out.Buttons = append(out.Buttons, b.model())
	}
	return out
}

func (b MenuButton) model() models.MenuButton {
	out := models.MenuButton{Type: b.Type, Name: b.Name, Key: b.Key, URL: b.URL, AppID: b.AppID, PagePath: b.PagePath}
	for _, s := range b.SubButton {
		out.SubButtons = append(out.SubButtons, s.model())
	}
	return out
}

func menuOut(m models.Menu) Menu {
	out := Menu{Button: []MenuButton{}}
	for _, b := range m.Buttons {
		out.Button = append(out.Button, menuButtonOut(b))
	}
	return out
}

func menuButtonOut(b models.MenuButton) MenuButton {
	out := MenuButton{Type: b.Type, Name: b.Name, Key: b.Key, URL: b.URL, AppID: b.AppID, PagePath: b.PagePath}
	for _, s := range b.SubButtons {
		out.SubButton = append(out.SubButton, menuButtonOut(s))
	}
	return out
}
