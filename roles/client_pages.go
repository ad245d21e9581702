package roles

import (
	"context"
	"slices"
	"time"

	"github.com/fivec/fivec/models"
)

// MemberCentre is what the member centre (会员中心) shows a fan: the same
// facts the chat answers "积分" with, and the way up the ladders.
type MemberCentre struct {
	Member  *models.Member
	Balance int64
	History []models.PointsEntry // newest first
	// Streak is the current run of daily sign-ins; SignedToday says
	// whether today's is done.
	Streak      int
	SignedToday bool
	// Calendar is the last four weeks, Monday first, today included.
	Calendar []CalendarDay
	// SignIn is what a sign-in pays.
	SignIn models.SignInRules
	// NextLevel is the rung above the member's level ("" at the top);
	// Referrals and KeyPersonReferrals measure the way to key person.
	NextLevel          string
	Referrals          int64
	KeyPersonReferrals int64
	// NextStage is the stage after the member's ("" when loyal); Earned and
	// LoyalAfterPoints measure the way to loyal.
	NextStage        string
	Earned           int64
	LoyalAfterPoints int64
	LoyalAfterDays   int
}

// CalendarDay is one day of the sign-in calendar.
type CalendarDay struct {
	Date     time.Time
	Signed   bool
	Today    bool
	Future   bool
	BonusDay bool // a sign-in that day would complete a bonus week
}

// memberCentreHistory is how many ledger entries the page lists.
const memberCentreHistory = 20

// MemberCentre gathers the member centre of m.
func (c *Client) MemberCentre(ctx context.Context, m *models.Member) (*MemberCentre, error) {
	today := c.Now().In(c.Loc)
	rules := c.rules() // the console's amounts, as the sign-in itself uses
	mc := &MemberCentre{Member: m, SignIn: rules.SignIn, KeyPersonReferrals: rules.KeyPersonReferrals,
		LoyalAfterPoints: rules.LoyalAfterPoints, LoyalAfterDays: rules.LoyalAfterDays}
	var err error
	if mc.Balance, err = c.Store.Balance(ctx, m.ID); err != nil {
		return nil, err
	}
	if mc.History, err = c.Store.PointsHistory(ctx, m.ID, memberCentreHistory); err != nil {
		return nil, err
	}
	if mc.Streak, err = c.Store.Streak(ctx, m.ID, today); err != nil {
		return nil, err
	}
	// Four weeks, Monday first, ending with the Sunday of this week.
	start := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, c.Loc)
	start = start.AddDate(0, 0, -((int(start.Weekday())+6)%7)-21)
	end := start.AddDate(0, 0, 27)
	days, err := c.Store.SignInDays(ctx, m.ID, start, end)
	if err != nil {
		return nil, err
	}
	todayKey := today.Format(time.DateOnly)
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		key := d.Format(time.DateOnly)
		cd := CalendarDay{Date: d, Signed: slices.Contains(days, key), Today: key == todayKey, Future: key > todayKey}
		mc.Calendar = append(mc.Calendar, cd)
		if cd.Today {
			mc.SignedToday = cd.Signed
		}
	}
	// The bonus day ahead: the streak continued to the next multiple.
	if every := rules.SignIn.BonusEvery; every > 0 && rules.SignIn.Bonus > 0 {
		next := mc.Streak + 1 // today's sign-in, or tomorrow's after today's
		ahead := (every - next%every) % every
		first := 0 // today when not yet signed in, else tomorrow
		if mc.SignedToday {
			first = 1
		}
		for i := range mc.Calendar {
			if mc.Calendar[i].Today && i+first+ahead < len(mc.Calendar) {
				mc.Calendar[i+first+ahead].BonusDay = true
			}
		}
	}
	if i := slices.Index(models.Levels, m.Level); i >= 0 && i+1 < len(models.Levels) {
		mc.NextLevel = models.Levels[i+1]
	}
	if mc.NextLevel == models.LevelKeyPerson {
		if mc.Referrals, err = c.Store.CountReferrals(ctx, m.ID); err != nil {
			return nil, err
		}
	}
	switch m.Stage {
	case models.StageProspect:
		mc.NextStage = models.StageNew
	case models.StageNew:
		mc.NextStage = models.StageLoyal
		if mc.Earned, err = c.Store.TotalEarned(ctx, m.ID); err != nil {
			return nil, err
		}
	}
	return mc, nil
}
