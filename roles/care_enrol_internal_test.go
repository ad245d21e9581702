package roles

import (
	"slices"
	"testing"
	"time"
)

// Which birthdays a day celebrates: 29 February falls on the 28th in the
// years without it, and only then.
func TestBirthdayDays(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		day  string
		want []string
	}{
		{"2026-03-14", []string{"03-14"}},
		{"2026-02-28", []string{"02-28", "02-29"}},
		{"2028-02-28", []string{"02-28"}},
		{"2028-02-29", []string{"02-29"}},
		{"2026-03-01", []string{"03-01"}},
	} {
		today, err := time.ParseInLocation(time.DateOnly, tc.day, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		if got := birthdayDays(today.Add(23 * time.Hour)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.day, got, tc.want)
		}
	}
}
