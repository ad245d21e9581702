// Package care benchmarks the Care role's keyword interests on the callback
// path: the cost of tagging one fan message with 10 keywords versus 10,000
// (the target: at most 2×).
//
//	go test -run '^$' -bench . -benchmem -count 6 ./bench/care | tee care.txt
package care

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// messages is what fans send: some mention an interest, most do not.
var messages = []string{
	"附近有没有4S店？", "你们几点开门", "怎么下载彩铃", "我想退货怎么办", "ＨＥＬＬＯ",
	"车子保养多少钱", "随便问问今天有什么活动吗", "词3的价格", "签到", "有没有适合孩子的课程",
}

// role builds a Care role with n keywords in n/5 interests (plus the two
// the messages above hit).
func role(tb testing.TB, n int) *roles.Care {
	tb.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, "sqlite", filepath.Join(tb.TempDir(), "care.db"), 10*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	for _, in := range []models.NewInterest{{Name: "汽车", Keywords: []string{"4S店", "保养"}}, {Name: "彩铃", Keywords: []string{"彩铃"}}} {
		if _, err := s.SaveInterest(ctx, 0, in); err != nil {
			tb.Fatal(err)
		}
	}
	for i := 0; i < n/5; i++ {
		var words []string
		for k := 0; k < 5; k++ {
			words = append(words, fmt.Sprintf("兴趣%d词%d", i, k))
		}
		if _, err := s.SaveInterest(ctx, 0, models.NewInterest{Name: fmt.Sprintf("兴趣%d", i), Keywords: words}); err != nil {
			tb.Fatal(err)
		}
	}
	c := &roles.Care{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := c.Reload(ctx); err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestMixTagsAsIntended checks that the mix hits the interests it should, at
// both sizes, so the benchmark measures real matches.
func TestMixTagsAsIntended(t *testing.T) {
	for _, n := range []int{10, 10000} {
		c := role(t, n)
		ctx := context.Background()
		for text, want := range map[string]string{"附近有没有4S店？": "汽车", "车子保养多少钱": "汽车", "怎么下载彩铃": "彩铃", "你们几点开门": ""} {
			got := c.Interests(ctx, text)
			if (want == "" && len(got) != 0) || (want != "" && !slices.Contains(got, want)) {
				t.Errorf("%d keywords: %q tagged %v, want %q", n, text, got, want)
			}
		}
	}
}

func bench(b *testing.B, n int) {
	c := role(b, n)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Interests(ctx, messages[i%len(messages)])
	}
}

func BenchmarkInterests10(b *testing.B)    { bench(b, 10) }
func BenchmarkInterests10000(b *testing.B) { bench(b, 10000) }
