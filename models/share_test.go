package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestShareOpensAtOnceKeepTheCap: twelve friends open a sharer's link at
// the same moment, each twice; with a cap of 3 a day exactly three are
// paid, every friend is recorded once with two opens, and a bad link or
// opener is refused in words without storing anything.
func TestShareOpensAtOnceKeepTheCap(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		sharer := newMember(t, s, "o_cap_sharer")
		link := &models.ShareLink{Title: "并发", TargetURL: "https://example.com/a"}
		if err := s.CreateShareLink(ctx, link); err != nil {
			t.Fatal(err)
		}
		bad := &models.ShareLink{Title: "坏链接", TargetURL: "ftp://example.com/a"}
		if err := s.CreateShareLink(ctx, bad); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("an ftp address: %v", err)
		}
		if _, err := s.RecordShareOpen(ctx, models.ShareOpenInput{LinkID: link.ID, ViaID: sharer.ID}); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("an open without an opener: %v", err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		paid := 0
		for i := range 12 {
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := s.RecordShareOpen(ctx, models.ShareOpenInput{LinkID: link.ID, ViaID: sharer.ID,
						OpenID: fmt.Sprintf("o_cap_friend_%d", i), Points: 5, DailyCap: 3, DayStart: time.Now().Add(-time.Hour),
						Reason: models.SystemReason(models.ReasonSharePoints, link.Title)})
					if err != nil {
						t.Errorf("open: %v", err)
						return
					}
					if res.Paid > 0 {
						mu.Lock()
						paid++
						mu.Unlock()
					}
				}()
			}
		}
		wg.Wait()
		bal, err := s.Balance(ctx, sharer.ID)
		if err != nil || paid != 3 || bal != 15 {
			t.Fatalf("paid %d times, balance %d (%v), want 3 and 15", paid, bal, err)
		}
		st, err := s.ShareLinkReport(ctx, link.ID)
		if err != nil || st.Openers != 12 || st.PointsPaid != 15 {
			t.Fatalf("report: %+v %v", st, err)
		}
		// The sharer's row lock orders the opens: every click is counted.
		if st.Opens != 24 {
			t.Fatalf("opens %d, want 24", st.Opens)
		}
	})
}
