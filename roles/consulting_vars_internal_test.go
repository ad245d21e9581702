package roles

import (
	"context"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/replytemplate"
)

// TestVarsLazyAndOnce: a template that does not use {{.Name}} or {{.Points}}
// renders without touching the database (here closed, so any query would
// fail); one that uses them reads each once per message: after the first
// rendering the Vars of the message answer from memory even with the
// database gone, for the same and for another reply template.
func TestVarsLazyAndOnce(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if err := s.UpsertFollowers(ctx, []models.Follower{{OpenID: "o_lazy", Subscribed: true}}); err != nil {
			t.Fatal(err)
		}
		m, err := s.FindMemberByOpenID(ctx, "o_lazy")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveProfile(ctx, m.ID, models.ProfileInput{Name: "李四", Consent: true}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Earn(ctx, m.ID, 7, "test", "测试", "lazy", nil); err != nil {
			t.Fatal(err)
		}
		parse := func(text string) *replytemplate.Template {
			t.Helper()
			tpl, err := replytemplate.Parse(text, ruleVars)
			if err != nil {
				t.Fatal(err)
			}
			return tpl
		}
		both, other := parse("{{.Name}} {{.Points}}"), parse("{{.Points}}分，{{.Name}}")
		plain := parse("{{.OpenID}} {{.Stage}}")

		vars := models.NewFanVars(ctx, s, m)
		if got, err := both.Execute(vars, maxRendered); err != nil || got != "李四 7" {
			t.Fatalf("first rendering: %q, %v", got, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		// The database is gone: a fresh Vars that needs it fails (so the
		// checks below would notice a query) ...
		if _, err := both.Execute(models.NewFanVars(ctx, s, m), maxRendered); err == nil {
			t.Fatal("a query on the closed store did not fail: the test proves nothing")
		}
		// ... one that does not need it renders ...
		if got, err := plain.Execute(models.NewFanVars(ctx, s, m), maxRendered); err != nil || got != "o_lazy "+m.Stage {
			t.Fatalf("template without Name/Points: %q, %v", got, err)
		}
		// ... and the message's Vars answer from what they looked up.
		for _, tpl := range []*replytemplate.Template{both, other} {
			if _, err := tpl.Execute(vars, maxRendered); err != nil {
				t.Fatalf("second lookup in the same message: %v", err)
			}
		}
		if got, _ := other.Execute(vars, maxRendered); got != "7分，李四" {
			t.Fatalf("other reply: %q", got)
		}
	})
}
