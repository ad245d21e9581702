package models_test

import (
	"context"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestMenuDraftAndPublishedRoundTrip(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if m, err := s.MenuDraft(ctx); err != nil || len(m.Buttons) != 0 {
			t.Fatalf("empty draft: %+v %v", m, err)
		}
		m := models.Menu{Buttons: []models.MenuButton{{Type: "click", Name: "签到", Key: "SIGN_IN"}}}
		if err := s.SaveMenuDraft(ctx, m); err != nil {
			t.Fatal(err)
		}
		m.Buttons[0].Name = "每日签到"
		if err := s.SaveMenuDraft(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveMenuDraft(ctx, models.Menu{}); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("empty menu saved: %v", err)
		}
		got, _ := s.MenuDraft(ctx)
		if len(got.Buttons) != 1 || got.Buttons[0].Name != "每日签到" {
			t.Fatalf("draft: %+v", got)
		}
		if err := s.MarkMenuPublished(ctx, got); err != nil {
			t.Fatal(err)
		}
		pub, at, err := s.PublishedMenu(ctx)
		if err != nil || at.IsZero() || pub.Buttons[0].Key != "SIGN_IN" {
			t.Fatalf("published: %+v %v %v", pub, at, err)
		}
	})
}
