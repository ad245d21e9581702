package models_test

import (
	"context"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestDeleteBroadcastKeepsReports: drafts and cancelled broadcasts that
// never ran can be deleted; a scheduled one or one that ran cannot (its
// report stays); a copy is a fresh draft with the same content.
func TestDeleteBroadcastKeepsReports(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		in := models.BroadcastInput{Name: "周报", Kind: models.BroadcastText, Text: "本周新品", Audience: models.AudienceAll}
		b, err := s.SaveBroadcast(ctx, 0, in, 1, models.BroadcastPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		cp, err := s.CopyBroadcast(ctx, b.ID, "周报（副本）", 2)
		if err != nil || cp.State != models.BroadcastDraft || cp.Content != b.Content || cp.Name != "周报（副本）" || cp.StaffID != 2 || cp.ID == b.ID {
			t.Fatalf("copy: %+v %v", cp, err)
		}
		if err := s.SetBroadcastStateForTest(ctx, cp.ID, models.BroadcastCancelled, 1); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBroadcast(ctx, cp.ID); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("deleting a broadcast that ran: %v", err)
		}
		if err := s.SetBroadcastStateForTest(ctx, cp.ID, models.BroadcastScheduled, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteBroadcast(ctx, cp.ID); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("deleting a scheduled broadcast: %v", err)
		}
		if err := s.DeleteBroadcast(ctx, b.ID); err != nil {
			t.Fatalf("deleting a draft: %v", err)
		}
		if _, err := s.FindBroadcast(ctx, b.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("the draft is still there: %v", err)
		}
	})
}
