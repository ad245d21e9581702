package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// rulesTest tries a message against the rules without sending anything or
// running actions.
func (h *Handler) rulesTest(c *gin.Context) {
	var req RuleTestRequest
	if !bindJSON(c, &req) {
		return
	}
	in, err := req.input()
	var res *roles.TestResult
	if err == nil {
		res, err = h.Consulting.Test(c.Request.Context(), in)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, ruleTestOut(res))
}

// input builds the engine's test input from the request.
func (r RuleTestRequest) input() (roles.TestInput, error) {
	q := roles.TestRequest{Text: r.Text, OpenID: r.OpenID, Event: r.Event, Scene: r.Scene, Key: r.Key}
	if r.At != nil {
		q.At = *r.At
	}
	return q.Input()
}

// unansweredRanges are the periods ?range= accepts.
var unansweredRanges = map[string]time.Duration{"24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

// rulesUnanswered lists what fans asked that no rule matched, most
// frequent first: ?range= 24h, 7d (default) or 30d; ?limit= 1-200 (50).
func (h *Handler) rulesUnanswered(c *gin.Context) {
	limit, _, err := paging(c)
	rng := c.DefaultQuery("range", "7d")
	if _, ok := unansweredRanges[rng]; err == nil && !ok {
		err = models.Errorf(models.EINVALID, "range must be 24h, 7d or 30d")
	}
	var groups []models.UnansweredGroup
	if err == nil {
		groups, err = h.Store.UnansweredQuestions(c.Request.Context(), time.Now().Add(-unansweredRanges[rng]), limit)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	out := List[UnansweredQuestion]{Items: make([]UnansweredQuestion, 0, len(groups))}
	for _, g := range groups {
		out.Items = append(out.Items, UnansweredQuestion(g))
	}
	c.JSON(http.StatusOK, out)
}

// rulesExport answers every rule as YAML, highest priority first.
func (h *Handler) rulesExport(c *gin.Context) {
	b, err := h.Store.ExportRulesYAML(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	c.Data(http.StatusOK, "text/yaml; charset=utf-8", b)
}

// maxRulesFile bounds an imported rules file (10,000 rules fit easily).
const maxRulesFile = 8 << 20

// rulesImport replaces every rule with the YAML body (audited). If any
// rule is invalid, nothing changes.
func (h *Handler) rulesImport(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxRulesFile))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = models.Errorf(models.EINVALID, "the rules file is larger than %d MiB", maxRulesFile>>20)
	}
	var specs []models.RuleSpec
	if err == nil {
		specs, err = models.ParseRulesYAML(body)
	}
	var warnings []string
	if err == nil {
		warnings, err = h.Consulting.ImportRules(c.Request.Context(), body)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "rules.import", "", strconv.Itoa(len(specs))+" rules via API")
	if warnings == nil {
		warnings = []string{}
	}
	c.JSON(http.StatusOK, RulesImportResult{Imported: len(specs), Warnings: warnings})
}
