package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/fivec/fivec/models/modelstest"
)

func TestSharedTokenRefreshLock(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2, clk := modelstest.MustOpenSharedWithClock(t, driver, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
			ctx := context.Background()
			tok, err := s1.SharedToken(ctx, "wx1")
			if err != nil || tok.Token != "" {
				t.Fatalf("before the first fetch: %+v %v", tok, err)
			}
			// a takes the lock; b cannot while it is held.
			if ok, err := s1.TakeTokenRefresh(ctx, "wx1", "", "a", 15*time.Second); !ok || err != nil {
				t.Fatalf("a: %v %v", ok, err)
			}
			if ok, _ := s2.TakeTokenRefresh(ctx, "wx1", "", "b", 15*time.Second); ok {
				t.Fatal("b took a held lock")
			}
			// a dies before storing; after the lock lapses b takes it.
			clk.Add(16 * time.Second)
			if ok, _ := s2.TakeTokenRefresh(ctx, "wx1", "", "b", 15*time.Second); !ok {
				t.Fatal("b could not take a lapsed lock")
			}
			if ok, _ := s1.StoreSharedToken(ctx, "wx1", "a", "LATE", clk.Now().Add(time.Hour)); ok {
				t.Fatal("a stored a token after losing the lock")
			}
			if ok, err := s2.StoreSharedToken(ctx, "wx1", "b", "T1", clk.Now().Add(time.Hour)); !ok || err != nil {
				t.Fatalf("b store: %v %v", ok, err)
			}
			// A process that saw the empty token asks too late: T1 is there.
			if ok, _ := s1.TakeTokenRefresh(ctx, "wx1", "", "a", 15*time.Second); ok {
				t.Fatal("a took the lock to replace a token it never saw")
			}
			// Expiring an older token changes nothing; expiring T1 does.
			if err := s1.ExpireSharedToken(ctx, "wx1", "T0"); err != nil {
				t.Fatal(err)
			}
			if tok, _ := s1.SharedToken(ctx, "wx1"); tok.Token != "T1" || !tok.ExpiresAt.After(clk.Now()) {
				t.Fatalf("after expiring another token: %+v", tok)
			}
			if err := s2.ExpireSharedToken(ctx, "wx1", "T1"); err != nil {
				t.Fatal(err)
			}
			if tok, _ := s1.SharedToken(ctx, "wx1"); tok.ExpiresAt.After(clk.Now()) {
				t.Fatalf("T1 still usable: %+v", tok)
			}
			if ok, _ := s1.TakeTokenRefresh(ctx, "wx1", "T1", "a", 15*time.Second); !ok {
				t.Fatal("no lock to replace the refused token")
			}
			if err := s1.ReleaseTokenRefresh(ctx, "wx1", "a"); err != nil {
				t.Fatal(err)
			}
			if ok, _ := s2.TakeTokenRefresh(ctx, "wx1", "T1", "b", 15*time.Second); !ok {
				t.Fatal("lock not released after a failed fetch")
			}
		})
	}
}
