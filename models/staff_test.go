package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestStaffLoginSessionsAndTokens(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		admin, err := s.CreateStaff(ctx, models.NewStaff{Username: "admin", Password: "secret-passage-9", Role: models.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateStaff(ctx, models.NewStaff{Username: "admin", Password: "secret-passage-9", Role: models.RoleAgent}); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("duplicate username: %v", err)
		}
		for _, bad := range []models.NewStaff{
			{Username: "x", Password: "secret-passage-9", Role: "agent"},
			{Username: "bob", Password: "short", Role: "agent"},
			{Username: "bob", Password: "secret-passage-9", Role: "boss"},
		} {
			if _, err := s.CreateStaff(ctx, bad); models.ErrorCode(err) != models.EINVALID {
				t.Errorf("%+v: err = %v, want invalid", bad, err)
			}
		}
		if _, err := s.Authenticate(ctx, "admin", "wrong-pass"); models.ErrorCode(err) != models.EUNAUTHORIZED {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := s.Authenticate(ctx, "nobody", "wrong-pass"); models.ErrorCode(err) != models.EUNAUTHORIZED {
			t.Fatalf("unknown user: %v", err)
		}
		st, err := s.Authenticate(ctx, "admin", "secret-passage-9")
		if err != nil || st.ID != admin.ID {
			t.Fatalf("login: %v", err)
		}
		cookie, _, err := s.CreateSession(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, who, err := s.SessionStaff(ctx, cookie); err != nil || who.Username != "admin" {
			t.Fatalf("session: %v", err)
		}
		// The last admin cannot be demoted or disabled.
		agent := models.RoleAgent
		if _, err := s.UpdateStaff(ctx, admin.ID, models.StaffUpdate{Role: &agent}); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("demoting last admin: %v", err)
		}
		plain, _, err := s.CreateAPIToken(ctx, admin.ID, "ci")
		if err != nil {
			t.Fatal(err)
		}
		if who, err := s.APITokenStaff(ctx, plain); err != nil || who.ID != admin.ID {
			t.Fatalf("token: %v", err)
		}
		if _, err := s.APITokenStaff(ctx, plain+"x"); models.ErrorCode(err) != models.EUNAUTHORIZED {
			t.Fatalf("bad token: %v", err)
		}
		// A password change ends sessions.
		pw := "another-passage-7"
		if _, err := s.UpdateStaff(ctx, admin.ID, models.StaffUpdate{Password: &pw}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionStaff(ctx, cookie); models.ErrorCode(err) != models.EUNAUTHORIZED {
			t.Fatalf("session survived password change: %v", err)
		}
		// Sessions expire.
		cookie, _, _ = s.CreateSession(ctx, st.ID)
		s.Now = func() time.Time { return time.Now().Add(models.SessionTTL + time.Minute) }
		if _, _, err := s.SessionStaff(ctx, cookie); models.ErrorCode(err) != models.EUNAUTHORIZED {
			t.Fatalf("expired session accepted: %v", err)
		}
		if err := s.Audit(ctx, models.AuditEntry{StaffID: st.ID, Username: "admin", Action: "staff.create", Target: "bob"}); err != nil {
			t.Fatal(err)
		}
		entries, total, err := s.ListAudit(ctx, 10, 0)
		if err != nil || total != 1 || entries[0].Action != "staff.create" {
			t.Fatalf("audit: %v %d", err, total)
		}
	})
}

// Changing a language or a name is not a change of who administers the
// console: it works even where no enabled admin exists (a database set up
// by hand, or tests), while a role change there is still refused.
func TestStaffLanguageNeedsNoAdmin(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		st, err := s.CreateStaff(ctx, models.NewStaff{Username: "alex", Password: "secret-passage-9", Role: models.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		en, name := "en", "Alex"
		if got, err := s.UpdateStaff(ctx, st.ID, models.StaffUpdate{Lang: &en, DisplayName: &name}); err != nil || got.Lang != "en" || got.DisplayName != "Alex" {
			t.Fatalf("language: %+v %v", got, err)
		}
		marketer := models.RoleMarketer
		if _, err := s.UpdateStaff(ctx, st.ID, models.StaffUpdate{Role: &marketer}); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("role change with no admin left: %v", err)
		}
	})
}

// TestLoginThrottlePurge: counters untouched for longer than every window
// go; a lock stays until an admin lifts it.
func TestLoginThrottlePurge(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clk := modelstest.NewClock(time.Now())
		s.Now = clk.Now
		st, err := s.CreateStaff(ctx, models.NewStaff{Username: "alex", Password: "secret-passage-9", Role: models.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		p := models.LoginPolicy{PairFree: 5, PairMaxWait: time.Minute, PerIP: 100, IPWindow: time.Minute, PerUser: 3, UserWindow: time.Hour}
		for i := 0; i < 3; i++ {
			if _, err := s.Login(ctx, p, models.LoginAttempt{Username: "alex", Password: "nope-nope-1", IP: "192.0.2.1"}); models.ErrorCode(err) != models.EUNAUTHORIZED {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if _, err := s.Login(ctx, p, models.LoginAttempt{Username: "alex", Password: "secret-passage-9", IP: "192.0.2.9"}); models.ErrorCode(err) != models.ERATELIMIT {
			t.Fatalf("locked account: %v", err)
		}
		clk.Add(2 * time.Hour)
		if n, err := s.PurgeLoginThrottles(ctx, p); err != nil || n != 4 {
			t.Fatalf("purged %d, %v; want both addresses and their pairs", n, err)
		}
		if locked, _ := s.LockedStaff(ctx); !locked[st.ID] {
			t.Fatal("the lock was purged")
		}
		if err := s.UnlockStaff(ctx, st.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, p, models.LoginAttempt{Username: "alex", Password: "secret-passage-9", IP: "192.0.2.9"}); err != nil {
			t.Fatalf("after unlock: %v", err)
		}
	})
}
