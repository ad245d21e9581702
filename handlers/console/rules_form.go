package console

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/fivec/fivec/models"
)

// maxRuleRows bounds the keyword, reply, article and action rows one form may
// post, so a crafted form cannot make the server build huge specs.
const maxRuleRows = 50

// ruleForm is the rule editor's state exactly as typed: a failed save or an
// "add row" shows it again unchanged, even where it does not parse yet.
type ruleForm struct {
	Name, Kind, Trigger, Priority string
	Enabled                       bool
	Keywords                      []keywordRow
	Hours, From, To               string
	Weekdays                      []int
	Tags                          string
	Stages                        []string
	Subscribed                    string // "", "yes", "no"
	Replies                       []replyRow
	Random                        bool
	Actions                       []actionRow
	Cooldown                      string
	// Focus names the row an "add" button just created, so the browser
	// jumps to it (autofocus) instead of the top of the page.
	Focus string
}

type keywordRow struct{ Text, Match string }

type replyRow struct {
	Kind, Text, MediaID, Title, Description string
	MusicURL, HQMusicURL, KfAccount         string
	Articles                                []models.Article
}

type actionRow struct{ Type, Value string }

// HasDay reports whether weekday d (1 = Monday) is ticked.
func (f *ruleForm) HasDay(d int) bool { return slices.Contains(f.Weekdays, d) }

// HasStage reports whether stage s is ticked.
func (f *ruleForm) HasStage(s string) bool { return slices.Contains(f.Stages, s) }

// newRuleForm is the editor for a new rule; keyword pre-fills a keyword rule
// (from the unanswered questions list).
func newRuleForm(keyword string) *ruleForm {
	f := &ruleForm{Kind: models.RuleKeyword, Priority: "0", Enabled: true,
		Keywords: []keywordRow{{Match: models.MatchContains}}, Replies: []replyRow{{Kind: models.ReplyText}}}
	if keyword = limited(keyword, 60); keyword != "" {
		f.Name, f.Keywords[0].Text = keyword, keyword
	}
	return f
}

// ruleFormFrom fills the editor from a stored spec.
func ruleFormFrom(s models.RuleSpec) *ruleForm {
	f := &ruleForm{Name: s.Name, Kind: s.Kind, Trigger: s.Trigger, Priority: strconv.Itoa(s.Priority),
		Enabled: !s.Disabled, Random: s.Random}
	for _, k := range s.Keywords {
		f.Keywords = append(f.Keywords, keywordRow(k))
	}
	if sc := s.Schedule; sc != nil {
		f.Hours, f.Weekdays, f.From, f.To = strings.Join(sc.Hours, ", "), sc.Weekdays, sc.From, sc.To
	}
	if a := s.Audience; a != nil {
		f.Tags, f.Stages = strings.Join(a.Tags, ", "), a.Stages
		if a.Subscribed != nil {
			f.Subscribed = map[bool]string{true: "yes", false: "no"}[*a.Subscribed]
		}
	}
	for _, r := range s.Replies {
		f.Replies = append(f.Replies, replyRow{Kind: r.Kind, Text: r.Text, MediaID: r.MediaID, Title: r.Title,
			Description: r.Description, MusicURL: r.MusicURL, HQMusicURL: r.HQMusicURL, KfAccount: r.KfAccount,
			Articles: r.Articles})
	}
	for _, a := range s.Actions {
		f.Actions = append(f.Actions, actionRow(a))
	}
	if s.CooldownMinutes > 0 {
		f.Cooldown = strconv.Itoa(s.CooldownMinutes)
	}
	if len(f.Keywords) == 0 {
		f.Keywords = []keywordRow{{Match: models.MatchContains}}
	}
	return f
}

// parseRuleForm reads the posted editor. Rows are numbered kw.0.text,
// reply.1.article.0.title, action.2.type…; the first missing index ends a list.
func parseRuleForm(v url.Values) *ruleForm {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := &ruleForm{Name: get("name"), Kind: get("kind"), Trigger: get("trigger"), Priority: get("priority"),
		Enabled: v.Get("enabled") != "", Hours: get("hours"), From: get("from"), To: get("to"),
		Tags: get("tags"), Stages: v["stage"], Subscribed: get("subscribed"), Random: v.Get("random") != "",
		Cooldown: get("cooldown")}
	for _, d := range v["weekday"] {
		if n, err := strconv.Atoi(d); err == nil && n >= 1 && n <= 7 && !f.HasDay(n) {
			f.Weekdays = append(f.Weekdays, n)
		}
	}
	slices.Sort(f.Weekdays)
	for i := 0; i < maxRuleRows && v.Has(rowField("kw", i, "text")); i++ {
		f.Keywords = append(f.Keywords, keywordRow{Text: get(rowField("kw", i, "text")), Match: get(rowField("kw", i, "match"))})
	}
	for i := 0; i < maxRuleRows && v.Has(rowField("reply", i, "kind")); i++ {
		p := func(field string) string { return v.Get(rowField("reply", i, field)) }
		r := replyRow{Kind: p("kind"), Text: p("text"), MediaID: strings.TrimSpace(p("media_id")),
			Title: p("title"), Description: p("description"), MusicURL: strings.TrimSpace(p("music_url")),
			HQMusicURL: strings.TrimSpace(p("hq_music_url")), KfAccount: strings.TrimSpace(p("kf_account"))}
		for j := 0; j < maxRuleRows && v.Has(rowField("reply", i, "article."+strconv.Itoa(j)+".title")); j++ {
			a := func(field string) string { return strings.TrimSpace(p("article." + strconv.Itoa(j) + "." + field)) }
			r.Articles = append(r.Articles, models.Article{Title: a("title"), Description: a("description"),
				PicURL: a("pic_url"), URL: a("url")})
		}
		f.Replies = append(f.Replies, r)
	}
	for i := 0; i < maxRuleRows && v.Has(rowField("action", i, "type")); i++ {
		f.Actions = append(f.Actions, actionRow{Type: get(rowField("action", i, "type")), Value: get(rowField("action", i, "value"))})
	}
	return f
}

func rowField(list string, i int, field string) string {
	return list + "." + strconv.Itoa(i) + "." + field
}

// apply carries out an editor button other than save: "add-kw", "del-kw-2",
// "add-reply", "del-reply-0", "add-article-1", "del-article-1-0",
// "add-action", "del-action-3". It reports whether op was one of them.
func (f *ruleForm) apply(op string) bool {
	parts := strings.Split(op, "-")
	n := make([]int, 0, 2)
	for _, p := range parts[min(2, len(parts)):] {
		i, err := strconv.Atoi(p)
		if err != nil || i < 0 {
			return false
		}
		n = append(n, i)
	}
	if len(parts) < 2 {
		return false
	}
	// The switch key is the button's verb and list, and how many row
	// numbers follow: "del-article-1-0" is "del-article/2".
	switch parts[0] + "-" + parts[1] + "/" + strconv.Itoa(len(n)) {
	case "add-kw/0":
		f.Keywords = append(f.Keywords, keywordRow{Match: models.MatchContains})
		f.Focus = rowField("kw", len(f.Keywords)-1, "text")
	case "del-kw/1":
		f.Keywords = withoutRow(f.Keywords, n[0])
	case "add-reply/0":
		f.Replies = append(f.Replies, replyRow{Kind: models.ReplyText})
		f.Focus = rowField("reply", len(f.Replies)-1, "kind")
	case "del-reply/1":
		f.Replies = withoutRow(f.Replies, n[0])
	case "add-article/1":
		if n[0] < len(f.Replies) {
			r := &f.Replies[n[0]]
			r.Articles = append(r.Articles, models.Article{})
			f.Focus = rowField("reply", n[0], "article."+strconv.Itoa(len(r.Articles)-1)+".title")
		}
	case "del-article/2":
		if n[0] < len(f.Replies) {
			f.Replies[n[0]].Articles = withoutRow(f.Replies[n[0]].Articles, n[1])
		}
	case "add-action/0":
		f.Actions = append(f.Actions, actionRow{})
		f.Focus = rowField("action", len(f.Actions)-1, "type")
	case "del-action/1":
		f.Actions = withoutRow(f.Actions, n[0])
	default:
		return false
	}
	return true
}

func withoutRow[T any](s []T, i int) []T {
	if i < 0 || i >= len(s) {
		return s
	}
	return slices.Delete(slices.Clone(s), i, i+1)
}

// spec turns the form into a RuleSpec. Blank rows are skipped, and only the
// fields that matter for the rule's kind and each reply's kind are kept, so
// switching a kind back and forth leaves nothing stale behind. Errors are
// the ones Validate cannot see (numbers that do not parse).
func (f *ruleForm) spec() (models.RuleSpec, error) {
	s := models.RuleSpec{Name: f.Name, Kind: f.Kind, Disabled: !f.Enabled, Random: f.Random}
	var err error
	if s.Priority, err = ruleFormInt(f.Priority, "priority"); err != nil {
		return s, err
	}
	if s.CooldownMinutes, err = ruleFormInt(f.Cooldown, "cooldown"); err != nil {
		return s, err
	}
	switch f.Kind {
	case models.RuleWelcome, models.RuleClick, models.RuleMsgType:
		s.Trigger = f.Trigger
	case models.RuleKeyword:
		for _, k := range f.Keywords {
			if k.Text != "" {
				s.Keywords = append(s.Keywords, models.Keyword(k))
			}
		}
	}
	if f.Hours != "" || len(f.Weekdays) > 0 || f.From != "" || f.To != "" {
		s.Schedule = &models.Schedule{Hours: splitCommaList(f.Hours), Weekdays: f.Weekdays, From: f.From, To: f.To}
	}
	if f.Tags != "" || len(f.Stages) > 0 || f.Subscribed != "" {
		a := &models.Audience{Tags: splitCommaList(f.Tags), Stages: f.Stages}
		if f.Subscribed == "yes" || f.Subscribed == "no" {
			yes := f.Subscribed == "yes"
			a.Subscribed = &yes
		}
		s.Audience = a
	}
	for _, r := range f.Replies {
		if rep, ok := r.reply(); ok {
			s.Replies = append(s.Replies, rep)
		}
	}
	for _, a := range f.Actions {
		if a.Type != "" {
			s.Actions = append(s.Actions, models.Action(a))
		}
	}
	return s, nil
}

// reply keeps the fields of r's kind; ok is false for a blank row.
func (r replyRow) reply() (models.Reply, bool) {
	out := models.Reply{Kind: r.Kind}
	switch r.Kind {
	case models.ReplyText:
		out.Text = r.Text
	case models.ReplyImage, models.ReplyVoice:
		out.MediaID = r.MediaID
	case models.ReplyVideo:
		out.MediaID, out.Title, out.Description = r.MediaID, r.Title, r.Description
	case models.ReplyMusic:
		out.Title, out.Description, out.MusicURL, out.HQMusicURL, out.MediaID = r.Title, r.Description, r.MusicURL, r.HQMusicURL, r.MediaID
	case models.ReplyNews:
		for _, a := range r.Articles {
			if a != (models.Article{}) {
				out.Articles = append(out.Articles, a)
			}
		}
	case models.ReplyTransfer:
		out.KfAccount = r.KfAccount
		return out, true
	}
	blank := out.Text == "" && out.MediaID == "" && out.Title == "" && out.Description == "" &&
		out.MusicURL == "" && out.HQMusicURL == "" && len(out.Articles) == 0
	return out, !blank
}

func ruleFormInt(s, field string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, models.Errorf(models.EINVALID, "%s must be a whole number", field)
	}
	return n, nil
}

// splitCommaList reads "a, b，c" (ASCII or full-width commas) as a list.
func splitCommaList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
