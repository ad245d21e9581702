package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestFanOAuthStateOnceInItsBrowser: a state works once, in the browser
// that started it, within FanOAuthStateLife; of many concurrent returns
// with one state exactly one gets through. Sessions end after
// FanSessionLife and are then purged.
func TestFanOAuthStateOnceInItsBrowser(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clk := modelstest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		s.Now = clk.Now
		if _, err := s.CreateFanOAuthState(ctx, "n", "snsapi_login", "/fan/me"); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("unknown scope: %v", err)
		}
		st, err := s.CreateFanOAuthState(ctx, "nonce-1", models.ScopeBase, "/fan/me")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ConsumeFanOAuthState(ctx, st, "nonce-2"); !errors.Is(err, models.ErrFanStateBrowser) {
			t.Fatalf("another browser: %v", err)
		}
		if _, err := s.ConsumeFanOAuthState(ctx, "made-up", "nonce-1"); !errors.Is(err, models.ErrFanStateUnknown) {
			t.Fatalf("made up: %v", err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, used := 0, 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				row, err := s.ConsumeFanOAuthState(ctx, st, "nonce-1")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && row.Scope == models.ScopeBase && row.Next == "/fan/me":
					won++
				case errors.Is(err, models.ErrFanStateUsed):
					used++
				default:
					t.Errorf("concurrent return: %+v %v", row, err)
				}
			}()
		}
		wg.Wait()
		if won != 1 || used != 7 {
			t.Fatalf("won %d, refused as used %d", won, used)
		}

		late, err := s.CreateFanOAuthState(ctx, "nonce-3", models.ScopeUserInfo, "/fan/me")
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(models.FanOAuthStateLife)
		if _, err := s.ConsumeFanOAuthState(ctx, late, "nonce-3"); !errors.Is(err, models.ErrFanStateExpired) {
			t.Fatalf("expired: %v", err)
		}

		m, err := s.FindMemberByOpenID(ctx, "nobody")
		if models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("member lookup: %+v %v", m, err)
		}
		_, member, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "fan-sess", OpenID: "o_sess", MsgType: "text"})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.CreateFanSession(ctx, member.ID, models.ScopeUserInfo, "微信用户0001", "")
		if err != nil {
			t.Fatal(err)
		}
		if sess, got, err := s.FanSessionMember(ctx, tok); err != nil || got.ID != member.ID || sess.Nickname != "微信用户0001" {
			t.Fatalf("session: %+v %+v %v", sess, got, err)
		}
		clk.Add(models.FanSessionLife)
		if _, _, err := s.FanSessionMember(ctx, tok); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("ended session: %v", err)
		}
		clk.Add(time.Second)
		if err := s.DeleteExpiredFanRows(ctx); err != nil {
			t.Fatal(err)
		}
		counts, err := s.RowCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := counts["fan_sessions"]; !ok || n != 0 || counts["fan_oauth_states"] != 0 {
			t.Fatalf("left after the purge: %v", counts)
		}
	})
}
