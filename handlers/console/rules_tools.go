package console

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// testerForm is the rule tester's form, as typed.
type testerForm struct {
	Text, OpenID, At string
	Event            string // "" (a text message), "subscribe" or "click"
	Scene, Key       string
}

// input builds the engine's test input; At is read in the account's zone.
func (f testerForm) input(loc *time.Location) (roles.TestInput, error) {
	q := roles.TestRequest{Text: f.Text, OpenID: f.OpenID, Event: f.Event, Scene: f.Scene, Key: f.Key}
	if f.At != "" {
		at, err := time.ParseInLocation("2006-01-02T15:04", f.At, loc)
		if err != nil {
			return roles.TestInput{}, models.Errorf(models.EINVALID, "the time must look like 2026-01-31T18:30")
		}
		q.At = at
	}
	return q.Input()
}

type testerData struct {
	Form   testerForm
	Result *roles.TestResult
	Trace  []traceRow
	Error  string
}

// traceRow is one candidate rule with the engine's reason as a catalogue
// key and argument, so the tester speaks the staff member's language.
type traceRow struct {
	roles.Trace
	Key, Arg string // Key "" shows the engine's own words
}

// traceOutcomes maps the engine's reasons to catalogue keys; a reason not
// listed here is shown as the engine wrote it.
var traceOutcomes = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^fired$`), "rules.outcome.fired"},
	{regexp.MustCompile(`^outside its schedule$`), "rules.outcome.schedule"},
	{regexp.MustCompile(`^audience: subscribed does not match$`), "rules.outcome.subscribed"},
	{regexp.MustCompile(`^audience: member is in stage (.*)$`), "rules.outcome.stage"},
	{regexp.MustCompile(`^audience: member has none of the tags (.*)$`), "rules.outcome.tags"},
	{regexp.MustCompile(`^already answered this fan in the last (\d+) minutes$`), "rules.outcome.cooldown"},
}

func traceRows(tr []roles.Trace) []traceRow {
	out := make([]traceRow, 0, len(tr))
	for _, t := range tr {
		row := traceRow{Trace: t}
		for _, o := range traceOutcomes {
			if m := o.re.FindStringSubmatch(t.Outcome); m != nil {
				row.Key = o.key
				if len(m) > 1 {
					row.Arg = m[1]
				}
				break
			}
		}
		out = append(out, row)
	}
	return out
}

// ruleTester tries a message against the rules without sending anything
// (a GET form: trying changes nothing, and a result can be bookmarked).
func (h *Handler) ruleTester(c *gin.Context) {
	f := testerForm{Text: limited(c.Query("text"), 2000), OpenID: limited(c.Query("openid"), 64), At: c.Query("at"),
		Event: c.Query("event"), Scene: limited(c.Query("scene"), 64), Key: limited(c.Query("key"), 128)}
	d, status := testerData{Form: f}, http.StatusOK
	if c.Query("run") != "" {
		in, err := f.input(h.Loc)
		if err == nil {
			d.Result, err = h.Consulting.Test(c.Request.Context(), in)
		}
		if err == nil {
			d.Trace = traceRows(d.Result.Trace)
		}
		switch code := models.ErrorCode(err); {
		case err == nil:
		case code == models.EINVALID || code == models.ENOTFOUND:
			d.Error, status = h.errFor(c, err), web.Status(code)
		default:
			web.Error(c, err)
			return
		}
	}
	h.render(c, status, "rules_test", h.rulesPage(c, "rules", "rules.test.title", d))
}

// unansweredRanges are the periods the unanswered list offers.
var unansweredRanges = map[string]time.Duration{"24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

type unansweredRow struct {
	models.UnansweredGroup
	Keyword string // what "create rule" pre-fills
}

type unansweredData struct {
	Range   string
	Ranges  []string
	Groups  []unansweredRow
	CanEdit bool
}

// unanswered lists what fans asked that no rule matched, most frequent
// first, over ?range= 24h, 7d (default) or 30d.
func (h *Handler) rulesUnanswered(c *gin.Context) {
	d := unansweredData{Range: c.Query("range"), Ranges: []string{"24h", "7d", "30d"}, CanEdit: canEditRules(c)}
	if _, ok := unansweredRanges[d.Range]; !ok {
		d.Range = "7d"
	}
	groups, err := h.Store.UnansweredQuestions(c.Request.Context(), h.Now().Add(-unansweredRanges[d.Range]), 100)
	if err != nil {
		web.Error(c, err)
		return
	}
	for _, g := range groups {
		d.Groups = append(d.Groups, unansweredRow{UnansweredGroup: g, Keyword: questionKeyword(g)})
	}
	h.render(c, http.StatusOK, "rules_unanswered", h.rulesPage(c, "rules", "rules.unanswered.title", d))
}

// questionKeyword is the keyword a new rule for a question starts with,
// to be matched with "contains": the group's text with spaces and
// punctuation gone ("能 开发票吗？" → "能开发票吗") when it has no Latin
// letters, else the fan's words without the punctuation around them
// ("How much?" → "How much"), as English needs its spaces.
func questionKeyword(g models.UnansweredGroup) string {
	if !strings.ContainsFunc(g.Text, func(r rune) bool { return r < unicode.MaxASCII && unicode.IsLetter(r) }) {
		return g.Text
	}
	return strings.TrimFunc(g.Example, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r) })
}

// maxRulesFile bounds an imported rules file (10,000 rules fit easily).
const maxRulesFile = 8 << 20

type yamlData struct {
	Rules    int
	Pasted   string // the pasted YAML, kept when it did not import
	Imported int    // how many rules the last import brought in (-1: none)
	Warnings []string
	// MoreWarnings counts the warnings beyond the first maxImportWarnings.
	MoreWarnings int
	Error        string
	CanEdit      bool
}

// maxImportWarnings is how many import warnings the page lists.
const maxImportWarnings = 100

func (h *Handler) rulesYAML(c *gin.Context) { h.yamlPage(c, http.StatusOK, yamlData{Imported: -1}) }

func (h *Handler) yamlPage(c *gin.Context, status int, d yamlData) {
	rules, err := h.Store.ListRules(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	d.Rules, d.CanEdit = len(rules), canEditRules(c)
	h.render(c, status, "rules_yaml", h.rulesPage(c, "rules", "rules.yaml.title", d))
}

// rulesExport downloads every rule as YAML.
func (h *Handler) rulesExport(c *gin.Context) {
	b, err := h.Store.ExportRulesYAML(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	name := "fivec-rules-" + h.Now().In(h.Loc).Format("20060102-1504") + ".yaml"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/yaml; charset=utf-8", b)
}

// rulesImport replaces every rule with an uploaded or pasted YAML file
// (audited). An invalid file changes nothing and is shown with the reason.
func (h *Handler) rulesImport(c *gin.Context) {
	d := yamlData{Pasted: c.PostForm("yaml"), Imported: -1}
	body, err := uploadedYAML(c, d.Pasted)
	var specs []models.RuleSpec
	if err == nil {
		specs, err = models.ParseRulesYAML(body)
	}
	if err == nil {
		d.Warnings, err = h.Consulting.ImportRules(c.Request.Context(), body)
	}
	if code := models.ErrorCode(err); err != nil && code != models.EINVALID {
		web.Error(c, err)
		return
	} else if err != nil {
		d.Error = h.errFor(c, err)
		h.yamlPage(c, http.StatusBadRequest, d)
		return
	}
	web.Audit(c, h.Store, "rules.import", "", strconv.Itoa(len(specs))+" rules")
	d.Imported, d.Pasted = len(specs), ""
	if len(d.Warnings) > maxImportWarnings {
		d.MoreWarnings, d.Warnings = len(d.Warnings)-maxImportWarnings, d.Warnings[:maxImportWarnings]
	}
	h.yamlPage(c, http.StatusOK, d)
}

// uploadedYAML is the uploaded file, else the pasted text.
func uploadedYAML(c *gin.Context, pasted string) ([]byte, error) {
	fh, err := c.FormFile("file")
	if err != nil || fh.Size == 0 {
		if strings.TrimSpace(pasted) == "" {
			return nil, models.Errorf(models.EINVALID, "choose a YAML file or paste one")
		}
		return []byte(pasted), nil
	}
	if fh.Size > maxRulesFile {
		return nil, models.Errorf(models.EINVALID, "the file is larger than %d MiB", maxRulesFile>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxRulesFile))
}
