// Package shadowtest keeps the rule shadow check as it was before
// roles.Consulting indexed it: every keyword of every rule compared with
// every keyword of the rule being checked. It is kept once, as the baseline
// the index must agree with (TestShadowIndexAgreesWithPairwiseCheck in
// roles/) and the "before" of the import benchmark (bench/rules). Only tests
// and bench/ import it (cmd/fivec/house_test.go).
package shadowtest

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/text/width"

	"github.com/fivec/fivec/models"
)

// Warnings returns the keywords of spec that a rule of rules shadows: one
// that wins (a higher priority, or the same and older than selfID) and
// matches the same messages or more. rules are as Store.ListRules returns
// them; selfID is spec's own id (0 for a new rule). Only enabled keyword
// rules without a schedule or an audience shadow. The regex notes of the
// live check are not included.
func Warnings(rules []models.Rule, spec *models.RuleSpec, selfID uint64) []string {
	if spec.Kind != models.RuleKeyword || spec.Disabled {
		return nil
	}
	var warnings []string
	for _, r := range rules {
		if r.ID == selfID || r.Disabled || r.Kind != models.RuleKeyword {
			continue
		}
		if r.Priority < spec.Priority || (r.Priority == spec.Priority && selfID != 0 && r.ID > selfID) {
			continue
		}
		other, err := r.Decode()
		if err != nil || other.Schedule != nil || other.Audience != nil {
			continue
		}
		for _, mine := range spec.Keywords {
			for _, theirs := range other.Keywords {
				if Covers(theirs, mine) {
					warnings = append(warnings, fmt.Sprintf("keyword %q is shadowed by rule %q (priority %d, %s %q), which matches the same messages or more and wins", mine.Text, other.Name, other.Priority, theirs.Match, theirs.Text))
				}
			}
		}
	}
	return warnings
}

// Covers reports whether every text matching keyword b also matches a
// (regexes compiled on every call, as the pairwise check did).
func Covers(a, b models.Keyword) bool {
	at, bt := normalize(a.Text), normalize(b.Text)
	switch a.Match {
	case models.MatchExact:
		return b.Match == models.MatchExact && at == bt
	case models.MatchPrefix:
		return (b.Match == models.MatchExact || b.Match == models.MatchPrefix) && strings.HasPrefix(bt, at)
	case models.MatchContains:
		return b.Match != models.MatchRegex && strings.Contains(bt, at)
	case models.MatchRegex:
		if b.Match != models.MatchExact {
			return false
		}
		re, err := regexp.Compile(a.Text)
		return err == nil && (re.MatchString(b.Text) || re.MatchString(bt))
	}
	return false
}

// normalize folds a keyword as the matcher does (full-width to half-width,
// lower case, trimmed).
func normalize(s string) string {
	return strings.ToLower(strings.TrimSpace(width.Fold.String(s)))
}
