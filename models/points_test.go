package models_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func newMember(t *testing.T, s *models.Store, openID string) *models.Member {
	t.Helper()
	_, m, _, err := s.RecordInbound(context.Background(), models.Inbound{DedupeKey: "seed:" + openID, OpenID: openID, MsgType: "text"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLedgerConcurrencyIsExact(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		m := newMember(t, s, "ledger")
		const ops = 1000
		var earned, spent, refused atomic.Int64
		var wg sync.WaitGroup
		sem := make(chan struct{}, 64)
		for i := 0; i < ops; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				key := fmt.Sprintf("op:%d", i)
				if i%5 < 3 { // 60 % earn 10
					if _, _, err := s.Earn(ctx, m.ID, 10, models.SourceRule, "test", key, nil); err != nil {
						t.Error(err)
						return
					}
					earned.Add(10)
					return
				}
				_, _, err := s.Spend(ctx, m.ID, 10, models.SourceRedemption, "test", key) // 40 % spend 10
				switch {
				case err == nil:
					spent.Add(10)
				case models.ErrorCode(err) == models.EINVALID:
					refused.Add(1)
				default:
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		bal, err := s.Balance(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := earned.Load() - spent.Load(); bal != want || bal < 0 {
			t.Fatalf("balance %d, want %d (earned %d, spent %d, refused %d)", bal, want, earned.Load(), spent.Load(), refused.Load())
		}
		hist, _ := s.PointsHistory(ctx, m.ID, 500)
		if hist[0].Balance != bal {
			t.Fatalf("last entry's balance %d != member balance %d", hist[0].Balance, bal)
		}
		t.Logf("%d ops: earned %d, spent %d, refused %d, balance %d", ops, earned.Load(), spent.Load(), refused.Load(), bal)
	})
}

func TestLedgerIdempotencyAndFloor(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		m := newMember(t, s, "idem")
		e1, dup, err := s.Earn(ctx, m.ID, 50, models.SourceSignIn, "签到", "signin:idem:2026-11-24", nil)
		if err != nil || dup {
			t.Fatal(err)
		}
		e2, dup, err := s.Earn(ctx, m.ID, 50, models.SourceSignIn, "签到", "signin:idem:2026-11-24", nil)
		if err != nil || !dup || e2.ID != e1.ID {
			t.Fatalf("repeat: %+v dup=%v %v", e2, dup, err)
		}
		if _, _, err := s.Spend(ctx, m.ID, 51, models.SourceRedemption, "gift", "r1"); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("overspend: %v", err)
		}
		if _, _, err := s.Earn(ctx, m.ID, -5, models.SourceRule, "x", "neg", nil); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("negative earn: %v", err)
		}
		if _, _, err := s.AdjustPoints(ctx, m.ID, -10, "", 1, "adj0"); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("adjustment without reason: %v", err)
		}
		if _, _, err := s.AdjustPoints(ctx, m.ID, -10, "补偿错误发放", 1, "adj1"); err != nil {
			t.Fatal(err)
		}
		if bal, _ := s.Balance(ctx, m.ID); bal != 40 {
			t.Fatalf("balance %d, want 40", bal)
		}
	})
}

func TestExpiryTakesOldestFirst(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return clock }
		m := newMember(t, s, "exp")
		jan := clock.AddDate(1, 0, 0)
		feb := clock.AddDate(1, 1, 0)
		s.Earn(ctx, m.ID, 100, models.SourceRule, "a", "lot1", &jan)
		s.Earn(ctx, m.ID, 100, models.SourceRule, "b", "lot2", &feb)
		// Spending takes from the lot that expires first.
		if _, _, err := s.Spend(ctx, m.ID, 30, models.SourceRedemption, "gift", "sp1"); err != nil {
			t.Fatal(err)
		}
		clock = jan.Add(time.Hour)
		n, err := s.ExpirePoints(ctx, 100)
		if err != nil || n != 1 {
			t.Fatalf("expire: %d %v", n, err)
		}
		if bal, _ := s.Balance(ctx, m.ID); bal != 100 {
			t.Fatalf("after first expiry balance %d, want 100 (70 of lot 1 expired)", bal)
		}
		// Running again changes nothing.
		if n, _ := s.ExpirePoints(ctx, 100); n != 0 {
			t.Fatalf("expired twice: %d", n)
		}
		clock = feb.Add(time.Hour)
		s.ExpirePoints(ctx, 100)
		if bal, _ := s.Balance(ctx, m.ID); bal != 0 {
			t.Fatalf("final balance %d, want 0", bal)
		}
	})
}
