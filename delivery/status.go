package delivery

import (
	"strings"
	"time"

	"github.com/fivec/fivec/models"
)

// What people are told about runs and audiences: pure functions over the
// policy in policy.go (the one quiet-hours rule, the one frequency cap),
// so the console and the API say what the engine will do.

// QuietHoursOf is the account's quiet hours as the broadcast policy carries
// them (the same settings the engine is built with).
func QuietHoursOf(p models.BroadcastPolicy) QuietHours {
	return QuietHours{From: p.QuietFrom, To: p.QuietTo, Loc: p.Loc}
}

// StartsAt is when a run due at `at` really starts sending: at itself,
// or when the quiet hours `at` falls in end (held is then true).
func (q QuietHours) StartsAt(at time.Time) (start time.Time, held bool) {
	if until, quiet := q.Until(at); quiet {
		return until, true
	}
	return at, false
}

// RunStatus is p with quiet hours taken into account: a run with
// recipients left while quiet hours hold pushes is waiting, every
// remaining recipient with it, until the quiet hours end.
func (q QuietHours) RunStatus(p models.BroadcastProgress, now time.Time) models.BroadcastProgress {
	if p.Status != models.RunStatusSending && p.Status != models.RunStatusPlanning {
		return p
	}
	if p.Status == models.RunStatusSending && p.Remaining == 0 && p.Total > 0 {
		return p
	}
	if until, quiet := q.Until(now); quiet {
		p.Status, p.Waiting, p.ResumeAt = models.RunStatusWaiting, p.Remaining, &until
	}
	return p
}

// RunStatuses applies RunStatus to each run.
func (q QuietHours) RunStatuses(runs []models.BroadcastProgress, now time.Time) []models.BroadcastProgress {
	for i := range runs {
		runs[i] = q.RunStatus(runs[i], now)
	}
	return runs
}

// Why a recipient was skipped, or failed without an errcode, as a stable
// kind that the console and the API put in words (the catalogue's
// bc.why.<kind> and bc.fix.<kind>), whatever detail the stored reason has.
const (
	WhyUnfollowed    = "unfollowed"    // the fan unfollowed (43004 included)
	WhyNotMember     = "not_member"    // the member row is gone
	WhyFrequencyCap  = "frequency_cap" // FrequencyCap.Over
	WhyWindowClosed  = "window_closed" // 48 h window closed, no template message
	WhyWindowQuota   = "window_quota"  // window open, its messages used up, no template
	WhyMonthlyQuota  = "monthly_quota" // a service account fan's 4 mass messages this month
	WhyCancelled     = "cancelled"     // the broadcast was cancelled
	WhyDamaged       = "damaged"       // the stored message cannot be decoded
	WhyNoErrcode     = "no_errcode"    // a failure with no errcode (network, HTTP status)
	WhyOther         = "other"         // anything else (the stored text is kept for the log)
	reasonUnfollowed = "unfollowed"
	reasonNotMember  = "the fan is no longer a member"
	reasonCapPrefix  = "frequency cap:"
	reasonUnreach    = "unreachable: "
)

// A fan an admin put on the account's blacklist (docs/data-rights.md).
const (
	WhyBlacklisted    = "blacklisted"
	reasonBlacklisted = "blacklisted"
)

// ReasonKind sorts a stored skip or failure reason into its kind. failed
// says the recipient failed (a failure with an unknown text is taken for
// a call that got no errcode).
func ReasonKind(reason string, failed bool) string {
	switch {
	case reason == reasonUnfollowed:
		return WhyUnfollowed
	case reason == reasonNotMember:
		return WhyNotMember
	case reason == reasonBlacklisted:
		return WhyBlacklisted
	case strings.HasPrefix(reason, reasonCapPrefix):
		return WhyFrequencyCap
	case strings.HasPrefix(reason, reasonUnreach) && strings.Contains(reason, models.WhyQuota):
		return WhyWindowQuota
	case strings.HasPrefix(reason, reasonUnreach):
		return WhyWindowClosed
	case strings.Contains(reason, "mass messages this month"):
		return WhyMonthlyQuota
	case reason == "cancelled":
		return WhyCancelled
	case strings.HasSuffix(reason, "message is damaged"):
		return WhyDamaged
	case failed:
		return WhyNoErrcode
	}
	return WhyOther
}

// KindCount is how many recipients one kind of reason holds.
type KindCount struct {
	Kind  string
	Count int64
}

// GroupReasons sums counts by stored reason into kinds, most first (ties
// in kind order).
func GroupReasons(byReason map[string]int64, failed bool) []KindCount {
	sum := map[string]int64{}
	for why, n := range byReason {
		sum[ReasonKind(why, failed)] += n
	}
	var out []KindCount
	for _, k := range []string{WhyUnfollowed, WhyNotMember, WhyFrequencyCap, WhyWindowClosed, WhyWindowQuota,
		WhyMonthlyQuota, WhyBlacklisted, WhyCancelled, WhyDamaged, WhyNoErrcode, WhyOther} {
		if sum[k] > 0 {
			out = append(out, KindCount{Kind: k, Count: sum[k]})
		}
	}
	for i := 1; i < len(out); i++ { // stable insertion sort by count, descending
		for j := i; j > 0 && out[j].Count > out[j-1].Count; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// PlanReasons is why an audience plan cannot reach part of its audience,
// by kind, in the same kinds as a run's skips (unknown openids aside).
func PlanReasons(p models.AudiencePlan) []KindCount {
	var out []KindCount
	for _, k := range []KindCount{{WhyUnfollowed, p.Unfollowed}, {WhyMonthlyQuota, p.OverQuota},
		{WhyFrequencyCap, p.OverCap}, {WhyWindowClosed, p.OutsideWindow}} {
		if k.Count > 0 {
			out = append(out, k)
		}
	}
	return out
}
