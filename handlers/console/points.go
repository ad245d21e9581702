package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// giftForm is the gift form as typed.
type giftForm struct {
	ID                     uint64
	Name, Kind             string
	Cost, Stock, ValidDays string
	Active                 bool
	Error                  string
}

// couponForm is the "mark coupon used" form and its outcome.
type couponForm struct {
	Code   string
	Error  string
	Used   *models.Redemption // set when the code was just accepted
	OpenID string             // the coupon's member
}

// board is one leaderboard.
type board struct {
	Key  string // i18n key of its title
	Rows []models.LeaderboardRow
}

type pointsData struct {
	Gifts   []models.Gift
	Gift    giftForm
	Coupon  couponForm
	Boards  []board
	CanEdit bool
}

func (h *Handler) pointsPage(c *gin.Context) {
	h.renderPoints(c, http.StatusOK, pointsData{Gift: newGiftForm()})
}

// newGiftForm is the empty gift form: an active item, coupons valid 30 days.
func newGiftForm() giftForm { return giftForm{Kind: models.GiftItem, ValidDays: "30", Active: true} }

// renderPoints shows the gift catalogue, the coupon desk and this week's,
// this month's and all-time leaderboards, with d's forms as typed.
func (h *Handler) renderPoints(c *gin.Context, status int, d pointsData) {
	ctx := c.Request.Context()
	var err error
	if d.Gifts, err = h.Store.ListGifts(ctx, false); err != nil {
		web.Error(c, err)
		return
	}
	week, month := periodStarts(h.Now(), h.Loc)
	for _, b := range []struct {
		key   string
		since time.Time
	}{{"crm.leaderboard.week", week}, {"crm.leaderboard.month", month}, {"crm.leaderboard.all", time.Time{}}} {
		rows, err := h.Store.Leaderboard(ctx, b.since, 10)
		if err != nil {
			web.Error(c, err)
			return
		}
		d.Boards = append(d.Boards, board{Key: b.key, Rows: rows})
	}
	d.CanEdit = canEditCRM(c)
	h.render(c, status, "points", h.crmPage(c, "points", "crm.points_page.title", d))
}

// periodStarts returns where this week and this month began in the
// account's time zone (weeks start on Monday, as in the fans' 排行榜 reply).
func periodStarts(now time.Time, loc *time.Location) (week, month time.Time) {
	now = now.In(loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	return day.AddDate(0, 0, -((int(now.Weekday()) + 6) % 7)), time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
}

func parseGiftForm(c *gin.Context) giftForm {
	return giftForm{Name: strings.TrimSpace(c.PostForm("name")), Kind: c.PostForm("kind"),
		Cost: strings.TrimSpace(c.PostForm("cost")), Stock: strings.TrimSpace(c.PostForm("stock")),
		ValidDays: strings.TrimSpace(c.PostForm("valid_days")), Active: c.PostForm("active") == "1"}
}

// gift reads the numbers of the form into a gift.
func (f giftForm) gift() (models.Gift, error) {
	g := models.Gift{ID: f.ID, Name: f.Name, Kind: f.Kind, Active: f.Active}
	for _, n := range []struct {
		text, label string
		set         func(int64)
	}{
		{f.Cost, "cost", func(v int64) { g.Cost = v }},
		{f.Stock, "stock", func(v int64) { g.Stock = v }},
		{f.ValidDays, "validity (days)", func(v int64) { g.ValidDays = int(v) }},
	} {
		v, err := intField(n.text, n.label)
		if err != nil {
			return g, err
		}
		if v != nil {
			if *v > 1e9 {
				return g, models.Errorf(models.EINVALID, "%s is too large", n.label)
			}
			n.set(*v)
		}
	}
	return g, g.Validate()
}

func giftFormFrom(g *models.Gift) giftForm {
	return giftForm{ID: g.ID, Name: g.Name, Kind: g.Kind, Cost: strconv.FormatInt(g.Cost, 10),
		Stock: strconv.FormatInt(g.Stock, 10), ValidDays: strconv.Itoa(g.ValidDays), Active: g.Active}
}

// giftCreate adds a gift to the catalogue (audited).
func (h *Handler) giftCreate(c *gin.Context) {
	f := parseGiftForm(c)
	g, err := f.gift()
	var saved *models.Gift
	if err == nil {
		saved, err = h.Store.SaveGift(c.Request.Context(), g)
	}
	if models.ErrorCode(err) == models.EINVALID {
		f.Error = h.errFor(c, err)
		h.renderPoints(c, http.StatusBadRequest, pointsData{Gift: f})
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "gift.create", saved.Name, giftDetail(saved))
	redirect(c, Base+"/points#gifts", "crm.flash.gift")
}

func giftDetail(g *models.Gift) string {
	return "id=" + strconv.FormatUint(g.ID, 10) + " cost=" + strconv.FormatInt(g.Cost, 10) + " stock=" +
		strconv.FormatInt(g.Stock, 10) + " valid_days=" + strconv.Itoa(g.ValidDays) + " active=" + strconv.FormatBool(g.Active)
}

// giftEdit shows one gift's form.
func (h *Handler) giftEdit(c *gin.Context) {
	id, err := idParam(c, "id")
	var g *models.Gift
	if err == nil {
		g, err = h.Store.FindGift(c.Request.Context(), id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	h.render(c, http.StatusOK, "gift_edit", h.crmPage(c, "points", "crm.gifts.edit_title",
		struct {
			Gift    giftForm
			CanEdit bool
		}{giftFormFrom(g), canEditCRM(c)}))
}

// giftUpdate changes a gift (stock, price, active…; audited).
func (h *Handler) giftUpdate(c *gin.Context) {
	id, err := idParam(c, "id")
	if err == nil {
		_, err = h.Store.FindGift(c.Request.Context(), id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	f := parseGiftForm(c)
	f.ID = id
	g, err := f.gift()
	var saved *models.Gift
	if err == nil {
		saved, err = h.Store.SaveGift(c.Request.Context(), g)
	}
	if models.ErrorCode(err) == models.EINVALID {
		f.Error = h.errFor(c, err)
		h.render(c, http.StatusBadRequest, "gift_edit", h.crmPage(c, "points", "crm.gifts.edit_title",
			struct {
				Gift    giftForm
				CanEdit bool
			}{f, true}))
		return
	} else if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "gift.update", saved.Name, giftDetail(saved))
	redirect(c, Base+"/points#gifts", "crm.flash.gift")
}

// couponRefusal says in the cashier's language why a coupon was refused:
// unknown, already used (and when), or expired (and when).
func (h *Handler) couponRefusal(c *gin.Context, r *models.Redemption, code string) string {
	lang := h.lang(c)
	switch {
	case code == models.ENOTFOUND || r == nil:
		return h.Pages.T(lang, "crm.coupons.not_found")
	case r.UsedAt != nil:
		return h.Pages.T(lang, "crm.coupons.already_used", r.UsedAt.In(h.Loc).Format("2006-01-02 15:04:05"))
	case r.ValidUntil != nil:
		return h.Pages.T(lang, "crm.coupons.expired", r.ValidUntil.In(h.Loc).Format("2006-01-02"))
	}
	return h.Pages.T(lang, "crm.coupons.not_found")
}

// couponUse marks a coupon code used (audited). Unknown, used and expired
// codes are refused with the reason, the code kept in the box.
func (h *Handler) couponUse(c *gin.Context) {
	f := couponForm{Code: strings.TrimSpace(c.PostForm("code"))}
	if f.Code == "" {
		f.Error = h.Pages.T(h.lang(c), "crm.coupons.empty")
		h.renderPoints(c, http.StatusBadRequest, pointsData{Coupon: f, Gift: newGiftForm()})
		return
	}
	r, err := h.Store.MarkCouponUsed(c.Request.Context(), f.Code, web.CurrentStaff(c).ID)
	status := http.StatusOK
	switch code := models.ErrorCode(err); {
	case err == nil:
		f.Used = r
		if ms, merr := h.Store.MembersByIDs(c.Request.Context(), []uint64{r.MemberID}); merr == nil && len(ms) == 1 {
			f.OpenID = ms[0].OpenID
		}
		web.Audit(c, h.Store, "coupon.use", r.Code, r.GiftName+" member="+f.OpenID)
	case code == models.ENOTFOUND || code == models.ECONFLICT:
		status, f.Error = web.Status(code), h.couponRefusal(c, r, code)
	default:
		web.Error(c, err)
		return
	}
	h.renderPoints(c, status, pointsData{Coupon: f, Gift: newGiftForm()})
}
