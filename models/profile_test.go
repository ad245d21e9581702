package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
)

// TestProfileTokensMigration: migration 23 moves the plain-text profile
// tokens of members into profile_tokens as SHA-256 hashes: links fans
// already have keep working (exactly as sent: a case variant does not),
// for DefaultProfileLinkLife from the upgrade, and the plain-text column
// is gone.
func TestProfileTokensMigration(t *testing.T) {
	member := map[string]uint64{}               // by driver, set when the old schema is planted
	const oldToken = "AbCdEfGhIjKlMnOpQrStUvWx" // as RandomToken(18) made them
	testMigration(t, 23, func(s *models.Store) error {
		table, plain := models.ProfileTokenShape(s)
		if !table || plain {
			return fmt.Errorf("profile_tokens table %v, members.profile_token %v", table, plain)
		}
		if member[s.Driver()] == 0 {
			return nil // the fresh database
		}
		ctx := context.Background()
		m, err := s.MemberByProfileToken(ctx, oldToken)
		if err != nil || m.ID != member[s.Driver()] {
			return fmt.Errorf("the link issued before the upgrade: %v %v", m, err)
		}
		if _, err := s.MemberByProfileToken(ctx, strings.ToLower(oldToken)); models.ErrorCode(err) != models.ENOTFOUND {
			return fmt.Errorf("a case variant of the old link: %v", err)
		}
		s.Now = func() time.Time { return time.Now().Add(models.DefaultProfileLinkLife + time.Minute) }
		defer func() { s.Now = time.Now }()
		if _, err := s.MemberByProfileToken(ctx, oldToken); err != models.ErrProfileLinkExpired {
			return fmt.Errorf("the old link after its life: %v", err)
		}
		return nil
	}, func(s *models.Store) error {
		_, m, _, err := s.RecordInbound(context.Background(), models.Inbound{DedupeKey: "mig23", OpenID: "o_mig23", MsgType: "text"})
		if err != nil {
			return err
		}
		member[s.Driver()] = m.ID
		return models.UndoProfileTokens(s, map[uint64]string{m.ID: oldToken})
	})
}
