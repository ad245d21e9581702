package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// registerMemberCRM adds a member's profile, stage and level, tags,
// points, referrals and redemptions. Every role may read; marketers and
// admins change.
func (h *Handler) registerMemberCRM(g, ed *gin.RouterGroup) {
	g.GET("/profiles/completeness", h.completeness)
	g.GET("/members/:openid/profile", h.memberProfile)
	g.GET("/members/:openid/history", h.memberHistory)
	g.GET("/members/:openid/tags", h.memberTags)
	g.GET("/members/:openid/points", h.memberPoints)
	g.GET("/members/:openid/referrals", h.memberReferrals)
	g.GET("/members/:openid/redemptions", h.memberRedemptions)
	ed.PUT("/members/:openid/stage", h.memberMark("stage"))
	ed.PUT("/members/:openid/level", h.memberMark("level"))
	ed.POST("/members/:openid/tags", h.memberTag)
	ed.DELETE("/members/:openid/tags/:tag", h.memberUntag)
	ed.POST("/members/:openid/points", h.memberAdjust)
}

// findMember resolves :openid, answering 404 itself when unknown.
func (h *Handler) findMember(c *gin.Context) (*models.Member, bool) {
	m, err := h.Store.FindMemberByOpenID(c.Request.Context(), c.Param("openid"))
	if err != nil {
		web.Error(c, err)
		return nil, false
	}
	return m, true
}

// completeness says how many members gave a profile, field by field.
func (h *Handler) completeness(c *gin.Context) {
	pc, err := h.Store.Completeness(c.Request.Context())
	respond(c, pc, err)
}

// memberProfile returns what the member told about themselves; 404 when
// they never filled in the form.
func (h *Handler) memberProfile(c *gin.Context) {
	m, ok := h.findMember(c)
	if !ok {
		return
	}
	p, err := h.Store.Profile(c.Request.Context(), m.ID)
	if err == nil && p == nil {
		err = models.Errorf(models.ENOTFOUND, "the member has no profile")
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, MemberProfile{Name: p.Name, Birthday: p.Birthday, Region: p.Region, Phone: p.Phone,
		Interests: p.Interests, ConsentAt: p.ConsentAt, UpdatedAt: p.UpdatedAt})
}

// memberHistory returns stage and level changes, oldest first.
func (h *Handler) memberHistory(c *gin.Context) {
	m, ok := h.findMember(c)
	if !ok {
		return
	}
	list, err := h.Store.MemberHistory(c.Request.Context(), m.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := List[Change]{Items: make([]Change, 0, len(list))}
	for _, ch := range list {
		out.Items = append(out.Items, changeOut(&ch))
	}
	c.JSON(http.StatusOK, out)
}

// memberMark sets the stage or level (a staff decision; reason required,
// audited). It answers the member and whether anything changed.
func (h *Handler) memberMark(field string) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req MarkRequest
		if !bindJSON(c, &req) {
			return
		}
		m, ok := h.findMember(c)
		if !ok {
			return
		}
		if strings.TrimSpace(req.Reason) == "" {
			web.Errorf(c, models.EINVALID, "a reason is required")
			return
		}
		to, set, from := req.Stage, h.Store.SetStage, m.Stage
		if field == "level" {
			to, set, from = req.Level, h.Store.SetLevel, m.Level
		}
		changed, err := set(c.Request.Context(), m.ID, to, strings.TrimSpace(req.Reason), web.CurrentStaff(c).ID)
		if err != nil {
			web.Error(c, err)
			return
		}
		if changed {
			web.Audit(c, h.Store, "member."+field, m.OpenID, from+" → "+to+": "+strings.TrimSpace(req.Reason)+" via API")
		}
		if m, ok = h.findMember(c); ok {
			c.JSON(http.StatusOK, MarkResult{Member: memberOut(m), Changed: changed})
		}
	}
}

// memberTags returns the member's tags.
func (h *Handler) memberTags(c *gin.Context) {
	m, ok := h.findMember(c)
	if !ok {
		return
	}
	tags, err := h.Store.MemberTags(c.Request.Context(), m.ID)
	respond(c, List[string]{Items: append([]string{}, tags...)}, err)
}

// memberTag adds a tag (idempotent, audited) and answers the tags.
func (h *Handler) memberTag(c *gin.Context) {
	var req TagRequest
	if !bindJSON(c, &req) {
		return
	}
	m, ok := h.findMember(c)
	if !ok {
		return
	}
	if err := h.Store.TagMember(c.Request.Context(), m.ID, req.Name); err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "member.tag", m.OpenID, strings.TrimSpace(req.Name)+" via API")
	h.memberTags(c)
}

// memberUntag removes a tag (no error if it was not there; audited).
func (h *Handler) memberUntag(c *gin.Context) {
	m, ok := h.findMember(c)
	if !ok {
		return
	}
	if err := h.Store.UntagMember(c.Request.Context(), m.ID, c.Param("tag")); err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "member.untag", m.OpenID, c.Param("tag")+" via API")
	c.Status(http.StatusNoContent)
}

// memberPoints returns the balance and the newest ledger entries
// (?limit= 1-500, default 50).
func (h *Handler) memberPoints(c *gin.Context) {
	limit := 50
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			web.Errorf(c, models.EINVALID, "limit must be 1-500")
			return
		}
		limit = n
	}
	m, ok := h.findMember(c)
	if !ok {
		return
	}
	entries, err := h.Store.PointsHistory(c.Request.Context(), m.ID, limit)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := Points{Balance: m.Points, Entries: make([]PointsEntry, 0, len(entries))}
	for i := range entries {
		out.Entries = append(out.Entries, pointsOut(&entries[i]))
	}
	c.JSON(http.StatusOK, out)
}

// memberAdjust credits or debits points with a reason (audited). The
// idempotency key comes from the body or the Idempotency-Key header: a
// repeat answers 200 with the first entry and "duplicate": true.
func (h *Handler) memberAdjust(c *gin.Context) {
	var req AdjustRequest
	if !bindJSON(c, &req) {
		return
	}
	if req.IdempotencyKey == "" {
		req.IdempotencyKey = c.GetHeader("Idempotency-Key")
	}
	if req.IdempotencyKey == "" || len(req.IdempotencyKey) > 100 {
		web.Errorf(c, models.EINVALID, "an idempotency_key of 1-100 bytes is required")
		return
	}
	m, ok := h.findMember(c)
	if !ok {
		return
	}
	key := "staff:" + strconv.FormatUint(m.ID, 10) + ":api:" + req.IdempotencyKey
	e, dup, err := h.Store.AdjustPoints(c.Request.Context(), m.ID, req.Delta, strings.TrimSpace(req.Reason), web.CurrentStaff(c).ID, key)
	if err != nil {
		web.Error(c, err)
		return
	}
	status := http.StatusOK
	if !dup {
		status = http.StatusCreated
		web.Audit(c, h.Store, "member.points", m.OpenID,
			strconv.FormatInt(e.Delta, 10)+" → "+strconv.FormatInt(e.Balance, 10)+": "+e.Reason+" via API")
	}
	c.JSON(status, AdjustResult{Entry: pointsOut(e), Duplicate: dup})
}

// memberReferrals returns the chain above the member and everyone they
// brought, with depth (1 = directly).
func (h *Handler) memberReferrals(c *gin.Context) {
	m, ok := h.findMember(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	up, err := h.Store.Upline(ctx, m.ID)
	var down []models.ReferralNode
	if err == nil {
		down, err = h.Store.Downline(ctx, m.ID, 1000)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	out := Referrals{Upline: make([]Member, 0, len(up)), Downline: make([]ReferralNode, 0, len(down))}
	for i := range up {
		out.Upline = append(out.Upline, memberOut(&up[i]))
	}
	for i := range down {
		if down[i].Depth == 1 {
			out.Direct++
		}
		out.Downline = append(out.Downline, ReferralNode{Member: memberOut(&down[i].Member), Depth: down[i].Depth})
	}
	c.JSON(http.StatusOK, out)
}

// memberRedemptions returns the member's redemptions and coupons, newest first.
func (h *Handler) memberRedemptions(c *gin.Context) {
	m, ok := h.findMember(c)
	if !ok {
		return
	}
	list, err := h.Store.Redemptions(c.Request.Context(), m.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := List[Redemption]{Items: make([]Redemption, 0, len(list))}
	for i := range list {
		out.Items = append(out.Items, redemptionOut(&list[i], m.OpenID))
	}
	c.JSON(http.StatusOK, out)
}
