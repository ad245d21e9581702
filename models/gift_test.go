package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestCouponAcceptedOnceUnderConcurrency: four cashiers on each of two
// stores (two connection pools on one database, as two processes) accept
// the same 12 coupons at the same moment. Each coupon is accepted exactly
// once, by the cashier its row names; every other attempt is ECONFLICT.
// Before the fix the conditional UPDATE's row count was ignored, and on
// MariaDB several cashiers were told "accepted" for one coupon.
func TestCouponAcceptedOnceUnderConcurrency(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2 := modelstest.MustOpenShared(t, driver)
			ctx := context.Background()
			g, err := s1.SaveGift(ctx, models.Gift{Name: "咖啡券", Kind: models.GiftCoupon, Cost: 1, Stock: 100, ValidDays: 30, Active: true})
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for i := range 12 {
				_, m, _, err := s1.RecordInbound(ctx, models.Inbound{DedupeKey: fmt.Sprintf("cp%d", i), OpenID: fmt.Sprintf("oCoupon%02d", i),
					MsgType: "event", Event: "subscribe", Subscribe: true})
				if err != nil {
					t.Fatal(err)
				}
				r, err := s1.GrantGift(ctx, m.ID, g.ID, fmt.Sprintf("grant%d", i))
				if err != nil {
					t.Fatal(err)
				}
				codes = append(codes, r.Code)
			}
			var first map[string][]uint64
			for round := range 3 { // later rounds: a used coupon stays refused
				accepted := map[string][]uint64{}
				var mu sync.Mutex
				var wg sync.WaitGroup
				start := make(chan struct{})
				for cashier := range 8 {
					store := []*models.Store{s1, s2}[cashier%2]
					staffID := uint64(100 + cashier)
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						for i := range codes {
							code := codes[(i+cashier)%len(codes)]
							r, err := store.MarkCouponUsed(ctx, code, staffID)
							switch {
							case err == nil:
								mu.Lock()
								accepted[code] = append(accepted[code], staffID)
								mu.Unlock()
							case models.ErrorCode(err) == models.ECONFLICT:
								if r == nil || r.UsedAt == nil {
									t.Errorf("cashier %d, %s: conflict without the time it was used: %+v", staffID, code, r)
								}
							default:
								t.Errorf("cashier %d, %s: %v", staffID, code, err)
							}
						}
					}()
				}
				close(start)
				wg.Wait()
				for _, code := range codes {
					want := 1
					if round > 0 {
						want = 0 // used in round 0: nobody accepts it again
					}
					if got := len(accepted[code]); got != want {
						t.Errorf("round %d: coupon %s accepted %d times (by %v), want %d", round, code, got, accepted[code], want)
					}
				}
				if round == 0 {
					first = accepted
				}
			}
			for _, code := range codes {
				r, err := s2.MarkCouponUsed(ctx, code, 1)
				if models.ErrorCode(err) != models.ECONFLICT || r.UsedBy == nil || len(first[code]) != 1 || *r.UsedBy != first[code][0] {
					t.Errorf("coupon %s: stored as %+v, accepted by %v (%v)", code, r, first[code], err)
				}
			}
		})
	}
}
