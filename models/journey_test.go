package models_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestParseAndFormatAfter(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "": 0, "3d": 4320, "3": 4320, "12h": 720, "90m": 90, "1d12h": 2160, "1d 2h 3m": 1563} {
		got, err := models.ParseAfter(in)
		if err != nil || got != want {
			t.Errorf("ParseAfter(%q) = %d, %v; want %d", in, got, err, want)
		}
		if back, _ := models.ParseAfter(models.FormatAfter(got)); back != got {
			t.Errorf("FormatAfter(%d) = %q does not read back", got, models.FormatAfter(got))
		}
	}
	for _, bad := range []string{"3x", "d", "-1d", "1.5d", "366d", "3d and more"} {
		if _, err := models.ParseAfter(bad); models.ErrorCode(err) != models.EINVALID {
			t.Errorf("ParseAfter(%q): %v, want invalid", bad, err)
		}
	}
}

func TestJourneyValidationAndSave(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		step := []models.NewStep{{After: "0", Reply: models.TextReply("hi")}}
		ok := models.NewJourney{Name: "ok", Trigger: models.TriggerFollowed, Steps: step}
		bad := map[string]models.NewJourney{
			"name":          {Trigger: models.TriggerFollowed, Steps: step},
			"trigger":       {Name: "x", Trigger: "moon", Steps: step},
			"tag":           {Name: "x", Trigger: models.TriggerTagged, Steps: step},
			"stage":         {Name: "x", Trigger: models.TriggerStage, TriggerVal: "royal", Steps: step},
			"inactive days": {Name: "x", Trigger: models.TriggerInactive, TriggerVal: "0", Steps: step},
			"event":         {Name: "x", Trigger: models.TriggerEvent, TriggerVal: "no spaces please", Steps: step},
			"birthday":      {Name: "x", Trigger: models.TriggerBirthday, TriggerVal: "x", Steps: step},
			"goal":          {Name: "x", Trigger: models.TriggerFollowed, Goal: "fame", Steps: step},
			"gift":          {Name: "x", Trigger: models.TriggerFollowed, Goal: models.GoalRedeemed, GoalVal: "abc", Steps: step},
			"no such gift":  {Name: "x", Trigger: models.TriggerRedeemed, TriggerVal: "42", Steps: step},
			"re-entry":      {Name: "x", Trigger: models.TriggerFollowed, ReEntry: "always", Steps: step},
			"no steps":      {Name: "x", Trigger: models.TriggerFollowed},
			"empty text":    {Name: "x", Trigger: models.TriggerFollowed, Steps: []models.NewStep{{After: "0", Reply: models.TextReply(" ")}}},
			"order": {Name: "x", Trigger: models.TriggerFollowed, Steps: []models.NewStep{
				{After: "3d", Reply: models.TextReply("a")}, {After: "1d", Reply: models.TextReply("b")}}},
			"condition": {Name: "x", Trigger: models.TriggerFollowed, Steps: []models.NewStep{
				{After: "0", Reply: models.TextReply("a"), Condition: &models.SegmentFilter{Stages: []string{"royal"}}}}},
			"template data": {Name: "x", Trigger: models.TriggerFollowed, Steps: []models.NewStep{
				{After: "0", Reply: models.TextReply("a"), TemplateData: map[string]string{"thing1": "x"}}}},
		}
		for name, n := range bad {
			if _, err := s.SaveJourney(ctx, 0, n); models.ErrorCode(err) != models.EINVALID {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		if js, _ := s.ListJourneys(ctx, false); len(js) != 0 {
			t.Fatalf("a refused journey was stored: %+v", js)
		}
		j, err := s.SaveJourney(ctx, 0, ok)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveJourney(ctx, 0, ok); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("duplicate name: %v", err)
		}
		ok.Paused, ok.Steps = true, append(step, models.NewStep{After: "2d", Reply: models.TextReply("later"),
			Condition: &models.SegmentFilter{TagsAny: []string{"vip"}}, TemplateID: "TPL", TemplateData: map[string]string{"thing1": "later"}})
		if _, err := s.SaveJourney(ctx, j.ID, ok); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindJourney(ctx, j.ID)
		if err != nil || got.State != models.JourneyPaused || len(got.Steps) != 2 || got.Steps[1].AfterMinutes != 2880 ||
			got.Steps[1].Filter() == nil || got.Steps[1].TemplateFields()["thing1"] != "later" || got.Steps[1].Reply().Text != "later" {
			t.Fatalf("saved journey: %+v %v", got, err)
		}
		if active, _ := s.ListJourneys(ctx, true); len(active) != 0 {
			t.Fatalf("a paused journey is listed as active")
		}
		if err := s.DeleteJourney(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindJourney(ctx, j.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("deleted journey: %v", err)
		}
		if err := s.DeleteJourney(ctx, j.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

func TestInterestValidationAndVersion(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		v0, _ := s.CareVersion(ctx)
		for name, n := range map[string]models.NewInterest{
			"name":     {Keywords: []string{"4S店"}},
			"keywords": {Name: "汽车", Keywords: []string{" ", ""}},
			"long":     {Name: "汽车", Keywords: []string{strings.Repeat("车", 30)}},
			"tag":      {Name: "汽车", Keywords: []string{"4S店"}, Tag: strings.Repeat("t", 31)},
		} {
			if _, err := s.SaveInterest(ctx, 0, n); models.ErrorCode(err) != models.EINVALID {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		in, err := s.SaveInterest(ctx, 0, models.NewInterest{Name: "汽车", Keywords: []string{"4S店", "保养", "4S店"}})
		if err != nil || in.Tag != "汽车" || len(in.Words()) != 2 {
			t.Fatalf("interest: %+v %v", in, err)
		}
		if v1, _ := s.CareVersion(ctx); v1 == v0 {
			t.Fatal("saving an interest did not change the care version")
		}
		if _, err := s.SaveInterest(ctx, 999, models.NewInterest{Name: "x", Keywords: []string{"y"}}); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("update missing: %v", err)
		}
		if err := s.DeleteInterest(ctx, in.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.ListInterests(ctx); len(list) != 0 {
			t.Fatalf("after delete: %+v", list)
		}
	})
}
