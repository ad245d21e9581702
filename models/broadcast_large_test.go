package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// openIDList makes n openids of 28 characters, as WeChat's are.
func openIDList(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("oLarge%022d", i)
	}
	return out
}

// TestLargeOpenIDListOnMariaDB: a broadcast to a ~1 MB openid list (36,000
// openids) is saved and read back whole; a list over 8 MB is refused as
// invalid with the limit in words, and nothing is saved. On MariaDB the
// column was TEXT (64 KiB) and the 1 MB list failed with an internal error.
// Migration 22 gives a database from before it the MEDIUMTEXT column.
func TestLargeOpenIDListOnMariaDB(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		pol := models.BroadcastPolicy{Loc: time.UTC, AccountType: models.AccountService}
		save := func(ids []string) (*models.Broadcast, error) {
			return s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "大名单", Kind: "text", Text: "x", Audience: models.AudienceOpenIDs,
				OpenIDs: ids, Channel: models.BroadcastDirect}, 1, pol)
		}
		ids := openIDList(36000) // 29 bytes each stored: ~1 MB
		b, err := save(ids)
		if err != nil {
			t.Fatalf("a 1 MB list: %v", err)
		}
		got, err := s.FindBroadcast(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if list := got.OpenIDList(); len(list) != len(ids) || list[len(list)-1] != ids[len(ids)-1] {
			t.Fatalf("read back %d openids, want %d", len(list), len(ids))
		}
		before, _ := s.ListBroadcasts(ctx, 100)
		_, err = save(openIDList(models.MaxOpenIDList/29 + 1))
		if models.ErrorCode(err) != models.EINVALID || err != models.ErrOpenIDListTooLarge {
			t.Fatalf("a list over 8 MB: %v", err)
		}
		if after, _ := s.ListBroadcasts(ctx, 100); len(after) != len(before) {
			t.Fatalf("the refused list was saved: %d broadcasts, before %d", len(after), len(before))
		}
	})
	t.Run("migration 22", func(t *testing.T) {
		driver, dsn := modelstest.DSN(t, "mysql") // skips without MariaDB
		ctx := context.Background()
		s, err := models.Open(ctx, driver, dsn, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if typ, err := models.OpenIDListColumnType(s); err != nil || typ != "mediumtext" {
			t.Fatalf("fresh database: open_ids is %q (%v), want mediumtext", typ, err)
		}
		if err := models.UndoOpenIDListColumn(s); err != nil {
			t.Fatal(err)
		}
		pol := models.BroadcastPolicy{Loc: time.UTC, AccountType: models.AccountService}
		in := models.BroadcastInput{Name: "大名单", Kind: "text", Text: "x", Audience: models.AudienceOpenIDs,
			OpenIDs: openIDList(36000), Channel: models.BroadcastDirect}
		if _, err := s.SaveBroadcast(ctx, 0, in, 1, pol); models.ErrorCode(err) != models.EINTERNAL {
			t.Fatalf("a 1 MB list in the old TEXT column: %v; the test no longer shows the fault", err)
		}
		s.Close()
		if s, err = models.Open(ctx, driver, dsn, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if typ, err := models.OpenIDListColumnType(s); err != nil || typ != "mediumtext" {
			t.Fatalf("after migration 22: open_ids is %q (%v), want mediumtext", typ, err)
		}
		if _, err := s.SaveBroadcast(ctx, 0, in, 1, pol); err != nil {
			t.Fatalf("a 1 MB list after migration 22: %v", err)
		}
	})
}
