package modelstest

import (
	"context"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
)

// ReasonsDay is the day SeedReasons signs its member in.
var ReasonsDay = time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)

// SeedReasons gives the member openID (followed here) one reason of each
// kind, as the system and staff write them, and returns the staff member
// who typed theirs:
//
//	a sign-in on ReasonsDay: 10 points "sys:signin_day:2030-06-01" and level responder "sys:signin"
//	an old row from before the codes: level spreader "brought a friend"
//	a staff adjustment of +5 typed as "sys:expiry" (staff text is never a code)
func SeedReasons(tb testing.TB, s *models.Store, openID string) *models.Staff {
	tb.Helper()
	ctx := context.Background()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	_, m, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "reasons-" + openID, OpenID: openID,
		MsgType: "event", Event: "subscribe", Subscribe: true})
	must(err)
	_, err = s.CheckIn(ctx, m.ID, ReasonsDay, models.SignInRules{Base: 10})
	must(err)
	_, err = s.RaiseLevel(ctx, m.ID, models.LevelResponder, models.SystemReason(models.ReasonSignIn, ""))
	must(err)
	_, err = s.RaiseLevel(ctx, m.ID, models.LevelSpreader, "brought a friend")
	must(err)
	st, err := s.CreateStaff(ctx, models.NewStaff{Username: "typist", Password: "correct-horse", Role: models.RoleMarketer})
	must(err)
	_, _, err = s.AdjustPoints(ctx, m.ID, 5, "sys:expiry", st.ID, "reasons-adjust-"+openID)
	must(err)
	return st
}
