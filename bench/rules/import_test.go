package rules

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/roles/shadowtest"
)

// rulesFile is the YAML export of ruleSpecs(n), as a marketer would import it.
func rulesFile(b *testing.B, n int) []byte {
	b.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, "sqlite", filepath.Join(b.TempDir(), "export.db"), 10*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.ReplaceRules(ctx, ruleSpecs(n)); err != nil {
		b.Fatal(err)
	}
	y, err := s.ExportRulesYAML(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return y
}

// BenchmarkImport imports a rules file into an empty account: parsing,
// checking every rule, replacing the rules, recompiling and the shadowing
// warnings of the imported set. "after" is Consulting.ImportRules; "before"
// is the import as it was until the shadow check was indexed (one query of
// every rule and a comparison with every keyword, per rule, twice), kept
// here as the baseline.
//
//	go test -run '^$' -bench Import -benchtime 1x -count 3 ./bench/rules
func BenchmarkImport(b *testing.B) {
	for _, tc := range []struct {
		n      int
		before bool
	}{{1000, true}, {1000, false}, {2000, true}, {2000, false}, {10000, false}} {
		name := map[bool]string{true: "before", false: "after"}[tc.before]
		b.Run(fmt.Sprintf("rules=%d/%s", tc.n, name), func(b *testing.B) {
			file := rulesFile(b, tc.n)
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				s, err := models.Open(ctx, "sqlite", filepath.Join(b.TempDir(), "import.db"), 10*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				c := &roles.Consulting{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Loc: time.UTC, Now: time.Now}
				b.StartTimer()
				var warnings []string
				if tc.before {
					warnings, err = importBefore(ctx, c, file)
				} else {
					warnings, err = c.ImportRules(ctx, file)
				}
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric(float64(len(warnings)), "warnings")
				s.Close()
				b.StartTimer()
			}
		})
	}
}

// importBefore is ImportRules before the indexed shadow check, minus the
// template and action checks (linear, the same in both).
func importBefore(ctx context.Context, c *roles.Consulting, file []byte) ([]string, error) {
	specs, err := models.ParseRulesYAML(file)
	if err != nil {
		return nil, err
	}
	for i := range specs {
		if err := specs[i].Validate(); err != nil {
			return nil, err
		}
		if _, err := shadowBefore(ctx, c.Store, &specs[i], 0); err != nil {
			return nil, err
		}
	}
	if err := c.Store.ReplaceRules(ctx, specs); err != nil {
		return nil, err
	}
	if err := c.Reload(ctx); err != nil {
		return nil, err
	}
	rules, err := c.Store.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	var warnings []string
	for _, r := range rules {
		spec, err := r.Decode()
		if err != nil {
			continue
		}
		w, err := shadowBefore(ctx, c.Store, &spec, r.ID)
		if err != nil {
			return nil, err
		}
		warnings = append(warnings, w...)
	}
	return warnings, nil
}

// shadowBefore is the pairwise shadow check as it was (shadowtest.Warnings,
// without the note on regexes that cannot be indexed), after one query of
// every rule.
func shadowBefore(ctx context.Context, s *models.Store, spec *models.RuleSpec, selfID uint64) ([]string, error) {
	if spec.Kind != models.RuleKeyword || spec.Disabled {
		return nil, nil
	}
	rules, err := s.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	return shadowtest.Warnings(rules, spec, selfID), nil
}
