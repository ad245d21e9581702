package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestBroadcastVariablesPerChannel: a mass send cannot carry variables
// (refused at save, naming the variable and what to do, nothing saved); a
// direct one can, with the same variables as rule replies, and refuses an
// unknown variable or an unsafe template by name.
func TestBroadcastVariablesPerChannel(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		pol := models.BroadcastPolicy{Loc: shanghai, AccountType: models.AccountService}
		refused := []struct {
			in   models.BroadcastInput
			want []string
		}{
			{models.BroadcastInput{Name: "全部", Kind: "text", Text: "{{.Name}}您好", Audience: "all"}, []string{models.ErrMassVariables, "{{.Name}}", "直发"}},
			{models.BroadcastInput{Name: "标签", Kind: "text", Text: "您有 {{.Points}} 积分", Audience: "tag", AudienceRef: "vip", Channel: "mass"}, []string{models.ErrMassVariables, "{{.Points}}"}},
			{models.BroadcastInput{Name: "名单", Kind: "text", Text: "{{if .Name}}hi{{end}}", Audience: "openids", OpenIDs: []string{"a"}}, []string{models.ErrMassVariables, "{{if .Name}}"}},
			{models.BroadcastInput{Name: "未知", Kind: "text", Text: "{{.Nickname}}您好", Audience: "all", Channel: "direct"}, []string{"{{.Nickname}}", "{{.Name}}"}},
			{models.BroadcastInput{Name: "循环", Kind: "text", Text: "{{range .Name}}x{{end}}", Audience: "stage", AudienceRef: "new"}, []string{"range"}},
			{models.BroadcastInput{Name: "模板", Kind: "template", TemplateID: "T", TemplateData: map[string]string{"thing1": "{{.Foo}}"}, Audience: "all"}, []string{"模板字段 thing1", "{{.Foo}}"}},
		}
		for _, tc := range refused {
			_, err := s.SaveBroadcast(ctx, 0, tc.in, 1, pol)
			if models.ErrorCode(err) != models.EINVALID {
				t.Fatalf("%s: %v, want refused", tc.in.Name, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(models.ErrorMessage(err), w) {
					t.Errorf("%s: %q does not say %q", tc.in.Name, models.ErrorMessage(err), w)
				}
			}
		}
		if list, _ := s.ListBroadcasts(ctx, 10); len(list) != 0 {
			t.Fatalf("refused broadcasts were saved: %+v", list)
		}
		// Editing a saved mass draft to add a variable is refused too and
		// leaves the draft as it was.
		b, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "周报", Kind: "text", Text: "本周新品", Audience: "all"}, 1, pol)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveBroadcast(ctx, b.ID, models.BroadcastInput{Name: "周报", Kind: "text", Text: "{{.Name}}，本周新品", Audience: "all"}, 1, pol); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("edit to add a variable: %v", err)
		}
		if got, _ := s.FindBroadcast(ctx, b.ID); !strings.Contains(got.Content, "本周新品") || strings.Contains(got.Content, "{{") {
			t.Fatalf("the refused edit changed the draft: %s", got.Content)
		}
		// Per-fan channels take the variables.
		for _, in := range []models.BroadcastInput{
			{Name: "直发", Kind: "text", Text: "{{.Name}}您好，您有 {{.Points}} 积分", Audience: "all", Channel: "direct"},
			{Name: "阶段", Kind: "text", Text: `{{if gt .Points 100}}{{.Name}}，感谢支持{{end}}`, Audience: "stage", AudienceRef: "new"},
			{Name: "模板变量", Kind: "template", TemplateID: "T", TemplateData: map[string]string{"thing1": "{{.Name}}的积分"}, Audience: "all"},
		} {
			if _, err := s.SaveBroadcast(ctx, 0, in, 1, pol); err != nil {
				t.Errorf("%s: %v", in.Name, err)
			}
		}
	})
}

// TestOldMassBroadcastWithVariablesNeverSends: a mass broadcast stored with
// {{.Name}} before the check cannot be scheduled or previewed, and one
// already scheduled goes back to draft at its time instead of running.
func TestOldMassBroadcastWithVariablesNeverSends(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := clock(s, time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
		pol := models.BroadcastPolicy{Loc: shanghai, AccountType: models.AccountService}
		admin := &models.Staff{ID: 1, Role: models.RoleAdmin}
		bcMembers(t, s, "ov", 2)
		b, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "旧群发", Kind: "text", Text: "{{.Name}}您好", Audience: "all", Channel: "direct"}, 1, pol)
		if err != nil {
			t.Fatal(err)
		}
		at := now.Add(time.Minute)
		if _, err := s.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{At: &at}, admin, pol); err != nil {
			t.Fatal(err)
		}
		// As stored before this change: a mass send with a variable.
		if err := s.SetBroadcastChannelForTest(ctx, b.ID, models.BroadcastMass); err != nil {
			t.Fatal(err)
		}
		b, _ = s.FindBroadcast(ctx, b.ID)
		if err := b.VarsProblem(); err == nil || !strings.Contains(models.ErrorMessage(err), "{{.Name}}") {
			t.Fatalf("VarsProblem: %v", err)
		}
		if _, err := s.BroadcastFor(ctx, b, "ov000"); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("preview of the old mass broadcast: %v", err)
		}
		*now = now.Add(2 * time.Minute)
		started, err := s.StartDueBroadcasts(ctx, pol)
		if err != nil || len(started) != 0 {
			t.Fatalf("started %+v, %v; want none", started, err)
		}
		b, _ = s.FindBroadcast(ctx, b.ID)
		if runs, _ := s.BroadcastRuns(ctx, b.ID); b.State != models.BroadcastDraft || b.NextRunAt != nil || len(runs) != 0 {
			t.Fatalf("state %s next %v runs %d: want a draft that never ran", b.State, b.NextRunAt, len(runs))
		}
		later := now.Add(time.Hour)
		if _, err := s.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{At: &later}, admin, pol); models.ErrorCode(err) != models.EINVALID ||
			!strings.Contains(models.ErrorMessage(err), models.ErrMassVariables) {
			t.Fatalf("scheduling it again: %v", err)
		}
	})
}

// TestBroadcastForFillsInTheFan: a preview of a direct broadcast shows the
// test fan their own name and points (朋友 and 0 for a fan fivec does not
// know), in the text and in the template fields.
func TestBroadcastForFillsInTheFan(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		pol := models.BroadcastPolicy{Loc: shanghai, AccountType: models.AccountService}
		bcMembers(t, s, "pv", 1)
		m, _ := s.FindMemberByOpenID(ctx, "pv000")
		if _, err := s.SaveProfile(ctx, m.ID, models.ProfileInput{Name: "张三", Consent: true}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Earn(ctx, m.ID, 120, "test", "测试", "pv", nil); err != nil {
			t.Fatal(err)
		}
		b, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "积分提醒", Kind: "template", TemplateID: "T",
			TemplateData: map[string]string{"thing1": "{{.Name}}", "number2": "{{.Points}}"}, Audience: "all"}, 1, pol)
		if err != nil {
			t.Fatal(err)
		}
		for openID, want := range map[string][2]string{"pv000": {"张三", "120"}, "o_stranger": {"朋友", "0"}} {
			got, err := s.BroadcastFor(ctx, b, openID)
			if err != nil {
				t.Fatal(err)
			}
			f := got.TemplateFields()
			r, _ := got.Reply()
			if f["thing1"] != want[0] || f["number2"] != want[1] || strings.Contains(r.Text, "{{") {
				t.Errorf("%s: fields %v text %q, want %v", openID, f, r.Text, want)
			}
		}
		if stored, _ := s.FindBroadcast(ctx, b.ID); !strings.Contains(stored.TemplateData, "{{.Name}}") {
			t.Fatalf("rendering changed the stored broadcast: %s", stored.TemplateData)
		}
	})
}
