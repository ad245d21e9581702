package delivery

import (
	"fmt"
	"strings"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// The delivery policy: pure functions of their arguments (no database, no
// clock of their own), shared by the engine and the mass path and tested
// by tables in policy_test.go.

// QuietHours hold pushes during the night: From and To are "15:04" in Loc
// (From > To spans midnight). Empty From or To: no quiet hours.
type QuietHours struct {
	From, To string
	Loc      *time.Location
}

// Until reports whether now is in quiet hours and when they end.
func (q QuietHours) Until(now time.Time) (time.Time, bool) {
	if q.From == "" || q.To == "" {
		return time.Time{}, false
	}
	loc := q.Loc
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	hm := local.Format("15:04")
	in := (q.From <= q.To && hm >= q.From && hm < q.To) ||
		(q.From > q.To && (hm >= q.From || hm < q.To))
	if !in {
		return time.Time{}, false
	}
	var h, m int
	fmt.Sscanf(strings.Replace(q.To, ":", " ", 1), "%d %d", &h, &m)
	end := time.Date(local.Year(), local.Month(), local.Day(), h, m, 0, 0, loc)
	if !end.After(local) {
		end = end.AddDate(0, 0, 1)
	}
	return end, true
}

// FrequencyCap allows at most Max pushes per fan within Window (Max 0: off).
// Every push counts, whatever its channel (custom, template, mass). The rule
// itself is models.PushCapRule, which the audience estimate uses too.
type FrequencyCap models.PushCapRule

// On reports whether the cap applies at all.
func (c FrequencyCap) On() bool { return models.PushCapRule(c).On() }

// Since is where the window that now ends begins: pushes sent since then count.
func (c FrequencyCap) Since(now time.Time) time.Time { return models.PushCapRule(c).Since(now) }

// Over reports whether a fan who had sent pushes in the window may get no
// more, and says why for the recipient's row.
func (c FrequencyCap) Over(sent int64) (reason string, over bool) {
	if !models.PushCapRule(c).Full(sent) {
		return "", false
	}
	return fmt.Sprintf(reasonCapPrefix+" %d pushes in %s", sent, c.Window), true
}

// ChooseChannel picks how a push reaches a fan: by customer-service message
// while the fan's window is open with messages left, else by template
// message when the push has one. known is false when the fan is no longer a
// member. A non-empty skip says why the fan is skipped instead.
func ChooseChannel(w models.Window, known, hasTemplate bool) (channel, skip string) {
	switch {
	case !known:
		return "", reasonNotMember
	case w.Blacklisted:
		return "", reasonBlacklisted
	case w.Open && w.Left > 0:
		return models.ChannelCustom, ""
	case !hasTemplate:
		why := w.Why
		if w.Open {
			why = models.WhyQuota
		}
		return "", reasonUnreach + why + ", and no template message is set"
	}
	return models.ChannelTemplate, ""
}

// Transient reports whether a call that failed with errcode code may
// succeed if made again later: the platform was busy or a quota resets
// (wechat.ErrTransient), or there was no errcode at all (an HTTP error
// status, a refused connection). Account errors are not transient: only
// the engine retries them, so that its breaker pauses sending until the
// account is fixed (SendOutcome); the mass path has no breaker and fails
// the job (a 48001 on mass/send is an account that may not use it).
func Transient(code int) bool {
	return code == 0 || wechat.ClassOf(code) == wechat.ErrTransient
}

// Backoff is an exponential retry schedule: First after the first attempt,
// doubling with each further attempt, at most Doublings times.
type Backoff struct {
	First     time.Duration
	Doublings int
}

// The two schedules. Single sends start at 5 s (the engine's breaker adds
// its own pause when failures pile up); mass calls, limited to 60 a minute
// with 45066 for "retried too fast", start at 20 s.
var (
	SendBackoff = Backoff{First: 5 * time.Second, Doublings: 8}
	MassBackoff = Backoff{First: 20 * time.Second, Doublings: 5}
)

// After is the wait after attempts failed attempts (1 for the first).
func (b Backoff) After(attempts int) time.Duration {
	return b.First << min(max(attempts-1, 0), b.Doublings)
}

// Retry says whether to retry a failed call after attempts attempts (this
// one included) out of maxAttempts, and when.
func (b Backoff) Retry(attempts, maxAttempts int, now time.Time) (time.Time, bool) {
	if attempts >= maxAttempts {
		return time.Time{}, false
	}
	return now.Add(b.After(attempts)), true
}

// SendOutcome classifies a custom or template send's result after attempts
// attempts (this one included): transient and account errors are retried
// with SendBackoff until maxAttempts; the platform's refusals are final (43004,
// unfollowed, is a skip). A call that got no answer (a timeout, a
// connection cut after the request went out) may have been delivered: it
// is "unknown" and is not sent again, as after a crash.
func SendOutcome(channel string, err error, attempts, maxAttempts int, now time.Time) models.Outcome {
	if err == nil {
		return models.Outcome{State: models.RcptSent, Channel: channel}
	}
	code := wechat.ErrCode(err)
	o := models.Outcome{State: models.RcptFailed, Channel: channel, ErrCode: code, Reason: err.Error()}
	if err == wechat.ErrUnsubscribed || code == 43004 {
		o.State, o.Reason = models.RcptSkipped, reasonUnfollowed
		return o
	}
	if models.ErrorCode(err) != models.EINTERNAL {
		return o // refused here (e.g. a message kind WeChat cannot take): never sent
	}
	if code == 0 && !neverArrived(err) {
		o.State, o.Reason = models.RcptUnknown, "no answer from WeChat, it may have delivered the message (not resent): "+o.Reason
		return o
	}
	if !Transient(code) && wechat.ClassOf(code) != wechat.ErrAccountBroken {
		return o
	}
	if at, ok := SendBackoff.Retry(attempts, maxAttempts, now); ok {
		o.State, o.NextAt = models.RcptQueued, at
		o.Reason = "retrying: " + o.Reason
	}
	return o
}

// neverArrived tells errors where WeChat answered with an HTTP error status
// or the request never left (the SDK reports both as text) from those where
// the request may have been processed.
func neverArrived(err error) bool {
	msg := err.Error()
	for _, s := range []string{"statusCode=", "connection refused", "no such host"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
