package console

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/templates"
)

// registerRules adds the Consulting pages (rules, tester, unanswered
// questions, YAML import/export) and the custom menu editor. Every role
// may look; marketers and admins may change things.
func (h *Handler) registerRules(a *gin.RouterGroup) {
	ed := a.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer))
	if h.Consulting != nil {
		a.GET("/rules", h.rulesList)
		a.GET("/rules/new", h.ruleNew)
		a.GET("/rules/test", h.ruleTester)
		a.GET("/rules/unanswered", h.rulesUnanswered)
		a.GET("/rules/yaml", h.rulesYAML)
		a.GET("/rules/export.yaml", h.rulesExport)
		a.GET("/rules/:id", h.ruleEdit)
		ed.POST("/rules/new", h.ruleCreate)
		ed.POST("/rules/import", h.rulesImport)
		ed.POST("/rules/:id", h.ruleUpdate)
		ed.POST("/rules/:id/:action", h.ruleAct)
	}
	a.GET("/menu", h.menuPage)
	a.GET("/menu/live", h.menuLive)
	ed.POST("/menu", h.menuSave)
	ed.POST("/menu/publish", h.menuPublish)
}

// rulesFlashes are the notices the rules and menu pages redirect with.
var rulesFlashes = []string{"rules.flash.saved", "rules.flash.deleted", "rules.flash.enabled",
	"rules.flash.disabled", "menu.flash.saved", "menu.flash.published"}

// rulesPage is page() plus the rules pages' own notices and stylesheet.
func (h *Handler) rulesPage(c *gin.Context, nav, title string, data any) templates.Page {
	p := h.page(c, nav, title, data)
	if k := c.Query("ok"); slices.Contains(rulesFlashes, k) {
		p.Flash = k
	}
	return p
}

// canEdit reports whether the current staff member may change rules and
// the menu.
func canEditRules(c *gin.Context) bool {
	return web.HasRole(web.CurrentStaff(c), models.RoleAdmin, models.RoleMarketer)
}

// ruleRow is one line of the rules list.
type ruleRow struct {
	ID            uint64
	Name, Kind    string
	Trigger       string
	Keywords      []models.Keyword
	Priority      int
	Disabled      bool
	Reply         string // the first reply, summarised
	Hits          [3]int64
	Actions, More int // number of actions; replies beyond the first
}

type rulesListData struct {
	Rows     []ruleRow
	Q, Kind  string
	Back     string // this page, for the enable/disable buttons to return to
	Kinds    []string
	Total    int
	Pager    pager
	CanEdit  bool
	Filtered bool
}

// rulesList shows the rules, highest priority first, with hit counts;
// ?q= searches names, triggers and keywords and ?kind= filters.
func (h *Handler) rulesList(c *gin.Context) {
	ctx := c.Request.Context()
	rules, err := h.Store.ListRules(ctx)
	if err != nil {
		web.Error(c, err)
		return
	}
	hits, err := h.Store.RuleHitCounts(ctx, h.Now())
	if err != nil {
		web.Error(c, err)
		return
	}
	d := rulesListData{Q: strings.TrimSpace(c.Query("q")), Kind: c.Query("kind"), Kinds: models.RuleKinds, CanEdit: canEditRules(c)}
	d.Filtered = d.Q != "" || d.Kind != ""
	back := *c.Request.URL
	q := back.Query()
	q.Del("ok")
	back.RawQuery = q.Encode()
	d.Back = back.RequestURI()
	var rows []ruleRow
	for _, r := range rules {
		if row, ok := listRow(r, hits[r.ID], d.Q, d.Kind); ok {
			rows = append(rows, row)
		}
	}
	page := pageParam(c)
	d.Total, d.Pager = len(rows), newPager(c.Request.URL, page, int64(len(rows)))
	d.Rows = rows[min((page-1)*pageSize, len(rows)):min(page*pageSize, len(rows))]
	h.render(c, http.StatusOK, "rules", h.rulesPage(c, "rules", "rules.title", d))
}

// listRow summarises r, or reports false when it does not match the
// search q (case-insensitive, in name, trigger and keywords) or kind.
func listRow(r models.Rule, hits [3]int64, q, kind string) (ruleRow, bool) {
	row := ruleRow{ID: r.ID, Name: r.Name, Kind: r.Kind, Trigger: r.Trigger, Priority: r.Priority, Disabled: r.Disabled, Hits: hits}
	if kind != "" && r.Kind != kind {
		return row, false
	}
	spec, err := r.Decode()
	if err == nil {
		row.Keywords, row.Actions = spec.Keywords, len(spec.Actions)
		if len(spec.Replies) > 0 {
			row.Reply, row.More = spec.Replies[0].Summary(), len(spec.Replies)-1
		}
	}
	if q == "" {
		return row, true
	}
	q = strings.ToLower(q)
	hay := []string{r.Name, r.Trigger}
	for _, k := range row.Keywords {
		hay = append(hay, k.Text)
	}
	for _, s := range hay {
		if strings.Contains(strings.ToLower(s), q) {
			return row, true
		}
	}
	return row, false
}

// ruleAct deletes, enables or disables a rule (audited).
func (h *Handler) ruleAct(c *gin.Context) {
	ctx, action := c.Request.Context(), c.Param("action")
	id, err := ruleID(c)
	var r *models.Rule
	if err == nil {
		r, err = h.Store.FindRule(ctx, id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	switch action {
	case "delete":
		err = h.Consulting.DeleteRule(ctx, id)
	case "enable", "disable":
		err = h.setRuleDisabled(ctx, r, action == "disable")
	default:
		web.Errorf(c, models.ENOTFOUND, "unknown rule action")
		return
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "rule."+action, r.Name, "id="+c.Param("id"))
	back := Base + "/rules"
	if action != "delete" {
		back = localPath(c.PostForm("back"), back)
	}
	redirect(c, back, "rules.flash."+action+"d")
}

// setRuleDisabled switches a rule on or off through the engine, so it is
// checked and recompiled like any other save.
func (h *Handler) setRuleDisabled(ctx context.Context, r *models.Rule, off bool) error {
	spec, err := r.Decode()
	if err != nil {
		return err
	}
	spec.Disabled = off
	_, err = h.saveRule(ctx, r.ID, spec)
	return err
}
