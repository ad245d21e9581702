// Package rules benchmarks the Consulting matcher: the cost of answering one
// message with 10 rules versus 10,000 (the target: at most 2×).
//
//	go test -run '^$' -bench . -benchmem -count 6 ./bench/rules | tee rules.txt
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
)

// ruleSpecs makes n keyword rules in the mix marketers write: 40 % exact,
// 20 % prefix, 30 % contains, 10 % regex (each with a fixed word in it).
func ruleSpecs(n int) []models.RuleSpec {
	specs := make([]models.RuleSpec, 0, n)
	for i := 0; i < n; i++ {
		var k models.Keyword
		switch i % 10 {
		case 0, 1, 2, 3:
			k = models.Keyword{Text: fmt.Sprintf("产品%d价格", i), Match: models.MatchExact}
		case 4, 5:
			k = models.Keyword{Text: fmt.Sprintf("查询%d", i), Match: models.MatchPrefix}
		case 6, 7, 8:
			k = models.Keyword{Text: fmt.Sprintf("门店%d地址", i), Match: models.MatchContains}
		default:
			k = models.Keyword{Text: fmt.Sprintf(`订单%d号\s*\d+`, i), Match: models.MatchRegex}
		}
		specs = append(specs, models.RuleSpec{
			Name: fmt.Sprintf("rule %d", i), Kind: models.RuleKeyword, Priority: i % 7,
			Keywords: []models.Keyword{k}, Replies: []models.Reply{models.TextReply(fmt.Sprintf("answer %d", i))},
		})
	}
	return specs
}

// messages is what fans send: hits of each mode and misses, as fans type
// them (with punctuation and mixed widths).
var messages = []string{
	"产品0价格", "查询4 的物流", "请问门店6地址在哪里？", "订单9号 123456",
	"你们几点开门", "我想退货怎么办", "ＨＥＬＬＯ", "产品3价格", "门店8地址", "随便问问今天有什么活动吗",
}

func engine(b *testing.B, n int) *roles.Consulting {
	b.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, "sqlite", filepath.Join(b.TempDir(), "rules.db"), 10*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.ReplaceRules(ctx, ruleSpecs(n)); err != nil {
		b.Fatal(err)
	}
	c := &roles.Consulting{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Loc: time.UTC, Now: time.Now}
	if err := c.Reload(ctx); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkMatch answers the message mix with 10 and with 10,000 rules.
func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			c := engine(b, n)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Test(ctx, roles.TestInput{Text: messages[i%len(messages)]}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestMixMatchesAsIntended keeps the benchmark honest: its messages must
// hit rules of every mode (and miss where meant to) at both sizes.
func TestMixMatchesAsIntended(t *testing.T) {
	for _, n := range []int{10, 10000} {
		ctx := context.Background()
		s, err := models.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "r.db"), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.ReplaceRules(ctx, ruleSpecs(n)); err != nil {
			t.Fatal(err)
		}
		c := &roles.Consulting{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Loc: time.UTC, Now: time.Now}
		want := map[string]string{"产品0价格": "exact", "查询4 的物流": "prefix", "请问门店6地址在哪里？": "contains", "订单9号 123456": "regex", "你们几点开门": ""}
		for msg, mode := range want {
			res, err := c.Test(ctx, roles.TestInput{Text: msg})
			if err != nil {
				t.Fatal(err)
			}
			if res.Mode != mode {
				t.Errorf("n=%d %q: mode %q, want %q", n, msg, res.Mode, mode)
			}
		}
	}
}
