package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// ruleEditData is what the rule editor shows.
type ruleEditData struct {
	ID        uint64 // 0 for a new rule
	Form      *ruleForm
	Warnings  []string // rules that shadow this one, slow regexes
	Error     string   // why the last save failed
	ErrorAt   string   // the form section the error is about
	CanEdit   bool
	Hits      [3]int64
	UpdatedAt time.Time
	TryURL    string // the rule tester, filled in with a message this rule answers
	// The choices the form offers.
	Kinds, Matches, ReplyKinds, ActionTypes, Stages []string
	Days                                            []int
	// Library offers the media library's images to image replies (nil
	// Images with Library false: no library configured).
	Library bool
	Images  []models.Material
}

// ruleReplyKinds are the reply kinds the editor offers, in menu order.
var ruleReplyKinds = []string{models.ReplyText, models.ReplyNews, models.ReplyImage, models.ReplyVoice,
	models.ReplyVideo, models.ReplyMusic, models.ReplyTransfer}

// ruleNew shows an empty editor; ?keyword= pre-fills a keyword rule.
func (h *Handler) ruleNew(c *gin.Context) {
	h.ruleEditor(c, http.StatusOK, ruleEditData{Form: newRuleForm(c.Query("keyword"))}, nil)
}

// ruleEdit shows a stored rule with the warnings the engine has about it
// now (shadowing rules, slow regexes), so they show after every save.
func (h *Handler) ruleEdit(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := ruleID(c)
	var r *models.Rule
	if err == nil {
		r, err = h.Store.FindRule(ctx, id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	spec, err := r.Decode()
	if err != nil {
		web.Error(c, err)
		return
	}
	d := ruleEditData{ID: id, Form: ruleFormFrom(spec), UpdatedAt: r.UpdatedAt, TryURL: tryURL(spec)}
	d.Warnings, err = h.Consulting.Check(ctx, &spec, id)
	if hits, herr := h.Store.RuleHitCounts(ctx, h.Now()); herr == nil {
		d.Hits = hits[id]
	}
	h.ruleEditor(c, http.StatusOK, d, err)
}

func (h *Handler) ruleCreate(c *gin.Context) { h.ruleSave(c, 0) }

func (h *Handler) ruleUpdate(c *gin.Context) {
	id, err := ruleID(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	h.ruleSave(c, id)
}

// ruleSave handles every button of the editor: "add/remove row" buttons
// show the form again with the change, save stores the rule (audited). A
// rule that does not validate is shown again as typed, with the reason.
func (h *Handler) ruleSave(c *gin.Context, id uint64) {
	op := c.PostForm("op")
	form := parseRuleForm(c.Request.PostForm)
	if op != "" && op != "save" {
		if !form.apply(op) {
			web.Errorf(c, models.EINVALID, "unknown editor button")
			return
		}
		h.ruleEditor(c, http.StatusOK, ruleEditData{ID: id, Form: form}, nil)
		return
	}
	spec, err := form.spec()
	if err == nil {
		err = h.checkLibraryImages(c.Request.Context(), spec)
	}
	var r *models.Rule
	if err == nil {
		r, err = h.saveRule(c.Request.Context(), id, spec)
	}
	if models.ErrorCode(err) == models.EINVALID {
		h.ruleEditor(c, http.StatusBadRequest, ruleEditData{ID: id, Form: form}, err)
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	action := map[bool]string{true: "rule.create", false: "rule.update"}[id == 0]
	web.Audit(c, h.Store, action, r.Name, "id="+strconv.FormatUint(r.ID, 10))
	redirect(c, Base+"/rules/"+strconv.FormatUint(r.ID, 10), "rules.flash.saved")
}

// pickerSize is how many of the newest library images the reply editor's
// picker shows (older ones: type or paste the media_id).
const pickerSize = 60

// checkLibraryImages refuses an image reply whose media_id the media
// library does not hold as an image: a typo, an expired temporary id or an
// id from elsewhere that a sync has not brought in yet (no library: no check).
func (h *Handler) checkLibraryImages(ctx context.Context, spec models.RuleSpec) error {
	if h.Library == nil {
		return nil
	}
	for i, r := range spec.Replies {
		if r.Kind != models.ReplyImage || r.MediaID == "" {
			continue
		}
		m, err := h.Store.MaterialByMediaID(ctx, r.MediaID)
		if models.ErrorCode(err) == models.ENOTFOUND || err == nil && m.Kind != models.MaterialImage {
			return models.Errorf(models.EINVALID, "rule %q: 第 %d 条回复：素材库中没有 media_id 为「%s」的图片。请从素材库选择图片；来自微信公众平台的图片，先到素材库点「从微信同步」。", spec.Name, i+1, r.MediaID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// saveRule saves through the engine. A rule stored but not yet recompiled
// counts as saved: every process recompiles within seconds anyway.
func (h *Handler) saveRule(ctx context.Context, id uint64, spec models.RuleSpec) (*models.Rule, error) {
	r, _, err := h.Consulting.SaveRule(ctx, id, spec)
	if r != nil && err != nil {
		h.Log.Error("recompile rules after save", "rule", r.ID, "err", err)
		err = nil
	}
	return r, err
}

// ruleEditor renders the editor with d's form; err (a known error) shows
// above it.
func (h *Handler) ruleEditor(c *gin.Context, status int, d ruleEditData, err error) {
	d.CanEdit = canEditRules(c)
	d.Kinds, d.Matches, d.ReplyKinds = models.RuleKinds, []string{models.MatchExact, models.MatchPrefix, models.MatchContains, models.MatchRegex}, ruleReplyKinds
	d.ActionTypes, d.Stages = h.Consulting.ActionTypes(), []string{models.StageProspect, models.StageNew, models.StageLoyal}
	d.Days = []int{1, 2, 3, 4, 5, 6, 7}
	if h.Library != nil {
		d.Library = true
		if page, err := h.Store.Materials(c.Request.Context(), models.MaterialImage, 0, pickerSize); err == nil {
			d.Images = page.Items
		} else {
			h.Log.Error("media picker", "err", err)
		}
	}
	title := "rules.edit_title"
	if d.ID == 0 {
		title = "rules.new_title"
	}
	if err != nil {
		d.Error, d.ErrorAt = errorSection(models.ErrorMessage(err))
	}
	h.render(c, status, "rules_edit", h.rulesPage(c, "rules", title, d))
}

// tryURL opens the rule tester with a message that should reach spec.
func tryURL(spec models.RuleSpec) string {
	q := url.Values{"run": {"1"}}
	switch {
	case spec.Kind == models.RuleKeyword && len(spec.Keywords) > 0 && spec.Keywords[0].Match != models.MatchRegex:
		q.Set("text", spec.Keywords[0].Text)
	case spec.Kind == models.RuleClick:
		q.Set("event", "click")
		q.Set("key", spec.Trigger)
	case spec.Kind == models.RuleWelcome:
		q.Set("event", "subscribe")
		q.Set("scene", spec.Trigger)
	default:
		return Base + "/rules/test"
	}
	return Base + "/rules/test?" + q.Encode()
}

// ruleID parses :id; a malformed id is simply not found.
func ruleID(c *gin.Context) (uint64, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil {
		return 0, models.Errorf(models.ENOTFOUND, "no such rule")
	}
	return id, nil
}

// errorSection drops the rule's name from a validation message (the form
// shows it) and guesses which part of the editor the message is about, so
// the editor can mark that section too.
func errorSection(msg string) (string, string) {
	if rest, ok := strings.CutPrefix(msg, "rule "); ok {
		if q, err := strconv.QuotedPrefix(rest); err == nil {
			msg = strings.TrimPrefix(rest[len(q):], ": ")
		}
	}
	for _, s := range []struct{ section, words string }{
		{"name", "rule name"}, {"kind", "kind must"}, {"priority", "priority"}, {"cooldown", "cooldown"},
		{"trigger", "trigger|click rule"}, {"keywords", "keyword"}, {"schedule", "hours|weekday|from |to |date range"},
		{"replies", "reply|article|条回复"}, {"actions", "action"},
	} {
		for _, w := range strings.Split(s.words, "|") {
			if strings.Contains(msg, w) {
				return msg, s.section
			}
		}
	}
	return msg, ""
}
