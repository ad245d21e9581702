package roles_test

import (
	"context"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
)

// TestMemberCentreCalendarAndLadder: five sign-ins in a row through
// Client.SignIn (the member centre's button) give the calendar its days,
// the streak, the coming bonus day (the 7th of the run), and the way up.
// A second sign-in the same day is Already and credits nothing.
func TestMemberCentreCalendarAndLadder(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		g := newGrowth(t, s) // Monday 2026-03-02, Shanghai
		g.Follow("mc1")
		for day := 0; day < 5; day++ {
			m := g.member("mc1")
			res, err := g.client.SignIn(ctx, m)
			if err != nil || res.Already || res.Streak != day+1 {
				t.Fatalf("day %d: %+v %v", day, res, err)
			}
			if again, err := g.client.SignIn(ctx, m); err != nil || !again.Already || again.Balance != res.Balance {
				t.Fatalf("day %d again: %+v %v", day, again, err)
			}
			if day < 4 {
				g.clock = g.clock.AddDate(0, 0, 1)
			}
		}
		mc, err := g.client.MemberCentre(ctx, g.member("mc1"))
		if err != nil {
			t.Fatal(err)
		}
		if mc.Balance != 50 || mc.Streak != 5 || !mc.SignedToday || len(mc.History) != 5 {
			t.Fatalf("centre: balance %d streak %d today %v history %d", mc.Balance, mc.Streak, mc.SignedToday, len(mc.History))
		}
		if len(mc.Calendar) != 28 || mc.Calendar[0].Date.Format(time.DateOnly) != "2026-02-09" || mc.Calendar[27].Date.Weekday() != time.Sunday {
			t.Fatalf("calendar from %s, %d days", mc.Calendar[0].Date, len(mc.Calendar))
		}
		var signed, bonus []string
		for _, d := range mc.Calendar {
			if d.Signed {
				signed = append(signed, d.Date.Format("01-02"))
			}
			if d.BonusDay {
				bonus = append(bonus, d.Date.Format("01-02"))
			}
			if d.Today != (d.Date.Format("01-02") == "03-06") || d.Future != d.Date.After(g.clock) {
				t.Errorf("%s: today %v future %v", d.Date.Format("01-02"), d.Today, d.Future)
			}
		}
		if len(signed) != 5 || signed[0] != "03-02" || signed[4] != "03-06" || len(bonus) != 1 || bonus[0] != "03-08" {
			t.Fatalf("signed %v, bonus %v", signed, bonus)
		}
		if mc.NextLevel != models.LevelSpreader || mc.NextStage != models.StageNew {
			t.Fatalf("next level %q stage %q", mc.NextLevel, mc.NextStage)
		}
	})
}
