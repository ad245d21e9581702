// Package delivery sends every push: the engine (claim, decide, send, the
// breaker), the mass path, and the policy they share. It reads and writes
// through models and talks to WeChat through wechat; jobs/ schedules it.
package delivery

import (
	"context"

	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// PushSender is what delivery needs from the WeChat side (wechat.Sender):
// both calls record the attempt in the member's conversation.
type PushSender interface {
	SendCustom(ctx context.Context, openID string, r models.Reply) error
	SendTemplate(ctx context.Context, openID, templateID string, data map[string]string) error
}

// Engine is the one engine every push goes through (broadcasts, care
// messages, draw notices). Recipients are rows: workers claim them, send
// within a rate limit, retry transient errors with backoff, and resume after
// a crash without sending anything twice.
type Engine struct {
	Store  *models.Store
	Sender PushSender
	Log    *slog.Logger
	// Worker names this process in claims (unique per process).
	Worker string
	// Limiter caps sends per second from this process.
	Limiter *rate.Limiter
	// Batch is how many recipients one claim takes; Lease how long a claim
	// lasts before another worker may take it over.
	Batch int
	Lease time.Duration
	// FrequencyCap: at most this many pushes per fan per CapWindow (0: off).
	FrequencyCap int
	CapWindow    time.Duration
	// QuietFrom/QuietTo ("22:00", "08:00") hold pushes during the night in
	// Loc; empty: no quiet hours.
	QuietFrom, QuietTo string
	Loc                *time.Location
	// Window is the platform's customer-service window.
	Window models.WindowRules
	// MaxAttempts bounds retries of transient errors.
	MaxAttempts int
	// Senders is how many API calls the process keeps in flight, all under
	// Limiter (0: 4).
	Senders int
	// BreakAfter is how many failed calls in a row pause the engine (the
	// breaker against a failing API; 0: 5).
	BreakAfter int
	Now        func() time.Time

	mu          sync.Mutex // the breaker, shared by the senders
	failures    int
	pause       time.Duration
	pausedUntil time.Time
}

// RunOnce recovers expired claims, then claims and delivers due recipients
// until none are left or ctx ends. It returns how many it handled. When ctx
// ends it hands back the claims it has not started, and returns nil.
//
// Claiming and deciding run ahead of sending: while one batch is being sent,
// the next is claimed and checked, so the limiter never waits on the
// database between batches.
func (d *Engine) RunOnce(ctx context.Context) (int, error) {
	if _, unknown, err := d.Store.RecoverClaims(ctx); err != nil {
		return 0, err
	} else if unknown > 0 {
		d.Log.Warn("deliveries interrupted mid-send marked unknown (not resent)", "count", unknown)
	}
	if d.Now().Before(d.paused()) {
		return 0, nil
	}
	run := &runState{pushes: map[uint64]*models.Push{}, seen: map[uint64]bool{}, sends: map[uint64]int64{}}
	done := 0
	for {
		n, drained, err := d.pass(ctx, run)
		done += n
		if ctx.Err() != nil {
			return done, nil
		}
		if err != nil {
			return done, err
		}
		// A claim can come back empty while rows are still held by this
		// run's own writes in flight (MySQL's SKIP LOCKED passes over
		// them). Once the pass has committed everything, look again; a
		// pass that handled nothing ends the run (recipients are handled
		// once per run, so this ends).
		if !drained || n == 0 {
			break
		}
	}
	return done, d.Store.CompletePushes(ctx)
}

// pass claims and delivers batches until a claim comes back empty
// (drained), the pipeline stops (the breaker) or there is no more to do,
// then waits for the sends under way. It returns how many it handled.
func (d *Engine) pass(ctx context.Context, run *runState) (done int, drained bool, runErr error) {
	p := d.startPipeline(ctx)
	for p.ctx.Err() == nil {
		batch, err := d.Store.ClaimRecipients(ctx, d.Worker, d.claimSize(), d.Lease)
		if err != nil || len(batch) == 0 {
			runErr, drained = err, err == nil
			break
		}
		jobs, n, more, err := d.decide(ctx, run, batch)
		done += n
		if err != nil {
			runErr = err
			break
		}
		for _, j := range jobs {
			select {
			case p.in <- j:
			case <-p.ctx.Done():
			}
		}
		if !more {
			break
		}
	}
	sent, stopped, err := p.finish()
	done += sent
	if runErr == nil {
		runErr = err
	}
	if stopped || runErr != nil || ctx.Err() != nil {
		drained = false
		// Claimed but never marked sending: back to the queue at once.
		if _, err := d.Store.ReleaseClaims(context.WithoutCancel(ctx), d.Worker); err != nil {
			d.Log.Error("hand back claims", "err", err)
		}
	}
	return done, drained, runErr
}

// runState is what one RunOnce remembers across its batches.
type runState struct {
	pushes map[uint64]*models.Push
	seen   map[uint64]bool  // a recipient is handled at most once per run
	sends  map[uint64]int64 // member → sends queued in this run (frequency cap)
}

// claimSize is Batch, cut to an eighth of what the limiter sends in a lease:
// up to three batches wait in the pipeline, and a claim must not run out
// while it waits.
func (d *Engine) claimSize() int {
	n := max(d.Batch, 1)
	if lim := d.Limiter.Limit(); lim != rate.Inf && d.Lease > 0 {
		n = min(n, max(1, int(float64(lim)*d.Lease.Seconds()/8)))
	}
	return n
}

// decide settles every claimed recipient that needs no API call (quiet
// hours, frequency cap, unreachable, damaged message) with a few queries for
// the whole batch, and returns the others as send jobs with their channel.
// It reports how many it settled and whether to claim more.
func (d *Engine) decide(ctx context.Context, run *runState, batch []models.Recipient) ([]sendJob, int, bool, error) {
	now := d.Now()
	var finished []models.Finished
	finish := func(r *models.Recipient, o models.Outcome) {
		finished = append(finished, models.Finished{ID: r.ID, Outcome: o})
	}
	if until, quiet := d.quietUntil(now); quiet {
		for i := range batch {
			finish(&batch[i], models.Outcome{State: models.RcptQueued, NextAt: until, Reason: "quiet hours"})
		}
		return nil, len(batch), true, d.Store.FinishRecipients(ctx, d.Worker, finished)
	}
	more := true
	var todo []*models.Recipient
	for i := range batch {
		r := &batch[i]
		if run.seen[r.ID] {
			// Requeued in this run yet due again (clock skew): release it
			// for the next run instead of spinning.
			finish(r, models.Outcome{State: models.RcptQueued, NextAt: now.Add(time.Minute), Reason: r.Reason})
			more = false
			continue
		}
		run.seen[r.ID] = true
		if run.pushes[r.PushID] == nil {
			p, err := d.Store.FindPush(ctx, r.PushID)
			if err != nil {
				return nil, 0, false, err
			}
			run.pushes[r.PushID] = p
		}
		todo = append(todo, r)
	}
	memberIDs, openIDs := make([]uint64, len(todo)), make([]string, len(todo))
	for i, r := range todo {
		memberIDs[i], openIDs[i] = r.MemberID, r.OpenID
	}
	recent := map[uint64]int64{}
	if d.FrequencyCap > 0 && len(todo) > 0 {
		var err error
		if recent, err = d.Store.RecentPushCounts(ctx, memberIDs, now.Add(-d.CapWindow)); err != nil {
			return nil, 0, false, err
		}
	}
	windows, err := d.Store.ServiceWindows(ctx, openIDs, d.Window)
	if err != nil {
		return nil, 0, false, err
	}
	var send []sendJob
	for _, r := range todo {
		p := run.pushes[r.PushID]
		if d.FrequencyCap > 0 {
			// Sends of this run may not be written yet: count them too.
			if n := recent[r.MemberID] + run.sends[r.MemberID]; n >= int64(d.FrequencyCap) {
				finish(r, models.Outcome{State: models.RcptSkipped, Reason: fmt.Sprintf("frequency cap: %d pushes in %s", n, d.CapWindow)})
				continue
			}
		}
		w, known := windows[r.OpenID]
		channel := models.ChannelCustom
		switch {
		case !known:
			finish(r, models.Outcome{State: models.RcptSkipped, Reason: "the fan is no longer a member"})
			continue
		case w.Open && w.Left > 0:
			w.Left-- // a fan in two pushes of one batch
			windows[r.OpenID] = w
		case p.TemplateID == "":
			why := w.Why
			if w.Open {
				why = "the fan's message quota for this window is used up"
			}
			finish(r, models.Outcome{State: models.RcptSkipped, Reason: "unreachable: " + why + ", and no template message is set"})
			continue
		default:
			channel = models.ChannelTemplate
		}
		if channel == models.ChannelCustom {
			if _, err := p.Reply(); err != nil {
				finish(r, models.Outcome{State: models.RcptFailed, Channel: channel, Reason: "the push's message is damaged"})
				continue
			}
		}
		run.sends[r.MemberID]++
		send = append(send, sendJob{r: r, p: p, channel: channel})
	}
	return send, len(batch) - len(send), more, d.Store.FinishRecipients(ctx, d.Worker, finished)
}

// send makes one API call on the push's channel.
func (d *Engine) send(ctx context.Context, j sendJob) error {
	if j.channel == models.ChannelCustom {
		reply, _ := j.p.Reply() // checked before the job was queued
		return d.Sender.SendCustom(ctx, j.r.OpenID, reply)
	}
	return d.Sender.SendTemplate(ctx, j.r.OpenID, j.p.TemplateID, j.p.TemplateFields())
}

// outcome classifies a send's result: transient errors (system busy -1,
// daily quota 45009, minute quota 45011, account errors, HTTP error
// statuses, a refused connection) are retried with exponential backoff; the platform's refusals
// are final (45015 window closed, 45047 window quota used up, 43004
// unfollowed). A call that got no answer (a timeout, a connection cut after
// the request went out) may have been delivered: it is "unknown" and is not
// sent again, as after a crash.
func (d *Engine) outcome(r *models.Recipient, channel string, err error, now time.Time) models.Outcome {
	if err == nil {
		return models.Outcome{State: models.RcptSent, Channel: channel}
	}
	code := wechat.ErrCode(err)
	o := models.Outcome{State: models.RcptFailed, Channel: channel, ErrCode: code, Reason: err.Error()}
	if err == wechat.ErrUnsubscribed || code == 43004 {
		o.State, o.Reason = models.RcptSkipped, "unfollowed"
		return o
	}
	if models.ErrorCode(err) != models.EINTERNAL {
		return o // refused here (e.g. a message kind WeChat cannot take): never sent
	}
	if code == 0 && !neverArrived(err) {
		o.State, o.Reason = models.RcptUnknown, "no answer from WeChat, it may have delivered the message (not resent): "+o.Reason
		return o
	}
	transient := code == 0 || code == -1 || code == 45009 || code == 45011 || accountErrors[code]
	if transient && r.Attempts+1 < d.MaxAttempts {
		backoff := time.Duration(1<<min(r.Attempts, 8)) * 5 * time.Second
		o.State, o.NextAt = models.RcptQueued, now.Add(backoff)
		o.Reason = "retrying: " + o.Reason
	}
	return o
}

// accountErrors are about the account, not the fan (a bad token or secret,
// the server's IP not whitelisted, an unverified account): retried, so the
// breaker pauses the engine until someone fixes the account, instead of
// failing every fan of the push.
var accountErrors = map[int]bool{40001: true, 40013: true, 40125: true, 40164: true, 41001: true, 42001: true, 48001: true}

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

// quietUntil reports whether now is in quiet hours and when they end.
func (d *Engine) quietUntil(now time.Time) (time.Time, bool) {
	if d.QuietFrom == "" || d.QuietTo == "" {
		return time.Time{}, false
	}
	local := now.In(d.Loc)
	hm := local.Format("15:04")
	in := (d.QuietFrom <= d.QuietTo && hm >= d.QuietFrom && hm < d.QuietTo) ||
		(d.QuietFrom > d.QuietTo && (hm >= d.QuietFrom || hm < d.QuietTo))
	if !in {
		return time.Time{}, false
	}
	var h, m int
	fmt.Sscanf(strings.Replace(d.QuietTo, ":", " ", 1), "%d %d", &h, &m)
	end := time.Date(local.Year(), local.Month(), local.Day(), h, m, 0, 0, d.Loc)
	if !end.After(local) {
		end = end.AddDate(0, 0, 1)
	}
	return end, true
}
