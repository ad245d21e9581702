package modelstest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
)

// ReportNow is the clock of SeedReports: 2030-05-10 12:00 in Beijing.
var ReportNow = time.Date(2030, 5, 10, 4, 0, 0, 0, time.UTC)

// SeedReports gives s a small, known history for the report pages and
// endpoints, written at fixed times, and leaves s.Now at ReportNow:
//
//	channel "shop", named `=HYPERLINK("x"),门店` (a name a spreadsheet must not run)
//	fan a follows via shop 05-08 09:00 (Beijing), earns 30 points, asks 价格多少 on 05-09
//	fan b follows by search 05-09 10:00 and leaves at 12:00
//	a gives a profile (上海, born 1995-01-01, 美食，旅行) and is sent the broadcast 五月上新 at 12:00
func SeedReports(tb testing.TB, s *models.Store) {
	tb.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	now := ReportNow
	s.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	at := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	cst := time.FixedZone("CST", 8*3600)
	n := 0
	in := func(when time.Time, openID string, m models.Inbound) uint64 {
		tb.Helper()
		at(when)
		n++
		m.DedupeKey, m.OpenID = "seed"+time.Duration(n).String(), openID
		msg, member, _, err := s.RecordInbound(ctx, m)
		must(err)
		must(s.FinishInbound(ctx, msg.ID, models.Answer{MemberID: member.ID, State: models.StateNone, Unanswered: m.MsgType == "text"}))
		return member.ID
	}
	at(time.Date(2030, 5, 1, 0, 0, 0, 0, cst))
	_, err := s.CreateChannel(ctx, models.NewChannel{Name: `=HYPERLINK("x"),门店`, Scene: "shop", Permanent: true}, "t", "u", 0)
	must(err)
	a := in(time.Date(2030, 5, 8, 9, 0, 0, 0, cst), "a", models.Inbound{MsgType: "event", Event: "subscribe", EventKey: "qrscene_shop", Subscribe: true, Scene: "shop"})
	_, _, err = s.Earn(ctx, a, 30, models.SourceSignIn, "sign-in", "seed-a", nil)
	must(err)
	in(time.Date(2030, 5, 9, 9, 0, 0, 0, cst), "a", models.Inbound{MsgType: "text", Content: "价格多少"})
	in(time.Date(2030, 5, 9, 10, 0, 0, 0, cst), "b", models.Inbound{MsgType: "event", Event: "subscribe", Subscribe: true})
	in(time.Date(2030, 5, 9, 12, 0, 0, 0, cst), "b", models.Inbound{MsgType: "event", Event: "unsubscribe", Unsubscribe: true})
	_, err = s.SaveProfile(ctx, a, models.ProfileInput{Region: "上海", Birthday: "1995-01-01", Interests: "美食，旅行", Consent: true})
	must(err)
	_, err = s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "五月上新", Reply: models.TextReply("上新啦")}, []uint64{a})
	must(err)
	rs, err := s.ClaimRecipients(ctx, "seed", 10, time.Minute)
	must(err)
	for _, r := range rs {
		_, err := s.MarkSending(ctx, &r, "seed")
		must(err)
		must(s.FinishRecipient(ctx, &r, "seed", models.Outcome{State: models.RcptSent, Channel: "custom"}))
	}
	at(ReportNow)
}
