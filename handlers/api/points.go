package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// Gift is an item of the rewards catalogue.
type Gift struct {
	ID        uint64    `json:"id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"` // gift or coupon
	Cost      int64     `json:"cost"`
	Stock     int64     `json:"stock"`
	ValidDays int       `json:"valid_days"`
	Active    bool      `json:"active"`
	UpdatedAt time.Time `json:"updated_at"`
}

func giftOut(g *models.Gift) Gift {
	return Gift{ID: g.ID, Name: g.Name, Kind: g.Kind, Cost: g.Cost, Stock: g.Stock, ValidDays: g.ValidDays, Active: g.Active, UpdatedAt: g.UpdatedAt}
}

// GiftRequest is the body of POST /gifts and PUT /gifts/:id.
type GiftRequest struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Cost      int64  `json:"cost"`
	Stock     int64  `json:"stock"`
	ValidDays *int   `json:"valid_days"` // default 30
	Active    *bool  `json:"active"`     // default true
}

// CouponRequest is the body of POST /coupons/use.
type CouponRequest struct {
	Code string `json:"code"`
}

// LeaderboardRow is one line of a leaderboard.
type LeaderboardRow struct {
	Rank   int    `json:"rank"`
	OpenID string `json:"openid"`
	Points int64  `json:"points"`
}

// Leaderboard is a ranking over a period.
type Leaderboard struct {
	Period string           `json:"period"`          // week, month or all
	Since  *time.Time       `json:"since,omitempty"` // none for all time
	Items  []LeaderboardRow `json:"items"`
}

func (h *Handler) registerPoints(g, ed *gin.RouterGroup) {
	g.GET("/gifts", h.giftsList)
	g.GET("/gifts/:id", h.giftGet)
	g.GET("/leaderboard", h.leaderboard)
	ed.POST("/gifts", h.giftCreate)
	ed.PUT("/gifts/:id", h.giftUpdate)
	ed.POST("/coupons/use", h.couponUse)
}

// giftsList returns the catalogue, cheapest first (?active=true: only
// what fans can redeem now).
func (h *Handler) giftsList(c *gin.Context) {
	activeOnly, _ := strconv.ParseBool(c.Query("active"))
	list, err := h.Store.ListGifts(c.Request.Context(), activeOnly)
	respondList(c, list, err, giftOut)
}

func (h *Handler) giftGet(c *gin.Context) {
	id, err := idParam(c)
	var g *models.Gift
	if err == nil {
		g, err = h.Store.FindGift(c.Request.Context(), id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, giftOut(g))
}

func (h *Handler) giftCreate(c *gin.Context) { h.giftSave(c, 0) }

func (h *Handler) giftUpdate(c *gin.Context) {
	id, err := idParam(c)
	if err == nil {
		_, err = h.Store.FindGift(c.Request.Context(), id)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	h.giftSave(c, id)
}

// giftSave creates or replaces a gift (audited).
func (h *Handler) giftSave(c *gin.Context, id uint64) {
	var req GiftRequest
	if !bindJSON(c, &req) {
		return
	}
	g := models.Gift{ID: id, Name: req.Name, Kind: req.Kind, Cost: req.Cost, Stock: req.Stock, ValidDays: 30, Active: true}
	if req.ValidDays != nil {
		g.ValidDays = *req.ValidDays
	}
	if req.Active != nil {
		g.Active = *req.Active
	}
	saved, err := h.Store.SaveGift(c.Request.Context(), g)
	if err == nil {
		saved, err = h.Store.FindGift(c.Request.Context(), saved.ID)
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	status, action := http.StatusOK, "gift.update"
	if id == 0 {
		status, action = http.StatusCreated, "gift.create"
		c.Header("Location", "/api/v1/gifts/"+strconv.FormatUint(saved.ID, 10))
	}
	web.Audit(c, h.Store, action, saved.Name, "id="+strconv.FormatUint(saved.ID, 10)+" cost="+strconv.FormatInt(saved.Cost, 10)+
		" stock="+strconv.FormatInt(saved.Stock, 10)+" via API")
	c.JSON(status, giftOut(saved))
}

// couponUse marks a coupon used (audited): 404 for an unknown code, 409
// for a used or expired one.
func (h *Handler) couponUse(c *gin.Context) {
	var req CouponRequest
	if !bindJSON(c, &req) {
		return
	}
	if strings.TrimSpace(req.Code) == "" {
		web.Errorf(c, models.EINVALID, "code is required")
		return
	}
	r, err := h.Store.MarkCouponUsed(c.Request.Context(), req.Code, web.CurrentStaff(c).ID)
	var ms []models.Member
	if err == nil {
		ms, err = h.Store.MembersByIDs(c.Request.Context(), []uint64{r.MemberID})
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	openID := ""
	if len(ms) == 1 {
		openID = ms[0].OpenID
	}
	web.Audit(c, h.Store, "coupon.use", r.Code, r.GiftName+" member="+openID+" via API")
	c.JSON(http.StatusOK, redemptionOut(r, openID))
}

// leaderboard ranks members by points earned this week or this month (in
// the account's time zone; staff adjustments do not count) or by balance
// (all): ?period=week|month|all (default week), ?limit= 1-100 (default 10).
func (h *Handler) leaderboard(c *gin.Context) {
	limit := 10
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			web.Errorf(c, models.EINVALID, "limit must be 1-100")
			return
		}
		limit = n
	}
	out := Leaderboard{Period: c.DefaultQuery("period", "week"), Items: []LeaderboardRow{}}
	now := h.Now().In(h.Loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, h.Loc)
	var since time.Time
	switch out.Period {
	case "week":
		since = day.AddDate(0, 0, -((int(now.Weekday()) + 6) % 7))
	case "month":
		since = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, h.Loc)
	case "all":
	default:
		web.Errorf(c, models.EINVALID, "period must be week, month or all")
		return
	}
	if !since.IsZero() {
		utc := since.UTC()
		out.Since = &utc
	}
	rows, err := h.Store.Leaderboard(c.Request.Context(), since, limit)
	if err != nil {
		web.Error(c, err)
		return
	}
	for i, r := range rows {
		out.Items = append(out.Items, LeaderboardRow{Rank: i + 1, OpenID: r.OpenID, Points: r.Points})
	}
	c.JSON(http.StatusOK, out)
}
