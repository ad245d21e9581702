package roles

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
	"golang.org/x/text/width"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/replytemplate"
)

// compiledRule is a rule ready for matching.
type compiledRule struct {
	rule models.Rule
	spec models.RuleSpec
	// texts are the checked templates of text replies, by reply index.
	texts map[int]*replytemplate.Template
	order int // position in priority order: lower wins
}

// ruleSet is the compiled form of every enabled rule. It is immutable once
// built and swapped atomically on reload, so matching takes no lock. Its
// indexes make the cost of a message depend on what matches, not on how
// many rules exist.
type ruleSet struct {
	version string
	all     []*compiledRule
	// exact: normalized keyword → rules.
	exact map[string][]*compiledRule
	// prefix: normalized keyword → rules; a message is looked up at each of
	// its rune boundaries.
	prefix    map[string][]*compiledRule
	maxPrefix int // longest prefix keyword, in bytes
	// needles holds contains keywords and the literals regexes require; one
	// Aho-Corasick pass finds them all.
	needles    ahocorasick.AhoCorasick
	hasNeedles bool
	needleOf   []needle
	// unindexed regexes have no literal they require: they are tried on
	// every text (the rule editor warns about them).
	unindexed []regexKeyword
	// special rules by kind and trigger.
	special map[string]map[string][]*compiledRule
}

type needle struct {
	rule     *compiledRule
	keyword  string
	contains bool          // a contains keyword: the hit is the match
	regex    *regexKeyword // a regex gate: the hit means "try this regex"
}

type regexKeyword struct {
	rule    *compiledRule
	keyword string
	re      *regexp.Regexp
}

// hit is one rule that matched a text, with the keyword that did it.
type hit struct {
	rule    *compiledRule
	keyword string
	mode    string
}

// normalize folds what fans type so that keywords match regardless of case,
// full-width letters and digits, and surrounding space.
func normalize(s string) string {
	return strings.ToLower(strings.TrimSpace(width.Fold.String(s)))
}

func compileRules(version string, rules []models.Rule) (*ruleSet, []error) {
	rs := &ruleSet{
		version: version,
		exact:   map[string][]*compiledRule{},
		prefix:  map[string][]*compiledRule{},
		special: map[string]map[string][]*compiledRule{},
	}
	var errs []error
	sort.SliceStable(rules, func(i, j int) bool {
		if rules[i].Priority != rules[j].Priority {
			return rules[i].Priority > rules[j].Priority
		}
		return rules[i].ID < rules[j].ID
	})
	var patterns []string
	for _, r := range rules {
		if r.Disabled {
			continue
		}
		spec, err := r.Decode()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// A template stored before today's checks, or edited in the
		// database, is refused here as on save: the rule is skipped (and
		// logged), so it never runs and the message gets the next rule or
		// the default reply.
		texts, err := replyTemplates(&spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %d: %s", r.ID, models.ErrorMessage(err)))
			continue
		}
		cr := &compiledRule{rule: r, spec: spec, texts: texts, order: len(rs.all)}
		rs.all = append(rs.all, cr)
		if spec.Kind != models.RuleKeyword {
			byTrigger := rs.special[spec.Kind]
			if byTrigger == nil {
				byTrigger = map[string][]*compiledRule{}
				rs.special[spec.Kind] = byTrigger
			}
			byTrigger[spec.Trigger] = append(byTrigger[spec.Trigger], cr)
			continue
		}
		for _, k := range spec.Keywords {
			text := normalize(k.Text)
			switch k.Match {
			case models.MatchExact:
				rs.exact[text] = append(rs.exact[text], cr)
			case models.MatchPrefix:
				rs.prefix[text] = append(rs.prefix[text], cr)
				rs.maxPrefix = max(rs.maxPrefix, len(text))
			case models.MatchContains:
				patterns = append(patterns, text)
				rs.needleOf = append(rs.needleOf, needle{rule: cr, keyword: k.Text, contains: true})
			case models.MatchRegex:
				re, err := regexp.Compile(k.Text)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				rk := &regexKeyword{rule: cr, keyword: k.Text, re: re}
				lits := requiredLiterals(k.Text)
				if len(lits) == 0 {
					rs.unindexed = append(rs.unindexed, *rk)
					continue
				}
				for _, l := range lits {
					patterns = append(patterns, l)
					rs.needleOf = append(rs.needleOf, needle{rule: cr, keyword: k.Text, regex: rk})
				}
			}
		}
	}
	if len(patterns) > 0 {
		b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.StandardMatch})
		rs.needles = b.Build(patterns)
		rs.hasNeedles = true
	}
	return rs, errs
}

// match returns the keyword rules the text matches, best first. raw is what
// the fan typed (regexes see it as written); norm its normalized form.
func (rs *ruleSet) match(raw string) []hit {
	norm := normalize(raw)
	var hits []hit
	seen := map[*compiledRule]bool{}
	add := func(cr *compiledRule, kw, mode string) {
		if !seen[cr] {
			seen[cr] = true
			hits = append(hits, hit{rule: cr, keyword: kw, mode: mode})
		}
	}
	for _, cr := range rs.exact[norm] {
		add(cr, norm, models.MatchExact)
	}
	if rs.maxPrefix > 0 {
		for i := range norm {
			if i > rs.maxPrefix {
				break
			}
			if i > 0 {
				for _, cr := range rs.prefix[norm[:i]] {
					add(cr, norm[:i], models.MatchPrefix)
				}
			}
		}
		if len(norm) <= rs.maxPrefix {
			for _, cr := range rs.prefix[norm] {
				add(cr, norm, models.MatchPrefix)
			}
		}
	}
	if rs.hasNeedles {
		tried := map[*regexKeyword]bool{}
		it := rs.needles.IterOverlapping(norm)
		for m := it.Next(); m != nil; m = it.Next() {
			n := rs.needleOf[m.Pattern()]
			switch {
			case n.contains:
				add(n.rule, n.keyword, models.MatchContains)
			case n.regex != nil && !tried[n.regex] && !seen[n.rule]:
				tried[n.regex] = true
				if n.regex.re.MatchString(raw) || n.regex.re.MatchString(norm) {
					add(n.rule, n.keyword, models.MatchRegex)
				}
			}
		}
	}
	for i := range rs.unindexed {
		rk := &rs.unindexed[i]
		if !seen[rk.rule] && (rk.re.MatchString(raw) || rk.re.MatchString(norm)) {
			add(rk.rule, rk.keyword, models.MatchRegex)
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].rule.order < hits[j].rule.order })
	return hits
}

// requiredLiterals returns normalized literals of which at least one must
// appear in any text the regex matches, or nil when there is no such set
// (then the regex is tried on every text). It is a prefilter only: the
// regex itself still decides.
func requiredLiterals(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	lits := literalsOf(re.Simplify())
	for i, l := range lits {
		lits[i] = normalize(l)
		if lits[i] == "" {
			return nil
		}
	}
	return lits
}

func literalsOf(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase == 0 {
			return []string{string(re.Rune)}
		}
		// Case-insensitive: (?i)s also matches ſ and (?i)k the Kelvin sign,
		// which normalize does not fold to s and k. Only runs of runes whose
		// case variants are all ASCII (or that have none) are sure to show
		// up in the normalized text; the longest such run gates the regex.
		var best, run []rune
		for _, r := range append(slices.Clone(re.Rune), -1) {
			if r >= 0 && foldsSafely(r) {
				run = append(run, r)
				continue
			}
			if len(run) > len(best) {
				best = run
			}
			run = nil
		}
		if len(best) == 0 {
			return nil
		}
		return []string{string(best)}
	case syntax.OpCapture, syntax.OpPlus:
		return literalsOf(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return literalsOf(re.Sub[0])
		}
	case syntax.OpConcat:
		// Any one required part will do; prefer the set whose shortest
		// literal is longest (fewer false gates).
		var best []string
		bestLen := 0
		for _, sub := range re.Sub {
			l := literalsOf(sub)
			if len(l) == 0 {
				continue
			}
			shortest := len(l[0])
			for _, x := range l {
				shortest = min(shortest, len(x))
			}
			if shortest > bestLen {
				best, bestLen = l, shortest
			}
		}
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			l := literalsOf(sub)
			if len(l) == 0 {
				return nil
			}
			all = append(all, l...)
		}
		return all
	}
	return nil
}

// foldsSafely reports whether every case variant of r is ASCII, or r has
// none (Chinese, digits, punctuation).
func foldsSafely(r rune) bool {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f >= utf8.RuneSelf || r >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// inSchedule reports whether t (in the account's zone) is inside sc.
func inSchedule(sc *models.Schedule, t time.Time) bool {
	if sc == nil {
		return true
	}
	day := t.Format(time.DateOnly)
	if sc.From != "" && day < sc.From {
		return false
	}
	if sc.To != "" && day > sc.To {
		return false
	}
	if len(sc.Weekdays) > 0 {
		wd := int(t.Weekday())
		if wd == 0 {
			wd = 7
		}
		ok := false
		for _, d := range sc.Weekdays {
			ok = ok || d == wd
		}
		if !ok {
			return false
		}
	}
	if len(sc.Hours) == 0 {
		return true
	}
	now := t.Format("15:04")
	for _, h := range sc.Hours {
		from, to, _ := strings.Cut(h, "-")
		if to == "24:00" {
			to = "24:01"
		}
		if from <= to && now >= from && now < to {
			return true
		}
		if from > to && (now >= from || now < to) { // crosses midnight
			return true
		}
	}
	return false
}
