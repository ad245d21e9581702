package models_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// FuzzRulesYAML imports random rules files (seeds in
// testdata/fuzz/FuzzRulesYAML). Whatever the input, the import must not
// panic; a file it refuses must be refused as invalid (EINVALID, never an
// internal error) and leave the stored rules exactly as they were; a file
// it accepts must store one rule per entry and round-trip: exporting,
// importing the export and exporting again gives the same bytes.
//
//	go test -run '^$' -fuzz '^FuzzRulesYAML$' -fuzztime 10m ./models
func FuzzRulesYAML(f *testing.F) {
	f.Add([]byte("rules:\n  - name: 营业时间\n    kind: keyword\n    priority: 10\n    keywords: [{text: 营业时间, match: contains}]\n    replies: [{kind: text, text: 每天 9:00-21:00}]\n"))
	f.Add([]byte("rules:\n  - name: x\n    kind: keyword\n    prioirty: 1\n"))
	f.Add([]byte("rules: []\n"))
	s := modelstest.MustOpen(f, "sqlite")
	ctx := context.Background()
	base := []models.RuleSpec{{Name: "base", Kind: models.RuleKeyword, Priority: 3,
		Keywords: []models.Keyword{{Text: "价格", Match: models.MatchContains}}, Replies: []models.Reply{models.TextReply("见菜单")}}}
	f.Fuzz(func(t *testing.T, yamlText []byte) {
		if err := s.ReplaceRules(ctx, base); err != nil {
			t.Fatal(err)
		}
		before, err := s.ExportRulesYAML(ctx)
		if err != nil {
			t.Fatal(err)
		}
		specs, err := models.ParseRulesYAML(yamlText)
		if err == nil {
			err = s.ReplaceRules(ctx, specs)
		}
		if err != nil {
			if models.ErrorCode(err) != models.EINVALID {
				t.Fatalf("refused with %q, not as invalid: %v", models.ErrorCode(err), err)
			}
			if after, _ := s.ExportRulesYAML(ctx); !bytes.Equal(after, before) {
				t.Fatalf("a refused import changed the rules:\n%s\n---\n%s", before, after)
			}
			return
		}
		out, err := s.ExportRulesYAML(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := models.ParseRulesYAML(out)
		if err != nil {
			t.Fatalf("the export does not parse: %v\n%s", err, out)
		}
		if len(stored) != len(specs) {
			t.Fatalf("imported %d rules, exported %d", len(specs), len(stored))
		}
		if err := s.ReplaceRules(ctx, stored); err != nil {
			t.Fatalf("re-import of the export: %v\n%s", err, out)
		}
		if again, _ := s.ExportRulesYAML(ctx); !bytes.Equal(again, out) {
			t.Fatalf("round trip changed the file:\n%s\n---\n%s", out, again)
		}
	})
}
