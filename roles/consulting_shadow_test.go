package roles

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles/shadowtest"
)

// oldShadowWarnings is the shadow check as it was before shadowIndex: the
// regex notes, then every keyword of every rule against every keyword of spec
// (shadowtest.Warnings). It is the baseline the index must agree with.
func oldShadowWarnings(rules []models.Rule, spec *models.RuleSpec, selfID uint64) []string {
	return append(regexWarnings(spec), shadowtest.Warnings(rules, spec, selfID)...)
}

// randomRules makes n rules whose keywords overlap a lot: short texts from
// a few letters (some full-width, upper-case or padded), every match mode,
// regexes with and without a fixed word, ties in priority, and rules that
// cannot shadow (disabled, scheduled, with an audience, not keyword rules).
func randomRules(rng *rand.Rand, n int) []models.Rule {
	atoms := []string{"a", "b", "价", "格", "Ａ", "B", " ", "ab", "价格"}
	regexes := []string{`^a+$`, `a.b`, `(?i)AB`, `\d+`, `价`, `[ab]{2}`, `^$`, `.*`, `格$`, `(`, `价格|ab`}
	modes := []string{models.MatchExact, models.MatchPrefix, models.MatchContains, models.MatchRegex}
	rules := make([]models.Rule, 0, n)
	for i := range n {
		spec := models.RuleSpec{Name: fmt.Sprintf("r%d", i), Kind: models.RuleKeyword, Priority: rng.IntN(4)}
		for range 1 + rng.IntN(3) {
			k := models.Keyword{Match: modes[rng.IntN(len(modes))]}
			if k.Match == models.MatchRegex {
				k.Text = regexes[rng.IntN(len(regexes))]
			} else {
				for range 1 + rng.IntN(3) {
					k.Text += atoms[rng.IntN(len(atoms))]
				}
			}
			spec.Keywords = append(spec.Keywords, k)
		}
		switch rng.IntN(12) {
		case 0:
			spec.Disabled = true
		case 1:
			spec.Schedule = &models.Schedule{Hours: []string{"09:00-18:00"}}
		case 2:
			spec.Audience = &models.Audience{Tags: []string{"vip"}}
		case 3:
			spec.Kind, spec.Keywords = models.RuleDefault, nil
		}
		b, _ := json.Marshal(spec)
		rules = append(rules, models.Rule{ID: uint64(i + 1), Name: spec.Name, Kind: spec.Kind, Priority: spec.Priority, Disabled: spec.Disabled, Spec: string(b)})
	}
	// As ListRules returns them: highest priority first, then the oldest.
	sort.SliceStable(rules, func(i, j int) bool {
		if rules[i].Priority != rules[j].Priority {
			return rules[i].Priority > rules[j].Priority
		}
		return rules[i].ID < rules[j].ID
	})
	return rules
}

// TestShadowIndexAgreesWithPairwiseCheck: on random rule sets the indexed
// shadow check gives exactly the warnings, in the same order, as comparing
// every pair of keywords did, for every stored rule and for a new one.
func TestShadowIndexAgreesWithPairwiseCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	total := 0
	for round := range 300 {
		rules := randomRules(rng, 1+rng.IntN(40))
		idx := newShadowIndex(rules)
		for _, r := range rules {
			spec, err := r.Decode()
			if err != nil {
				t.Fatal(err)
			}
			for _, self := range []uint64{r.ID, 0} {
				want, got := oldShadowWarnings(rules, &spec, self), shadowWarnings(idx, &spec, self)
				if !slices.Equal(want, got) {
					t.Fatalf("round %d, rule %d as %d:\nold %q\nnew %q", round, r.ID, self, want, got)
				}
				total += len(want)
			}
		}
	}
	if total < 1000 {
		t.Fatalf("only %d warnings in all rounds: the random rules do not overlap enough to test anything", total)
	}
}
