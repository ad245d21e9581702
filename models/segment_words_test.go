package models

import (
	"slices"
	"sort"
	"testing"
)

// TestWordsSegmentsChinese: the keyword report counts words, not the
// character pairs that straddle two words ("业时" from 营业时间, "近有" from
// 附近有) that it once listed.
func TestWordsSegmentsChinese(t *testing.T) {
	for text, want := range map[string][]string{
		"请问营业时间是几点？":        {"营业时间"},
		"附近有停车场吗":           {"停车场", "附近"},
		"我想退货，订单号 A123 怎么办": {"a123", "订单号", "退货"},
		"会员积分怎么查":           {"会员", "积分"},
		"VIP会员price":        {"price", "vip", "会员"},
	} {
		got := []string{}
		for w := range Words(text) {
			got = append(got, w)
		}
		sort.Strings(got)
		for _, bad := range []string{"业时", "近有", "间是", "员积"} {
			if slices.Contains(got, bad) {
				t.Errorf("%q: %v holds the straddling pair %q", text, got, bad)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: words %v, want %v", text, got, want)
		}
	}
}
