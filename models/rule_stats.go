package models

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode"
)

// RuleFiredSince reports whether rule answered openID at or after since.
func (s *Store) RuleFiredSince(ctx context.Context, ruleID uint64, openID string, since time.Time) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Message{}).
		Where("open_id = ? AND created_at >= ? AND rule_id = ?", openID, since.UTC(), ruleID).
		Limit(1).Count(&n).Error
	return n > 0, translate("rule fired", err)
}

// RuleHits counts, per rule, the messages each rule answered since since.
func (s *Store) RuleHits(ctx context.Context, since time.Time) (map[uint64]int64, error) {
	var rows []struct {
		RuleID uint64
		N      int64
	}
	err := s.db.WithContext(ctx).Model(&Message{}).Select("rule_id, COUNT(*) AS n").
		Where("rule_id IS NOT NULL AND created_at >= ? AND direction = ?", since.UTC(), DirectionIn).
		Group("rule_id").Scan(&rows).Error
	out := make(map[uint64]int64, len(rows))
	for _, r := range rows {
		out[r.RuleID] = r.N
	}
	return out, translate("rule hits", err)
}

// RuleHitWindows are the periods the console and the API count each rule's
// hits over: the last 24 hours, 7 days and 30 days.
var RuleHitWindows = [3]time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// RuleHitCounts counts, per rule, the messages it answered in each of
// RuleHitWindows up to now.
func (s *Store) RuleHitCounts(ctx context.Context, now time.Time) (map[uint64][3]int64, error) {
	out := map[uint64][3]int64{}
	for i, w := range RuleHitWindows {
		hits, err := s.RuleHits(ctx, now.Add(-w))
		if err != nil {
			return nil, err
		}
		for id, n := range hits {
			v := out[id]
			v[i] = n
			out[id] = v
		}
	}
	return out, nil
}

// UnansweredGroup is one question fans asked that no rule matched, grouped
// by its normalized text.
type UnansweredGroup struct {
	Text    string    `json:"text"`    // normalized text (the group key)
	Example string    `json:"example"` // one message as a fan typed it
	Count   int       `json:"count"`
	Fans    int       `json:"fans"`
	LastAt  time.Time `json:"last_at"`
}

// unansweredScan bounds how many recent messages the list reads.
const unansweredScan = 20000

// UnansweredQuestions groups recent unmatched texts by normalized text,
// most frequent first.
func (s *Store) UnansweredQuestions(ctx context.Context, since time.Time, limit int) ([]UnansweredGroup, error) {
	return s.UnansweredBetween(ctx, since, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), limit)
}

// UnansweredBetween is UnansweredQuestions for texts sent in [from, to)
// (a report's period).
func (s *Store) UnansweredBetween(ctx context.Context, from, to time.Time, limit int) ([]UnansweredGroup, error) {
	var rows []Message
	err := s.db.WithContext(ctx).Select("open_id, content, created_at").
		Where("unanswered = ? AND created_at >= ? AND created_at < ?", true, from.UTC(), to.UTC()).
		Order("id DESC").Limit(unansweredScan).Find(&rows).Error
	if err != nil {
		return nil, translate("unanswered questions", err)
	}
	groups := map[string]*UnansweredGroup{}
	fans := map[string]map[string]bool{}
	for _, m := range rows {
		key := NormalizeQuestion(m.Content)
		if key == "" {
			continue
		}
		g := groups[key]
		if g == nil {
			g = &UnansweredGroup{Text: key, Example: m.Content, LastAt: m.CreatedAt}
			groups[key] = g
			fans[key] = map[string]bool{}
		}
		g.Count++
		fans[key][m.OpenID] = true
		if m.CreatedAt.After(g.LastAt) {
			g.LastAt = m.CreatedAt
		}
	}
	out := make([]UnansweredGroup, 0, len(groups))
	for k, g := range groups {
		g.Fans = len(fans[k])
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].LastAt.After(out[j].LastAt)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// NormalizeQuestion groups questions that differ only in case, spacing and
// punctuation ("价格？" and "价格" are one question).
func NormalizeQuestion(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
