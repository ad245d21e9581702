package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestRuleHitCounts: each rule's answered messages counted over the last
// 24 hours, 7 days and 30 days up to now (the console's and the API's rule
// lists); unanswered messages and older ones do not count.
func TestRuleHitCounts(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Date(2030, 5, 10, 12, 0, 0, 0, time.UTC)
		clock := now
		s.Now = func() time.Time { return clock }
		n := 0
		answer := func(ago time.Duration, rule uint64) {
			t.Helper()
			clock = now.Add(-ago)
			n++
			msg, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: fmt.Sprintf("hits%d", n), OpenID: "oHits", MsgType: "text", Content: "价格"})
			if err != nil {
				t.Fatal(err)
			}
			a := models.Answer{State: models.StateReplied, RuleID: rule}
			if rule == 0 {
				a = models.Answer{Unanswered: true}
			}
			if err := s.FinishInbound(ctx, msg.ID, a); err != nil {
				t.Fatal(err)
			}
		}
		answer(time.Hour, 1)
		answer(3*24*time.Hour, 1)
		answer(40*24*time.Hour, 1)
		answer(10*24*time.Hour, 2)
		answer(2*time.Hour, 0)

		got, err := s.RuleHitCounts(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		want := map[uint64][3]int64{1: {1, 2, 2}, 2: {0, 0, 1}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("hits %v, want %v", got, want)
		}
	})
}
