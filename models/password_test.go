package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestCommonPasswordRefused: the passwords an attacker tries first
// (12345678, password, keyboard walks, l33t variants, the login name) are
// refused when an account is created or its password changed; long
// passphrases are accepted, and all of a passphrase past bcrypt's 72 bytes
// counts.
func TestCommonPasswordRefused(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		refused := []struct{ user, pw, reason string }{
			{"ann", "12345678", models.PasswordTooCommon},
			{"ann", "password", models.PasswordTooCommon},
			{"ann", "Password1!", models.PasswordTooCommon},
			{"ann", "P@ssw0rd2024", models.PasswordTooCommon},
			{"ann", "qwertyuiop", models.PasswordTooCommon},
			{"ann", "iloveyou123", models.PasswordTooCommon},
			{"ann", "abc12", models.PasswordTooShort},
			{"agent7", "xx-Agent7-correct-horse", models.PasswordHasUsername},
			{"ann", strings.Repeat("a", 257), models.PasswordTooLong},
		}
		for _, tt := range refused {
			_, err := s.CreateStaff(ctx, models.NewStaff{Username: tt.user, Password: tt.pw, Role: models.RoleAgent})
			var pe *models.PasswordError
			if !errors.As(err, &pe) || pe.Reason != tt.reason || models.ErrorCode(err) != models.EINVALID {
				t.Errorf("create %s with %q: %v, want %s", tt.user, tt.pw, err, tt.reason)
			}
		}
		long := strings.Repeat("violet harbour lantern ", 10) // 230 bytes
		st, err := s.CreateStaff(ctx, models.NewStaff{Username: "ann", Password: long, Role: models.RoleAgent})
		if err != nil {
			t.Fatalf("passphrase refused: %v", err)
		}
		if _, err := s.Authenticate(ctx, "ann", long); err != nil {
			t.Fatalf("passphrase login: %v", err)
		}
		// Past 72 bytes, every byte still matters.
		if _, err := s.Authenticate(ctx, "ann", long[:len(long)-1]+"X"); models.ErrorCode(err) != models.EUNAUTHORIZED {
			t.Fatalf("passphrase with another ending accepted: %v", err)
		}
		for _, pw := range []string{"12345678", "ann-correct-horse"} {
			if _, err := s.UpdateStaff(ctx, st.ID, models.StaffUpdate{Password: &pw}); models.ErrorCode(err) != models.EINVALID {
				t.Errorf("change to %q: %v", pw, err)
			}
		}
		if _, err := s.Authenticate(ctx, "ann", long); err != nil {
			t.Fatalf("refused change altered the password: %v", err)
		}
	})
}
