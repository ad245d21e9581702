package models

import (
	"context"
	"sort"
	"strings"
	"unicode"
)

// KeywordScan bounds how many of the period's newest fan texts the keyword
// count reads; the report says when it read fewer than the period holds.
const KeywordScan = 20000

// RuleTopic is a Consulting rule and how often it answered in the period:
// the topics fans ask about most.
type RuleTopic struct {
	RuleID  uint64
	Name    string
	Trigger string
	Hits    int64
	Fans    int64
}

// KeywordCount is a word (a Latin word or number, or a Chinese word found
// by the segmenter) and how many texts and fans used it.
type KeywordCount struct {
	Word     string
	Messages int64
	Fans     int64
}

// SegmentInterest is an interest fans of a segment gave in their profile.
type SegmentInterest struct {
	Segment  string // a saved segment's name, or "stage:<stage>"
	Interest string
	Members  int64
	// Of is how many of the segment's members gave any interest (the share
	// is Members / Of).
	Of int64
}

// KeywordReport is the Keyword insight tab.
type KeywordReport struct {
	Period     Period
	Topics     []RuleTopic
	Keywords   []KeywordCount
	Scanned    int64 // texts read for the keywords
	Texts      int64 // fan texts in the period
	Unanswered []UnansweredGroup
	Interests  []SegmentInterest
}

// Keywords reports the most asked topics (rule hits), the most used
// keywords in fans' texts, unanswered questions and interests by segment.
func (s *Store) Keywords(ctx context.Context, p Period, limit int) (*KeywordReport, error) {
	if limit <= 0 || limit > 200 {
		limit = 30
	}
	r := &KeywordReport{Period: p}
	db := s.db.WithContext(ctx)
	from, to := p.From.UTC(), p.To.UTC()
	err := db.Table("messages").
		Select("messages.rule_id, rules.name, rules.`trigger` AS `trigger`, COUNT(*) AS hits, COUNT(DISTINCT messages.open_id) AS fans").
		Joins("JOIN rules ON rules.id = messages.rule_id").
		Where("messages.rule_id IS NOT NULL AND messages.direction = ? AND messages.created_at >= ? AND messages.created_at < ?", DirectionIn, from, to).
		Group("messages.rule_id, rules.name, rules.`trigger`").Order("hits DESC, messages.rule_id").Limit(limit).Scan(&r.Topics).Error
	if err != nil {
		return nil, translate("keyword topics", err)
	}
	texts := db.Model(&Message{}).Where("event = '' AND direction = ? AND msg_type = ? AND created_at >= ? AND created_at < ?",
		DirectionIn, "text", from, to)
	if err := texts.Count(&r.Texts).Error; err != nil {
		return nil, translate("keywords", err)
	}
	var rows []Message
	if err := texts.Select("open_id, content").Order("id DESC").Limit(KeywordScan).Find(&rows).Error; err != nil {
		return nil, translate("keywords", err)
	}
	r.Scanned = int64(len(rows))
	r.Keywords = countKeywords(rows, limit)
	if r.Unanswered, err = s.UnansweredBetween(ctx, from, to, limit); err != nil {
		return nil, err
	}
	if r.Interests, err = s.interestsBySegment(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// countKeywords counts, per word, the texts and fans using it (a text
// counts once per word), most used first.
func countKeywords(rows []Message, limit int) []KeywordCount {
	msgs := map[string]int64{}
	fans := map[string]map[string]bool{}
	for _, m := range rows {
		for w := range Words(m.Content) {
			msgs[w]++
			if fans[w] == nil {
				fans[w] = map[string]bool{}
			}
			fans[w][m.OpenID] = true
		}
	}
	out := make([]KeywordCount, 0, len(msgs))
	for w, n := range msgs {
		out = append(out, KeywordCount{Word: w, Messages: n, Fans: int64(len(fans[w]))})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Messages != out[j].Messages {
			return out[i].Messages > out[j].Messages
		}
		if out[i].Fans != out[j].Fans {
			return out[i].Fans > out[j].Fans
		}
		return out[i].Word < out[j].Word
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// stopWords are words too common in Chinese questions to say anything
// (greetings, "how", "can I"…), and English function words.
var stopWords = map[string]bool{
	"你好": true, "您好": true, "请问": true, "我们": true, "你们": true, "什么": true, "怎么": true, "可以": true,
	"一下": true, "是不是": true, "不是": true, "有没有": true, "没有": true, "这个": true, "那个": true, "如何": true,
	"我想": true, "想要": true, "谢谢": true, "为什么": true, "什么时候": true, "时候": true, "怎么样": true, "多少": true,
	"现在": true, "还有": true, "已经": true, "一个": true, "知道": true, "需要": true, "能不能": true, "是否": true, "怎么办": true, "几点": true,
	"the": true, "and": true, "for": true, "you": true, "are": true, "can": true, "how": true, "what": true, "is": true, "of": true, "to": true, "in": true, "my": true, "me": true, "it": true, "do": true,
}

// functionChars are Chinese characters that mostly glue words together
// (particles, pronouns, question words): a one-character token, or a word
// made only of them (我们的, 是吗), is not a keyword.
var functionChars = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "的了么吗呢吧啊呀嘛是在我你您他她它们这那怎什请问几和就都也还又把被让给对从与及或能哪谁为有个吧要会" {
		m[r] = true
	}
	return m
}()

// Words splits a text into the set of its keywords: Latin words and
// numbers of two or more characters, lower-cased, and the Chinese words of
// two or more characters a dictionary segmenter finds (营业时间 → 营业,
// 时间; not the pairs 业时 or 近有 that straddle two words).
func Words(text string) map[string]bool {
	out := map[string]bool{}
	var latin, han strings.Builder
	flush := func() {
		if w := latin.String(); len([]rune(w)) >= 2 && !stopWords[w] {
			out[w] = true
		}
		latin.Reset()
		if han.Len() > 0 {
			for _, w := range chineseWords(han.String()) {
				if chineseKeyword(w) {
					out[w] = true
				}
			}
			han.Reset()
		}
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.Is(unicode.Han, r):
			if latin.Len() > 0 {
				w := han.String()
				han.Reset()
				flush()
				han.WriteString(w)
			}
			han.WriteRune(r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if han.Len() > 0 {
				w := latin.String()
				latin.Reset()
				flush()
				latin.WriteString(w)
			}
			latin.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

// chineseKeyword: at least two characters, not a stop word, not made only
// of function characters.
func chineseKeyword(w string) bool {
	rs := []rune(w)
	if len(rs) < 2 || stopWords[w] {
		return false
	}
	for _, r := range rs {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
		if !functionChars[r] {
			return true
		}
	}
	return false
}

// maxInterestSegments bounds the saved segments the interest table covers.
const maxInterestSegments = 20

// interestsBySegment counts profile interests per lifecycle stage and per
// saved segment (the first maxInterestSegments by name): interests are
// grouped in SQL by the text fans typed, then split at commas.
func (s *Store) interestsBySegment(ctx context.Context) ([]SegmentInterest, error) {
	type seg struct {
		name   string
		filter SegmentFilter
	}
	var segs []seg
	for _, st := range Stages {
		segs = append(segs, seg{"stage:" + st, SegmentFilter{Stages: []string{st}}})
	}
	saved, err := s.ListSegments(ctx)
	if err != nil {
		return nil, err
	}
	for i, sg := range saved {
		if i == maxInterestSegments {
			break
		}
		if f, err := sg.Decode(); err == nil {
			segs = append(segs, seg{sg.Name, f})
		}
	}
	var out []SegmentInterest
	for _, sg := range segs {
		var rows []struct {
			Interests string
			N         int64
		}
		err := sg.filter.apply(s.db.WithContext(ctx), s.now()).
			Select("member_profiles.interests AS interests, COUNT(*) AS n").
			Joins("JOIN member_profiles ON member_profiles.member_id = members.id").
			Where("member_profiles.interests <> ''").Group("member_profiles.interests").Scan(&rows).Error
		if err != nil {
			return nil, translate("interests", err)
		}
		counts := map[string]int64{}
		var of int64
		for _, row := range rows {
			of += row.N
			for _, it := range SplitInterests(row.Interests) {
				counts[it] += row.N
			}
		}
		var part []SegmentInterest
		for it, n := range counts {
			part = append(part, SegmentInterest{Segment: sg.name, Interest: it, Members: n, Of: of})
		}
		sort.Slice(part, func(i, j int) bool {
			if part[i].Members != part[j].Members {
				return part[i].Members > part[j].Members
			}
			return part[i].Interest < part[j].Interest
		})
		out = append(out, part[:min(len(part), 10)]...)
	}
	return out, nil
}

// SplitInterests splits what a fan typed as interests ("美食，旅行、读书"):
// commas (also Chinese ones) and 、 separate; case and repeats fold.
func SplitInterests(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' }) {
		part = strings.ToLower(strings.TrimSpace(part))
		if part != "" && !seen[part] {
			seen[part] = true
			out = append(out, part)
		}
	}
	return out
}

// Tables returns keyword_topics, keyword_words, keyword_unanswered and
// keyword_interests.
func (r *KeywordReport) Tables() []Table {
	topics := Table{Name: "keyword_topics", Columns: []string{"rule", "trigger", "hits", "fans"}}
	for _, t := range r.Topics {
		topics.Rows = append(topics.Rows, []any{t.Name, t.Trigger, t.Hits, t.Fans})
	}
	words := Table{Name: "keyword_words", Columns: []string{"keyword", "messages", "fans"}}
	for _, k := range r.Keywords {
		words.Rows = append(words.Rows, []any{k.Word, k.Messages, k.Fans})
	}
	// One fan's wording stands for its group (grouped ignoring case,
	// spaces and punctuation).
	un := Table{Name: "keyword_unanswered", Columns: []string{"question", "times", "fans", "last_at"}}
	for _, u := range r.Unanswered {
		un.Rows = append(un.Rows, []any{u.Example, int64(u.Count), int64(u.Fans), u.LastAt.In(r.Period.Loc).Format("2006-01-02 15:04")})
	}
	in := Table{Name: "keyword_interests", Columns: []string{"segment", "interest", "members", "share"}}
	for _, i := range r.Interests {
		in.Rows = append(in.Rows, []any{i.Segment, i.Interest, i.Members, Ratio{i.Members, i.Of}})
	}
	return []Table{topics, words, un, in}
}
