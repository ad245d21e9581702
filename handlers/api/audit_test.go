package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestAuditSurvivesClientDisconnect: the client hangs up the moment its
// change commits (the request's context is cancelled from the store's
// AfterCommit hook). The change stays, and so does its audit entry: a rules
// import that replaced every rule, and a coupon accepted, each leave their
// row in the audit log. Before, the audit write (and the reads after the
// change) failed with "context canceled" and nothing was audited.
func TestAuditSurvivesClientDisconnect(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		e, _ := rulesEnv(t, s)
		mia := e.token("mia", "marketer")
		_, m, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "aud1", OpenID: "oAudit", MsgType: "event", Event: "subscribe", Subscribe: true})
		if err != nil {
			t.Fatal(err)
		}
		g, err := s.SaveGift(ctx, models.Gift{Name: "咖啡券", Kind: models.GiftCoupon, Cost: 1, Stock: 5, ValidDays: 7, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		coupon, err := s.GrantGift(ctx, m.ID, g.ID, "aud")
		if err != nil {
			t.Fatal(err)
		}
		var rules strings.Builder
		rules.WriteString("rules:\n")
		for i := range 200 {
			fmt.Fprintf(&rules, "  - name: 规则%d\n    kind: keyword\n    keywords:\n      - text: 关键词%d\n        match: exact\n    replies:\n      - kind: text\n        text: 回答%d\n", i, i, i)
		}
		for _, tc := range []struct {
			name, path, body, action string
			done                     func() bool
		}{
			{"rules import", "/api/v1/rules/import", rules.String(), "rules.import", func() bool { return countRules(t, s) == 200 }},
			{"coupon", "/api/v1/coupons/use", `{"code":"` + coupon.Code + `"}`, "coupon.use", func() bool {
				r, err := s.MarkCouponUsed(ctx, coupon.Code, 1)
				return models.ErrorCode(err) == models.ECONFLICT && r.UsedAt != nil
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				reqCtx, hangUp := context.WithCancel(ctx)
				defer hangUp()
				var once sync.Once
				cancelled := false
				s.AfterCommit = func(context.Context) { once.Do(func() { hangUp(); cancelled = true }) }
				defer func() { s.AfterCommit = nil }()
				req := httptest.NewRequest("POST", tc.path, strings.NewReader(tc.body)).WithContext(reqCtx)
				req.RemoteAddr = "192.0.2.20:5555"
				req.Header.Set("Authorization", "Bearer "+mia)
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				e.router.ServeHTTP(w, req)
				if !cancelled {
					t.Fatal("the client never hung up: no transaction committed")
				}
				if !tc.done() {
					t.Fatalf("the change did not happen (%d %s)", w.Code, w.Body)
				}
				entries, _, err := s.ListAudit(ctx, 50, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, en := range entries {
					if en.Action == tc.action && en.Username == "mia" {
						return
					}
				}
				t.Fatalf("the change committed but no %s audit entry (answer %d %s)", tc.action, w.Code, w.Body)
			})
		}
	})
}
