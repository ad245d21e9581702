package roles

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
)

var fuzzMatchModes = []string{models.MatchExact, models.MatchPrefix, models.MatchContains, models.MatchRegex}

// FuzzRuleMatch compiles two random keyword rules (plus a fixed one) and
// matches a random text against them. The indexed matcher (exact map,
// prefix map, one Aho-Corasick pass, regex gates on required literals) must
// agree with the obvious definition of each mode checked keyword by
// keyword, must never panic, must list each rule at most once in priority
// order, and an exact rule must always match its own keyword (as typed,
// padded with space, upper-cased).
//
//	go test -run '^$' -fuzz '^FuzzRuleMatch$' -fuzztime 10m ./roles
func FuzzRuleMatch(f *testing.F) {
	f.Add("价格", uint8(0), "价格", uint8(2), "价格")
	f.Add("营业时间", uint8(2), "营业", uint8(1), "请问营业时间？")
	f.Add("Hello", uint8(1), "hello", uint8(0), "ＨＥＬＬＯ world")
	f.Add(`^\d{6}$`, uint8(3), "订单", uint8(2), "123456")
	f.Add(`(?i)desk`, uint8(3), "ask", uint8(2), "DESK")
	f.Add(`优惠(券|码)`, uint8(3), `.*`, uint8(3), "有优惠码吗")
	f.Add("a", uint8(2), "a", uint8(2), "aaa")
	f.Add("ｶ", uint8(3), "x", uint8(0), "ｶﾞ")
	f.Add("(?i)ask", uint8(3), "K", uint8(1), "aſK")
	f.Fuzz(func(t *testing.T, kw1 string, m1 uint8, kw2 string, m2 uint8, text string) {
		specs := []models.RuleSpec{
			{Name: "one", Kind: models.RuleKeyword, Priority: 5, Keywords: []models.Keyword{{Text: kw1, Match: fuzzMatchModes[int(m1)%4]}}},
			{Name: "two", Kind: models.RuleKeyword, Priority: 5, Keywords: []models.Keyword{{Text: kw2, Match: fuzzMatchModes[int(m2)%4]}}},
			{Name: "fixed", Kind: models.RuleKeyword, Priority: 1, Keywords: []models.Keyword{{Text: "价格", Match: models.MatchContains}}},
		}
		var rules []models.Rule
		for i := range specs {
			specs[i].Replies = []models.Reply{models.TextReply("r")}
			if specs[i].Validate() != nil {
				continue // the editor and the import refuse it; never compiled
			}
			r, err := ruleFromSpecForTest(specs[i])
			if err != nil {
				t.Fatal(err)
			}
			r.ID = uint64(i + 1)
			rules = append(rules, *r)
		}
		rs, errs := compileRules("fuzz", rules)
		if len(errs) > 0 {
			t.Fatalf("valid rules did not compile: %v", errs)
		}
		checkMatch(t, rs, text)
		for _, cr := range rs.all {
			for _, k := range cr.spec.Keywords {
				if k.Match != models.MatchExact {
					continue
				}
				for _, variant := range []string{k.Text, "  " + k.Text + "\t", strings.ToUpper(k.Text)} {
					if normalize(variant) != normalize(k.Text) {
						continue // upper-casing can change some scripts' letters
					}
					if !containsRule(rs.match(variant), cr) {
						t.Fatalf("exact rule %q does not match %q", k.Text, variant)
					}
				}
			}
		}
	})
}

// checkMatch compares rs.match(text) with a keyword-by-keyword reference.
func checkMatch(t *testing.T, rs *ruleSet, text string) {
	t.Helper()
	hits := rs.match(text)
	seen := map[*compiledRule]bool{}
	for i, h := range hits {
		if seen[h.rule] {
			t.Fatalf("rule %q listed twice for %q", h.rule.rule.Name, text)
		}
		seen[h.rule] = true
		if i > 0 && hits[i-1].rule.order > h.rule.order {
			t.Fatalf("hits out of priority order for %q", text)
		}
	}
	norm := normalize(text)
	for _, cr := range rs.all {
		want := ""
		for _, k := range cr.spec.Keywords {
			if keywordMatches(k, text, norm) {
				want = k.Match + " " + k.Text
				break
			}
		}
		if got := seen[cr]; got != (want != "") {
			t.Fatalf("rule %q (keywords %+v) on text %q (normalized %q): matcher says %v, keyword %q says %v",
				cr.rule.Name, cr.spec.Keywords, text, norm, got, want, !got)
		}
	}
}

// keywordMatches is what each match mode means, without indexes.
func keywordMatches(k models.Keyword, raw, norm string) bool {
	nk := normalize(k.Text)
	switch k.Match {
	case models.MatchExact:
		return norm == nk
	case models.MatchPrefix:
		return strings.HasPrefix(norm, nk)
	case models.MatchContains:
		return strings.Contains(norm, nk)
	case models.MatchRegex:
		re := regexp.MustCompile(k.Text)
		return re.MatchString(raw) || re.MatchString(norm)
	}
	return false
}

func containsRule(hits []hit, cr *compiledRule) bool {
	for _, h := range hits {
		if h.rule == cr {
			return true
		}
	}
	return false
}

// ruleFromSpecForTest stores a spec the way models does (the spec as JSON
// next to its indexed columns), without a database.
func ruleFromSpecForTest(s models.RuleSpec) (*models.Rule, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return &models.Rule{Name: s.Name, Kind: s.Kind, Trigger: s.Trigger, Priority: s.Priority, Spec: string(b)}, nil
}
