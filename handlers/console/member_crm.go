package console

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/templates"
)

// memberCRM is the CRM half of the member page.
type memberCRM struct {
	Profile     *models.MemberProfile
	Tags        []string
	History     []historyRow
	Ledger      []ledgerRow
	Upline      []models.Member // who brought them, then who brought that member…
	Downline    []models.ReferralNode
	Direct      int // of the downline, brought directly
	Redemptions []models.Redemption
	Journeys    []models.MemberJourney
	Stages      []string
	Levels      []string
	CanEdit     bool
	Form        memberForm
}

// historyRow is a stage or level change with the staff member's name
// and its reason in the page's language (system reasons are codes).
type historyRow struct {
	models.MemberChange
	Staff, Reason string
}

// ledgerRow is a points entry with the staff member's name and its
// reason in the page's language.
type ledgerRow struct {
	models.PointsEntry
	Staff, Reason string
}

// memberForm is what staff typed into the member page's forms. Section
// names the form Error belongs to; Token is the points form's
// idempotency token, new for every page load and kept on errors.
type memberForm struct {
	Section, Error     string
	Stage, StageReason string
	Level, LevelReason string
	Tag                string
	Amount, Reason     string
	Token              string
}

// downlineLimit bounds the referral tree shown on a member's page.
const downlineLimit = 500

// memberCRM loads the CRM sections for m.
func (h *Handler) memberCRM(c *gin.Context, m *models.Member, f memberForm) (*memberCRM, error) {
	ctx := c.Request.Context()
	d := &memberCRM{Stages: models.Stages, Levels: models.Levels, CanEdit: canEditCRM(c), Form: f}
	if d.Form.Token == "" {
		d.Form.Token = models.RandomToken(18)
	}
	names, err := h.staffNames(c)
	if err != nil {
		return nil, err
	}
	if d.Profile, err = h.Store.Profile(ctx, m.ID); err != nil {
		return nil, err
	}
	if d.Tags, err = h.Store.MemberTags(ctx, m.ID); err != nil {
		return nil, err
	}
	changes, err := h.Store.MemberHistory(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	reason := templates.Reason(h.lang(c))
	for i := len(changes) - 1; i >= 0; i-- { // newest first
		r := historyRow{MemberChange: changes[i], Staff: staffName(names, changes[i].StaffID)}
		r.Reason, _ = changes[i].ReasonText(reason)
		d.History = append(d.History, r)
	}
	entries, err := h.Store.PointsHistory(ctx, m.ID, 100)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		r := ledgerRow{PointsEntry: e, Staff: staffName(names, e.StaffID)}
		r.Reason, _ = e.ReasonText(reason)
		d.Ledger = append(d.Ledger, r)
	}
	if d.Upline, err = h.Store.Upline(ctx, m.ID); err != nil {
		return nil, err
	}
	if d.Downline, err = h.Store.Downline(ctx, m.ID, downlineLimit); err != nil {
		return nil, err
	}
	for _, n := range d.Downline {
		if n.Depth == 1 {
			d.Direct++
		}
	}
	if d.Redemptions, err = h.Store.Redemptions(ctx, m.ID); err != nil {
		return nil, err
	}
	d.Journeys, err = h.Store.MemberJourneys(ctx, m.ID)
	return d, err
}

func staffName(names map[uint64]string, id *uint64) string {
	if id == nil {
		return ""
	}
	if n, ok := names[*id]; ok {
		return n
	}
	return "#" + strconv.FormatUint(*id, 10)
}

// pointsToken is the shape of the points form's idempotency token.
var pointsToken = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// memberAct handles the member page's forms: mark the stage or level,
// add or remove a tag, adjust points. Each is audited; a refused form is
// shown again as typed, with the reason next to it.
func (h *Handler) memberAct(c *gin.Context) {
	ctx := c.Request.Context()
	m, err := h.Store.FindMemberByOpenID(ctx, c.Param("openid"))
	if err != nil {
		web.Error(c, err)
		return
	}
	f := memberForm{Section: c.Param("action"), Stage: c.PostForm("stage"), StageReason: strings.TrimSpace(c.PostForm("stage_reason")),
		Level: c.PostForm("level"), LevelReason: strings.TrimSpace(c.PostForm("level_reason")), Tag: strings.TrimSpace(c.PostForm("tag")),
		Amount: strings.TrimSpace(c.PostForm("amount")), Reason: strings.TrimSpace(c.PostForm("reason")), Token: c.PostForm("token")}
	var flash, anchor, detail string
	switch f.Section {
	case "stage":
		flash, anchor, detail, err = h.markMember(c, m, "stage", f.Stage, f.StageReason)
	case "level":
		flash, anchor, detail, err = h.markMember(c, m, "level", f.Level, f.LevelReason)
	case "tag":
		flash, anchor, detail, err = "crm.flash.tagged", "tags", f.Tag, h.Store.TagMember(ctx, m.ID, f.Tag)
	case "untag":
		if err = models.ValidTagName(f.Tag); err == nil {
			flash, anchor, detail, err = "crm.flash.untagged", "tags", f.Tag, h.Store.UntagMember(ctx, m.ID, f.Tag)
		}
	case "points":
		flash, anchor, detail, err = h.adjustPoints(c, m, &f)
	case "blacklist", "unblacklist":
		flash, anchor, detail, err = h.blacklist(c, m, f.Section == "blacklist")
	default:
		web.Errorf(c, models.ENOTFOUND, "unknown member action")
		return
	}
	if code := models.ErrorCode(err); code == models.EINVALID || (code == models.EUPSTREAM && strings.HasSuffix(f.Section, "blacklist")) {
		f.Error = h.errFor(c, err)
		h.memberPage(c, http.StatusBadRequest, f)
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	if detail != "" {
		web.Audit(c, h.Store, "member."+f.Section, m.OpenID, detail)
	}
	redirect(c, memberPath(m.OpenID)+"#"+anchor, flash)
}

// markMember sets the stage or level as staff decided; the reason is
// required. Marking the current value changes nothing and is not audited.
func (h *Handler) markMember(c *gin.Context, m *models.Member, field, to, reason string) (flash, anchor, detail string, err error) {
	if reason == "" {
		return "", "", "", models.Errorf(models.EINVALID, "say why you mark this member (the reason is kept in the history)")
	}
	set := h.Store.SetStage
	if field == "level" {
		set = h.Store.SetLevel
	}
	changed, err := set(c.Request.Context(), m.ID, to, reason, web.CurrentStaff(c).ID)
	if err != nil || !changed {
		return "crm.flash.unchanged", "lifecycle", "", err
	}
	from := m.Stage
	if field == "level" {
		from = m.Level
	}
	return "crm.flash." + field, "lifecycle", from + " → " + to + ": " + reason, nil
}

// adjustPoints credits or debits the amount typed with the reason. The
// form's token is the idempotency key, so a double submit credits once.
func (h *Handler) adjustPoints(c *gin.Context, m *models.Member, f *memberForm) (flash, anchor, detail string, err error) {
	if !pointsToken.MatchString(f.Token) {
		f.Token = ""
		return "", "", "", models.Errorf(models.EINVALID, "the form expired; reload the page and try again")
	}
	delta, err := strconv.ParseInt(strings.TrimPrefix(f.Amount, "+"), 10, 64)
	if err != nil {
		return "", "", "", models.Errorf(models.EINVALID, "the amount must be a whole number such as 50 or -20")
	}
	key := "staff:" + strconv.FormatUint(m.ID, 10) + ":" + f.Token
	e, dup, err := h.Store.AdjustPoints(c.Request.Context(), m.ID, delta, f.Reason, web.CurrentStaff(c).ID, key)
	if err != nil {
		return "", "", "", err
	}
	if dup {
		return "crm.flash.points_dup", "points", "", nil
	}
	return "crm.flash.points", "points", strconv.FormatInt(e.Delta, 10) + " → " + strconv.FormatInt(e.Balance, 10) + ": " + f.Reason, nil
}
