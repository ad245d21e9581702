package models_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestConsoleSettingsSaveResetAudit: values saved together are read back
// with a new version, each change is audited with before and after, a
// reset removes the value.
func TestConsoleSettingsSaveResetAudit(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		got, v0, err := s.ConsoleSettings(ctx)
		if err != nil || len(got) != 0 || v0 != "" {
			t.Fatalf("fresh: %v %q %v", got, v0, err)
		}
		actor := models.AuditEntry{StaffID: 7, Username: "boss", IP: "10.0.0.1"}
		if err := s.SaveConsoleSettings(ctx, []models.SettingChange{
			{Key: "welcome_text", Value: "欢迎来到小店", Before: "感谢关注", After: "欢迎来到小店"},
			{Key: "push_cap", Value: "3", Before: "5", After: "3"},
		}, actor); err != nil {
			t.Fatal(err)
		}
		got, v1, err := s.ConsoleSettings(ctx)
		if err != nil || got["welcome_text"] != "欢迎来到小店" || got["push_cap"] != "3" || len(got) != 2 || v1 == "" {
			t.Fatalf("after save: %v %q %v", got, v1, err)
		}
		if v, _ := s.ConsoleSettingsVersion(ctx); v != v1 {
			t.Fatalf("version %q, ConsoleSettings said %q", v, v1)
		}
		// Saving the same value again (MySQL: no row changed) still works.
		if err := s.SaveConsoleSettings(ctx, []models.SettingChange{{Key: "push_cap", Value: "3", Before: "3", After: "3"}}, actor); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveConsoleSettings(ctx, []models.SettingChange{{Key: "push_cap", Reset: true, Before: "3", After: "5"}}, actor); err != nil {
			t.Fatal(err)
		}
		got, v2, _ := s.ConsoleSettings(ctx)
		if _, ok := got["push_cap"]; ok || got["welcome_text"] != "欢迎来到小店" || v2 == v1 {
			t.Fatalf("after reset: %v (version %q, was %q)", got, v2, v1)
		}
		entries, _, err := s.ListAudit(ctx, 10, 0)
		if err != nil || len(entries) != 4 {
			t.Fatalf("audit: %d entries, %v", len(entries), err)
		}
		last := entries[0]
		var detail map[string]string
		if err := json.Unmarshal([]byte(last.Detail), &detail); err != nil {
			t.Fatalf("audit detail %q: %v", last.Detail, err)
		}
		if last.Action != "settings.reset" || last.Target != "push_cap" || last.Username != "boss" || last.IP != "10.0.0.1" ||
			detail["before"] != "3" || detail["after"] != "5" {
			t.Fatalf("reset audited as %+v %v", last, detail)
		}
	})
}
