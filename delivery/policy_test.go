package delivery

import (
	"errors"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

func TestQuietHours(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	at := func(hm string) time.Time {
		t, _ := time.ParseInLocation("2006-01-02 15:04", "2026-12-07 "+hm, sh)
		return t
	}
	for _, tc := range []struct {
		name     string
		q        QuietHours
		now      time.Time
		quiet    bool
		wantEnds time.Time
	}{
		{"off", QuietHours{Loc: sh}, at("23:00"), false, time.Time{}},
		{"half off", QuietHours{From: "22:00", Loc: sh}, at("23:00"), false, time.Time{}},
		{"over midnight, late", QuietHours{"22:00", "08:00", sh}, at("23:30"), true, at("08:00").AddDate(0, 0, 1)},
		{"over midnight, early", QuietHours{"22:00", "08:00", sh}, at("07:59"), true, at("08:00")},
		{"over midnight, at the start", QuietHours{"22:00", "08:00", sh}, at("22:00"), true, at("08:00").AddDate(0, 0, 1)},
		{"over midnight, at the end", QuietHours{"22:00", "08:00", sh}, at("08:00"), false, time.Time{}},
		{"over midnight, day", QuietHours{"22:00", "08:00", sh}, at("12:00"), false, time.Time{}},
		{"same day", QuietHours{"12:00", "14:00", sh}, at("13:00"), true, at("14:00")},
		{"same day, outside", QuietHours{"12:00", "14:00", sh}, at("14:00"), false, time.Time{}},
		{"in the account's zone, not UTC", QuietHours{"22:00", "08:00", sh}, time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC), true, at("08:00").AddDate(0, 0, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ends, quiet := tc.q.Until(tc.now)
			if quiet != tc.quiet || !ends.Equal(tc.wantEnds) {
				t.Fatalf("Until(%s) = %s, %v; want %s, %v", tc.now, ends, quiet, tc.wantEnds, tc.quiet)
			}
		})
	}
}

func TestFrequencyCap(t *testing.T) {
	week := 7 * 24 * time.Hour
	for _, tc := range []struct {
		cap  FrequencyCap
		sent int64
		over bool
	}{
		{FrequencyCap{0, week}, 100, false},
		{FrequencyCap{2, week}, 0, false},
		{FrequencyCap{2, week}, 1, false},
		{FrequencyCap{2, week}, 2, true},
		{FrequencyCap{2, week}, 3, true},
		{FrequencyCap{1, time.Hour}, 1, true},
	} {
		why, over := tc.cap.Over(tc.sent)
		if over != tc.over || (over && why == "") || (!over && why != "") {
			t.Errorf("%+v.Over(%d) = %q, %v; want over=%v", tc.cap, tc.sent, why, over, tc.over)
		}
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	if got := (FrequencyCap{2, week}).Since(now); !got.Equal(now.Add(-week)) {
		t.Errorf("Since = %s", got)
	}
	if why, _ := (FrequencyCap{2, week}).Over(3); why != "frequency cap: 3 pushes in 168h0m0s" {
		t.Errorf("reason %q", why)
	}
}

func TestChooseChannel(t *testing.T) {
	open := models.Window{Open: true, Left: 2}
	usedUp := models.Window{Open: true, Left: 0}
	closed := models.Window{Why: "the fan has not written in the last 48 hours"}
	for _, tc := range []struct {
		name        string
		w           models.Window
		known, tmpl bool
		channel     string
		skip        string
	}{
		{"gone", open, false, true, "", "the fan is no longer a member"},
		{"blacklisted", models.Window{Blacklisted: true, Why: models.WhyBlacklisted}, true, true, "", "blacklisted"},
		{"open window", open, true, true, models.ChannelCustom, ""},
		{"open window, no template", open, true, false, models.ChannelCustom, ""},
		{"closed, template", closed, true, true, models.ChannelTemplate, ""},
		{"closed, no template", closed, true, false, "", "unreachable: the fan has not written in the last 48 hours, and no template message is set"},
		{"used up, template", usedUp, true, true, models.ChannelTemplate, ""},
		{"used up, no template", usedUp, true, false, "", "unreachable: the fan's message quota for this window is used up, and no template message is set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, skip := ChooseChannel(tc.w, tc.known, tc.tmpl)
			if ch != tc.channel || skip != tc.skip {
				t.Fatalf("got %q, %q; want %q, %q", ch, skip, tc.channel, tc.skip)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		b        Backoff
		attempts int
		want     time.Duration
	}{
		{SendBackoff, 1, 5 * time.Second},
		{SendBackoff, 2, 10 * time.Second},
		{SendBackoff, 3, 20 * time.Second},
		{SendBackoff, 9, 1280 * time.Second},
		{SendBackoff, 20, 1280 * time.Second},
		{MassBackoff, 1, 20 * time.Second},
		{MassBackoff, 2, 40 * time.Second},
		{MassBackoff, 6, 640 * time.Second},
		{MassBackoff, 9, 640 * time.Second},
	} {
		if got := tc.b.After(tc.attempts); got != tc.want {
			t.Errorf("%+v.After(%d) = %s, want %s", tc.b, tc.attempts, got, tc.want)
		}
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		attempts, max int
		retry         bool
	}{
		{1, 5, true},
		{4, 5, true},
		{5, 5, false}, // the last attempt
	} {
		at, ok := SendBackoff.Retry(tc.attempts, tc.max, now)
		if ok != tc.retry || (ok && !at.Equal(now.Add(SendBackoff.After(tc.attempts)))) {
			t.Errorf("Retry(%d, %d) = %s, %v", tc.attempts, tc.max, at, ok)
		}
	}
}

func TestTransient(t *testing.T) {
	for code, want := range map[int]bool{0: true, -1: true, 45009: true, 45011: true, 45066: true,
		40001: false, 42001: false, 48001: false, 45015: false, 43004: false, 47003: false} {
		if Transient(code) != want {
			t.Errorf("Transient(%d) = %v", code, !want)
		}
	}
}

func TestSendOutcome(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	apiErr := func(code int) error { return &util.CommonError{ErrCode: int64(code), ErrMsg: "x"} }
	for _, tc := range []struct {
		name     string
		err      error
		attempts int
		state    string
		next     time.Time
	}{
		{"ok", nil, 1, models.RcptSent, time.Time{}},
		{"busy", apiErr(-1), 1, models.RcptQueued, now.Add(5 * time.Second)},
		{"busy, second time", apiErr(-1), 2, models.RcptQueued, now.Add(10 * time.Second)},
		{"busy, out of attempts", apiErr(-1), 3, models.RcptFailed, time.Time{}},
		{"token", apiErr(40001), 1, models.RcptQueued, now.Add(5 * time.Second)},
		{"unverified", apiErr(48001), 2, models.RcptQueued, now.Add(10 * time.Second)},
		{"bad argument", apiErr(47003), 1, models.RcptFailed, time.Time{}},
		{"window closed", apiErr(45015), 1, models.RcptFailed, time.Time{}},
		{"unfollowed", apiErr(43004), 1, models.RcptSkipped, time.Time{}},
		{"unfollowed here", wechat.ErrUnsubscribed, 1, models.RcptSkipped, time.Time{}},
		{"refused here", models.Errorf(models.EINVALID, "no such kind"), 1, models.RcptFailed, time.Time{}},
		{"HTTP 502", errors.New("http get error : uri=x , statusCode=502"), 1, models.RcptQueued, now.Add(5 * time.Second)},
		{"refused connection", errors.New("dial tcp: connection refused"), 1, models.RcptQueued, now.Add(5 * time.Second)},
		{"timeout: maybe delivered", errors.New("context deadline exceeded"), 1, models.RcptUnknown, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := SendOutcome(models.ChannelTemplate, tc.err, tc.attempts, 3, now)
			if o.State != tc.state || !o.NextAt.Equal(tc.next) || o.Channel != models.ChannelTemplate {
				t.Fatalf("got %+v; want %s at %s", o, tc.state, tc.next)
			}
		})
	}
}
