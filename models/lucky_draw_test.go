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

func luckyMember(t *testing.T, s *models.Store, openID string) *models.Member {
	t.Helper()
	_, m, _, err := s.RecordInbound(context.Background(), models.Inbound{DedupeKey: "ld-" + openID, OpenID: openID,
		MsgType: "event", Event: "subscribe", Subscribe: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLuckyDrawEntryOnceAndPaidOnce: 8 entries by one fan at the same moment
// on two stores (two processes) make one entry and spend the cost once;
// entries outside the window, or without the points, are refused and cost
// nothing.
func TestLuckyDrawEntryOnceAndPaidOnce(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2 := modelstest.MustOpenShared(t, driver)
			ctx := context.Background()
			now := time.Now().UTC()
			d, err := s1.CreateLuckyDraw(ctx, models.LuckyDraw{Title: "周年抽奖", Prize: "咖啡一杯", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour), Cost: 5, Winners: 1})
			if err != nil {
				t.Fatal(err)
			}
			m := luckyMember(t, s1, "oLuckyOne")
			if _, _, err := s1.Earn(ctx, m.ID, 12, models.SourceStaff, "seed", "ld-seed", nil); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			firsts, ids := 0, map[uint64]bool{}
			start := make(chan struct{})
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					e, again, err := []*models.Store{s1, s2}[i%2].EnterLuckyDraw(ctx, d.ID, m.ID)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					ids[e.ID] = true
					if !again {
						firsts++
					}
				}()
			}
			close(start)
			wg.Wait()
			if firsts != 1 || len(ids) != 1 {
				t.Fatalf("8 concurrent entries: %d first entries, %d entry rows; want 1 and 1", firsts, len(ids))
			}
			if n, _ := s1.LuckyDrawEntryCount(ctx, d.ID); n != 1 {
				t.Fatalf("entries = %d, want 1", n)
			}
			if bal, _ := s1.Balance(ctx, m.ID); bal != 7 {
				t.Fatalf("balance = %d, want 12-5 = 7 (the cost spent once)", bal)
			}

			poor := luckyMember(t, s1, "oLuckyPoor")
			if _, _, err := s1.EnterLuckyDraw(ctx, d.ID, poor.ID); models.ErrorMessage(err) != models.LuckyDrawNoPoints {
				t.Fatalf("entry without points: %v, want %q", err, models.LuckyDrawNoPoints)
			}
			later, err := s1.CreateLuckyDraw(ctx, models.LuckyDraw{Title: "下周抽奖", Prize: "杯子", StartsAt: now.Add(time.Hour), EndsAt: now.Add(2 * time.Hour), Winners: 1})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s1.EnterLuckyDraw(ctx, later.ID, m.ID); models.ErrorMessage(err) != models.LuckyDrawNotStarted {
				t.Fatalf("entry before the window: %v", err)
			}
			if _, err := s1.CreateLuckyDraw(ctx, models.LuckyDraw{Title: "坏", Prize: "x", StartsAt: now, EndsAt: now, Winners: 1}); models.ErrorCode(err) != models.EINVALID {
				t.Fatalf("empty window accepted: %v", err)
			}
			if bal, _ := s1.Balance(ctx, m.ID); bal != 7 {
				t.Fatalf("refused entries changed the balance: %d", bal)
			}
		})
	}
}

// TestLuckyDrawDrawsOnceAmongEntrants: two processes draw at the same
// moment; one draw is recorded, its winners are entrants only, the
// recorded seed replays them, and entries after the draw are refused.
func TestLuckyDrawDrawsOnceAmongEntrants(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2 := modelstest.MustOpenShared(t, driver)
			ctx := context.Background()
			now := time.Now().UTC()
			d, err := s1.CreateLuckyDraw(ctx, models.LuckyDraw{Title: "春季抽奖", Prize: "雨伞", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour), Winners: 2})
			if err != nil {
				t.Fatal(err)
			}
			entrants := map[uint64]bool{}
			for i := range 5 {
				m := luckyMember(t, s1, fmt.Sprintf("oLuckyE%d", i))
				if _, _, err := s1.EnterLuckyDraw(ctx, d.ID, m.ID); err != nil {
					t.Fatal(err)
				}
				entrants[m.ID] = true
			}
			outsider := luckyMember(t, s1, "oLuckyOutsider")
			var wg sync.WaitGroup
			results := make([]error, 4)
			recs := make([]*models.Draw, 4)
			start := make(chan struct{})
			for i := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, recs[i], results[i] = []*models.Store{s1, s2}[i%2].DrawLuckyDraw(ctx, d.ID, 1)
				}()
			}
			close(start)
			wg.Wait()
			var rec *models.Draw
			for i, err := range results {
				switch {
				case err == nil && rec == nil:
					rec = recs[i]
				case err == nil:
					t.Fatal("drawn twice")
				case models.ErrorCode(err) != models.ECONFLICT:
					t.Fatalf("second draw: %v, want ECONFLICT", err)
				}
			}
			if rec == nil {
				t.Fatal("no draw succeeded")
			}
			if draws, _ := s1.ListDraws(ctx, 10); len(draws) != 1 {
				t.Fatalf("%d draws recorded, want 1", len(draws))
			}
			winners, _ := rec.WinnerIDs()
			if len(winners) != 2 {
				t.Fatalf("winners = %v, want 2", winners)
			}
			for _, w := range winners {
				if !entrants[w] {
					t.Fatalf("winner %d did not enter", w)
				}
			}
			if _, same, err := rec.Replay(); err != nil || !same {
				t.Fatalf("replay: same=%v err=%v", same, err)
			}
			if _, _, err := s1.EnterLuckyDraw(ctx, d.ID, outsider.ID); models.ErrorMessage(err) != models.LuckyDrawClosed {
				t.Fatalf("entry after the draw: %v", err)
			}
			mine, err := s1.LuckyDrawsFor(ctx, winners[0], 10)
			if err != nil || len(mine) != 1 || !mine[0].Entered || !mine[0].Won {
				t.Fatalf("winner's view: %+v %v", mine, err)
			}
			theirs, _ := s1.LuckyDrawsFor(ctx, outsider.ID, 10)
			if len(theirs) != 1 || theirs[0].Entered || theirs[0].Won {
				t.Fatalf("outsider's view: %+v", theirs)
			}
		})
	}
}
