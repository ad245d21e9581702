package roles

import (
	"fmt"
	"regexp"
	"sort"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"

	"github.com/fivec/fivec/models"
)

// shadowIndex answers "which enabled rules would always win over these
// keywords" for a whole rule set at once. A keyword of rule A covers one of
// rule B when every text matching B's also matches A's:
//
//   - exact A covers exact B with the same (normalized) text;
//   - prefix A covers exact or prefix B starting with A's text;
//   - contains A covers any non-regex B containing A's text;
//   - regex A covers exact B whose text it matches.
//
// Comparing every keyword with every other took 203 s for 5,000 rules, so
// A's keywords are indexed by kind: exact and prefix texts in maps (a B is
// looked up at each of its prefixes), contains texts in one Aho-Corasick
// automaton run over B's text, and regexes behind the literals they require
// (the matcher's prefilter). The cost of a keyword then follows the rules
// that cover it, not how many rules exist.
type shadowIndex struct {
	rules  []shadowRule // in ListRules order (priority, then age), which orders the warnings
	exact  map[string][]kwRef
	prefix map[string][]kwRef
	// contains keywords by distinct normalized text; allText are those
	// whose text normalizes to "", contained in every text.
	contains   ahocorasick.AhoCorasick
	hasContain bool
	containsOf [][]kwRef
	allText    []kwRef
	// regexes, found through the literals they require (litOf maps an
	// automaton pattern to regexes), or tried on every exact keyword when
	// they require none.
	regexes   []shadowRegex
	lits      ahocorasick.AhoCorasick
	hasLits   bool
	litOf     [][]int
	unindexed []int
}

// shadowRule is a rule that can shadow others: enabled, a keyword rule, no
// schedule or audience narrowing it.
type shadowRule struct {
	id       uint64
	priority int
	spec     models.RuleSpec
}

// kwRef is keyword kw of rules[rule].
type kwRef struct{ rule, kw int }

type shadowRegex struct {
	ref kwRef
	re  *regexp.Regexp
}

// newShadowIndex indexes rules (as ListRules returns them).
func newShadowIndex(rules []models.Rule) *shadowIndex {
	x := &shadowIndex{exact: map[string][]kwRef{}, prefix: map[string][]kwRef{}}
	containsID := map[string]int{}
	var containsPats []string
	litID := map[string]int{}
	var litPats []string
	for _, r := range rules {
		if r.Disabled || r.Kind != models.RuleKeyword {
			continue
		}
		spec, err := r.Decode()
		if err != nil || spec.Schedule != nil || spec.Audience != nil {
			continue
		}
		ri := len(x.rules)
		x.rules = append(x.rules, shadowRule{id: r.ID, priority: r.Priority, spec: spec})
		for ki, k := range spec.Keywords {
			ref, text := kwRef{ri, ki}, normalize(k.Text)
			switch k.Match {
			case models.MatchExact:
				x.exact[text] = append(x.exact[text], ref)
			case models.MatchPrefix:
				x.prefix[text] = append(x.prefix[text], ref)
			case models.MatchContains:
				if text == "" {
					x.allText = append(x.allText, ref)
					continue
				}
				id, ok := containsID[text]
				if !ok {
					id = len(containsPats)
					containsID[text] = id
					containsPats = append(containsPats, text)
					x.containsOf = append(x.containsOf, nil)
				}
				x.containsOf[id] = append(x.containsOf[id], ref)
			case models.MatchRegex:
				re, err := regexp.Compile(k.Text)
				if err != nil {
					continue
				}
				gi := len(x.regexes)
				x.regexes = append(x.regexes, shadowRegex{ref: ref, re: re})
				lits := requiredLiterals(k.Text)
				if len(lits) == 0 {
					x.unindexed = append(x.unindexed, gi)
				}
				for _, l := range lits {
					id, ok := litID[l]
					if !ok {
						id = len(litPats)
						litID[l] = id
						litPats = append(litPats, l)
						x.litOf = append(x.litOf, nil)
					}
					x.litOf[id] = append(x.litOf[id], gi)
				}
			}
		}
	}
	build := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.StandardMatch})
	if len(containsPats) > 0 {
		x.contains, x.hasContain = build.Build(containsPats), true
	}
	if len(litPats) > 0 {
		x.lits, x.hasLits = build.Build(litPats), true
	}
	return x
}

// shadowHit is keyword theirs of rules[rule] covering keyword mine of the
// spec being checked.
type shadowHit struct{ rule, mine, theirs int }

// warnings lists the keywords of spec (stored as selfID, 0 if new) that an
// indexed rule with the same or higher priority (ties: the older rule)
// covers, by rule order, then spec's keyword, then the other rule's.
func (x *shadowIndex) warnings(spec *models.RuleSpec, selfID uint64) []string {
	var hits []shadowHit
	wins := func(r shadowRule) bool {
		if r.id == selfID {
			return false
		}
		return r.priority > spec.Priority || (r.priority == spec.Priority && (selfID == 0 || r.id < selfID))
	}
	for mi, mine := range spec.Keywords {
		add := func(refs []kwRef) {
			for _, ref := range refs {
				if wins(x.rules[ref.rule]) {
					hits = append(hits, shadowHit{ref.rule, mi, ref.kw})
				}
			}
		}
		text := normalize(mine.Text)
		if mine.Match == models.MatchRegex {
			continue // only a regex covers a regex, and fivec does not try to tell
		}
		if mine.Match == models.MatchExact {
			add(x.exact[text])
			x.regexHits(mine.Text, text, add)
		}
		if mine.Match == models.MatchExact || mine.Match == models.MatchPrefix {
			for i := 0; i <= len(text); i++ {
				add(x.prefix[text[:i]])
			}
		}
		add(x.allText)
		if x.hasContain {
			seen := map[int]bool{}
			it := x.contains.IterOverlapping(text)
			for m := it.Next(); m != nil; m = it.Next() {
				if p := m.Pattern(); !seen[p] {
					seen[p] = true
					add(x.containsOf[p])
				}
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.rule != b.rule {
			return a.rule < b.rule
		}
		if a.mine != b.mine {
			return a.mine < b.mine
		}
		return a.theirs < b.theirs
	})
	out := make([]string, 0, len(hits))
	for _, h := range hits {
		other := x.rules[h.rule].spec
		mine, theirs := spec.Keywords[h.mine], other.Keywords[h.theirs]
		out = append(out, fmt.Sprintf("keyword %q is shadowed by rule %q (priority %d, %s %q), which matches the same messages or more and wins", mine.Text, other.Name, other.Priority, theirs.Match, theirs.Text))
	}
	return out
}

// regexHits adds the regexes that match an exact keyword (raw as written,
// norm normalized), trying only those whose required literal it contains.
func (x *shadowIndex) regexHits(raw, norm string, add func([]kwRef)) {
	try := func(gi int) {
		if g := x.regexes[gi]; g.re.MatchString(raw) || g.re.MatchString(norm) {
			add([]kwRef{g.ref})
		}
	}
	tried := map[int]bool{}
	if x.hasLits {
		it := x.lits.IterOverlapping(norm)
		for m := it.Next(); m != nil; m = it.Next() {
			for _, gi := range x.litOf[m.Pattern()] {
				if !tried[gi] {
					tried[gi] = true
					try(gi)
				}
			}
		}
	}
	for _, gi := range x.unindexed {
		try(gi)
	}
}

// regexWarnings are the notes on spec's regex keywords that fivec cannot
// index (they are tried on every message).
func regexWarnings(spec *models.RuleSpec) []string {
	var warnings []string
	if spec.Kind != models.RuleKeyword {
		return nil
	}
	for _, k := range spec.Keywords {
		if k.Match == models.MatchRegex && len(requiredLiterals(k.Text)) == 0 {
			warnings = append(warnings, fmt.Sprintf("keyword %q: this regex has no fixed text fivec can index, so it is tried on every message; add a literal word to it if you can", k.Text))
		}
	}
	return warnings
}

// shadowWarnings is what saving spec (as selfID, 0 if new) warns about
// among rules: unindexable regexes, and keywords an enabled rule with the
// same or higher priority always wins over (no schedule or audience
// narrowing it).
func shadowWarnings(idx *shadowIndex, spec *models.RuleSpec, selfID uint64) []string {
	warnings := regexWarnings(spec)
	if spec.Kind != models.RuleKeyword || spec.Disabled {
		return warnings
	}
	return append(warnings, idx.warnings(spec, selfID)...)
}
