package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// registerRules adds the Consulting endpoints (rules, tester, unanswered
// questions, YAML) and the custom menu. Every role may read and try rules;
// marketers and admins may change rules and the menu.
func (h *Handler) registerRules(g *gin.RouterGroup) {
	ed := g.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer))
	if h.Consulting != nil {
		g.GET("/rules", h.rulesList)
		g.GET("/rules/unanswered", h.rulesUnanswered)
		g.GET("/rules/export", h.rulesExport)
		g.GET("/rules/:id", h.ruleGet)
		g.POST("/rules/test", h.rulesTest)
		ed.POST("/rules", h.ruleCreate)
		ed.POST("/rules/import", h.rulesImport)
		ed.PUT("/rules/:id", h.ruleUpdate)
		ed.DELETE("/rules/:id", h.ruleDelete)
	}
	g.GET("/menu", h.menuGet)
	g.GET("/menu/live", h.menuLive)
	ed.PUT("/menu", h.menuPut)
	ed.POST("/menu/publish", h.menuPublish)
}

// rulesList returns the rules, highest priority first, with hit counts.
// ?kind= filters; paged.
func (h *Handler) rulesList(c *gin.Context) {
	limit, offset, err := paging(c)
	var rules []models.Rule
	if err == nil {
		rules, err = h.Store.ListRules(c.Request.Context())
	}
	var hits map[uint64][3]int64
	if err == nil {
		hits, err = h.Store.RuleHitCounts(c.Request.Context(), h.Now())
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	kind, matched := c.Query("kind"), make([]*models.Rule, 0, len(rules))
	for i := range rules {
		if kind == "" || rules[i].Kind == kind {
			matched = append(matched, &rules[i])
		}
	}
	out := Page[Rule]{Items: []Rule{}, Total: int64(len(matched)), Limit: limit, Offset: offset}
	for _, r := range matched[min(offset, len(matched)):min(offset+limit, len(matched))] {
		item, err := ruleOut(r, hits[r.ID])
		if err != nil {
			web.Error(c, err)
			return
		}
		out.Items = append(out.Items, item)
	}
	c.JSON(http.StatusOK, out)
}

// ruleGet returns one rule with hit counts and the engine's warnings.
func (h *Handler) ruleGet(c *gin.Context) {
	id, err := idParam(c)
	var r *models.Rule
	if err == nil {
		r, err = h.Store.FindRule(c.Request.Context(), id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	spec, err := r.Decode()
	var warnings []string
	if err == nil {
		// A stored rule the engine now refuses (an action since removed)
		// is still shown; the editor shows why.
		warnings, _ = h.Consulting.Check(c.Request.Context(), &spec, id)
	}
	h.ruleAnswer(c, http.StatusOK, r, warnings)
}

// ruleCreate adds a rule (audited) and answers 201 with its warnings.
func (h *Handler) ruleCreate(c *gin.Context) {
	var req RuleRequest
	if !bindJSON(c, &req) {
		return
	}
	h.ruleSave(c, 0, req)
}

// ruleUpdate replaces a rule (audited).
func (h *Handler) ruleUpdate(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	var req RuleRequest
	if !bindJSON(c, &req) {
		return
	}
	h.ruleSave(c, id, req)
}

// ruleSave stores req through the engine, which validates it and
// recompiles. A rule stored but not yet recompiled counts as saved: every
// process recompiles within seconds anyway.
func (h *Handler) ruleSave(c *gin.Context, id uint64, req RuleRequest) {
	r, warnings, err := h.Consulting.SaveRule(c.Request.Context(), id, req.spec())
	if r != nil && err != nil {
		h.Log.Error("recompile rules after save", "rule", r.ID, "err", err)
	} else if err != nil {
		web.Error(c, err)
		return
	}
	action, status := "rule.update", http.StatusOK
	if id == 0 {
		action, status = "rule.create", http.StatusCreated
		c.Header("Location", "/api/v1/rules/"+strconv.FormatUint(r.ID, 10))
	}
	web.Audit(c, h.Store, action, r.Name, "id="+strconv.FormatUint(r.ID, 10)+" via API")
	h.ruleAnswer(c, status, r, warnings)
}

// ruleAnswer writes one rule with its hits and warnings.
func (h *Handler) ruleAnswer(c *gin.Context, status int, r *models.Rule, warnings []string) {
	hits, err := h.Store.RuleHitCounts(c.Request.Context(), h.Now())
	var out Rule
	if err == nil {
		out, err = ruleOut(r, hits[r.ID])
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	if warnings == nil {
		warnings = []string{}
	}
	c.JSON(status, RuleWithWarnings{Rule: out, Warnings: warnings})
}

// ruleDelete removes a rule (audited).
func (h *Handler) ruleDelete(c *gin.Context) {
	id, err := idParam(c)
	var r *models.Rule
	if err == nil {
		r, err = h.Store.FindRule(c.Request.Context(), id)
	}
	if err == nil {
		err = h.Consulting.DeleteRule(c.Request.Context(), id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "rule.delete", r.Name, "id="+c.Param("id")+" via API")
	c.Status(http.StatusNoContent)
}
