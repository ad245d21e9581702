package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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

// Delivery is the one engine every push goes through (broadcasts, care
// messages, draw notices). Recipients are rows: workers claim them, send
// within a rate limit, retry transient errors with backoff, and resume after
// a crash without sending anything twice.
type Delivery struct {
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
	Now     func() time.Time

	mu          sync.Mutex // the breaker, shared by the senders
	failures    int
	pause       time.Duration
	pausedUntil time.Time
}

// Deliver runs the engine every 2 s (a run drains what is due).
func (r *Runner) Deliver(d *Delivery) Job {
	return Job{Name: "deliver", Spec: "@every 2s", Run: func(ctx context.Context) error {
		_, err := d.RunOnce(ctx)
		return err
	}}
}

// Engine defaults.
const (
	defaultSenders = 4
	// breakerAfter transient errors in a row pause the engine (no retry
	// storm against a failing API); the pause doubles up to breakerMax.
	breakerAfter = 5
	breakerFirst = 5 * time.Second
	breakerMax   = 5 * time.Minute
	flushEvery   = 100 * time.Millisecond
)

// RunOnce recovers expired claims, then claims and delivers due recipients
// until none are left or ctx ends. It returns how many it handled. When ctx
// ends it hands back the claims it has not started, and returns nil.
func (d *Delivery) RunOnce(ctx context.Context) (int, error) {
	if _, unknown, err := d.Store.RecoverClaims(ctx); err != nil {
		return 0, err
	} else if unknown > 0 {
		d.Log.Warn("deliveries interrupted mid-send marked unknown (not resent)", "count", unknown)
	}
	if d.Now().Before(d.pausedUntil) {
		return 0, nil
	}
	pushes := map[uint64]*models.Push{}
	seen := map[uint64]bool{} // a recipient is handled at most once per run
	done := 0
	for ctx.Err() == nil {
		batch, err := d.Store.ClaimRecipients(ctx, d.Worker, d.claimSize(), d.Lease)
		if err != nil {
			return done, err
		}
		if len(batch) == 0 {
			break
		}
		n, more, err := d.deliverBatch(ctx, pushes, seen, batch)
		done += n
		if err != nil {
			return done, err
		}
		if !more {
			break
		}
	}
	if ctx.Err() != nil {
		if _, err := d.Store.ReleaseClaims(context.WithoutCancel(ctx), d.Worker); err != nil {
			d.Log.Error("hand back claims", "err", err)
		}
		return done, nil
	}
	return done, d.Store.CompletePushes(ctx)
}

// claimSize is Batch, cut so that a batch is sent within a quarter of the
// lease at the limiter's rate (a claim must not run out while it waits).
func (d *Delivery) claimSize() int {
	n := max(d.Batch, 1)
	if lim := d.Limiter.Limit(); lim != rate.Inf && d.Lease > 0 {
		n = min(n, max(1, int(float64(lim)*d.Lease.Seconds()/4)))
	}
	return n
}

// sendJob is one recipient on its way to the API.
type sendJob struct {
	r       *models.Recipient
	p       *models.Push
	channel string
}

// deliverBatch decides for every claimed recipient (quiet hours, frequency
// cap and service windows in a few queries for the whole batch), then sends
// to the reachable ones through Senders goroutines under the limiter. It
// reports how many it handled and whether to claim more.
func (d *Delivery) deliverBatch(ctx context.Context, pushes map[uint64]*models.Push, seen map[uint64]bool, batch []models.Recipient) (int, bool, error) {
	now := d.Now()
	var finished []models.Finished
	finish := func(r *models.Recipient, o models.Outcome) {
		finished = append(finished, models.Finished{ID: r.ID, Outcome: o})
	}
	if until, quiet := d.quietUntil(now); quiet {
		for i := range batch {
			finish(&batch[i], models.Outcome{State: models.RcptQueued, NextAt: until, Reason: "quiet hours"})
		}
		return len(batch), true, d.Store.FinishRecipients(ctx, d.Worker, finished)
	}
	more := true
	var todo []*models.Recipient
	for i := range batch {
		r := &batch[i]
		if seen[r.ID] {
			// Requeued in this run yet due again (clock skew): release it
			// for the next run instead of spinning.
			finish(r, models.Outcome{State: models.RcptQueued, NextAt: now.Add(time.Minute), Reason: r.Reason})
			more = false
			continue
		}
		seen[r.ID] = true
		if pushes[r.PushID] == nil {
			p, err := d.Store.FindPush(ctx, r.PushID)
			if err != nil {
				return 0, false, err
			}
			pushes[r.PushID] = p
		}
		todo = append(todo, r)
	}
	memberIDs, openIDs := make([]uint64, len(todo)), make([]string, len(todo))
	for i, r := range todo {
		memberIDs[i], openIDs[i] = r.MemberID, r.OpenID
	}
	var recent map[uint64]int64
	if d.FrequencyCap > 0 && len(todo) > 0 {
		var err error
		if recent, err = d.Store.RecentPushCounts(ctx, memberIDs, now.Add(-d.CapWindow)); err != nil {
			return 0, false, err
		}
	}
	windows, err := d.Store.ServiceWindows(ctx, openIDs, d.Window)
	if err != nil {
		return 0, false, err
	}
	var send []sendJob
	for _, r := range todo {
		p := pushes[r.PushID]
		if d.FrequencyCap > 0 {
			if n := recent[r.MemberID]; n >= int64(d.FrequencyCap) {
				finish(r, models.Outcome{State: models.RcptSkipped, Reason: fmt.Sprintf("frequency cap: %d pushes in %s", n, d.CapWindow)})
				continue
			}
			recent[r.MemberID]++ // a fan in two pushes of one batch
		}
		w, known := windows[r.OpenID]
		channel := models.ChannelCustom
		switch {
		case !known:
			finish(r, models.Outcome{State: models.RcptSkipped, Reason: "the fan is no longer a member"})
			continue
		case w.Open && w.Left > 0:
			w.Left--
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
		send = append(send, sendJob{r: r, p: p, channel: channel})
	}
	if err := d.Store.FinishRecipients(ctx, d.Worker, finished); err != nil {
		return 0, false, err
	}
	sent, stopped, err := d.sendAll(ctx, send, now)
	if stopped {
		more = false
	}
	return len(todo) - len(send) + sent + (len(batch) - len(todo)), more, err
}

// sendAll sends jobs: a feeder takes limiter tokens for a small group,
// writes "sending" for the whole group in one statement (before any call,
// so a crash never resends), and hands the group to the senders; outcomes
// are written in batches every flushEvery. It returns how many were sent
// (tried), and whether it stopped early (ctx ended or the breaker opened);
// recipients it never started are handed back.
func (d *Delivery) sendAll(ctx context.Context, jobs []sendJob, now time.Time) (int, bool, error) {
	if len(jobs) == 0 {
		return 0, false, nil
	}
	senders := d.Senders
	if senders <= 0 {
		senders = defaultSenders
	}
	group := senders
	if lim := d.Limiter.Limit(); lim != rate.Inf {
		group = max(group, min(int(lim/20), 200)) // about 50 ms of sending
	} else {
		group = max(group, 50)
	}
	fctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	work := make(chan sendJob, group)
	results := make(chan models.Finished, group)
	var unstarted []sendJob
	go func() { // feeder
		defer close(work)
		for i := 0; i < len(jobs); i += group {
			g := jobs[i:min(i+group, len(jobs))]
			ids := make([]uint64, 0, len(g))
			for _, j := range g {
				if d.Limiter.Wait(fctx) != nil {
					break
				}
				ids = append(ids, j.r.ID)
			}
			if fctx.Err() != nil {
				unstarted = append(unstarted, jobs[i:]...)
				return
			}
			held, err := d.Store.MarkSendingBatch(fctx, ids, d.Worker)
			if err != nil {
				unstarted = append(unstarted, jobs[i:]...)
				stop(err)
				return
			}
			for _, j := range g {
				if slices.Contains(held, j.r.ID) {
					work <- j // a lost claim: the new holder decides
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				// An in-flight call finishes even when ctx ends: its outcome
				// must be recorded.
				err := d.send(context.WithoutCancel(ctx), j)
				results <- models.Finished{ID: j.r.ID, Outcome: d.outcome(j.r, j.channel, err, now)}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	var pending []models.Finished
	var ferr error
	flush := func() {
		if len(pending) > 0 && ferr == nil {
			ferr = d.Store.FinishRecipients(context.WithoutCancel(ctx), d.Worker, pending)
			if ferr != nil {
				stop(ferr)
			}
		}
		pending = pending[:0]
	}
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	sent, breaker := 0, false
	for open := true; open; {
		select {
		case f, ok := <-results:
			if !ok {
				open = false
				break
			}
			sent++
			pending = append(pending, f)
			if d.trip(f.Outcome) && !breaker {
				breaker = true
				stop(errBreaker)
			}
			if len(pending) >= 2*group {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
	flush()
	if ferr != nil {
		return sent, true, ferr
	}
	if cause := context.Cause(fctx); cause != nil && !errors.Is(cause, errBreaker) && ctx.Err() == nil {
		return sent, true, cause // a database error while marking
	}
	if len(unstarted) > 0 && ctx.Err() == nil {
		// The breaker opened: the rest wait out the pause in the queue.
		back := make([]models.Finished, len(unstarted))
		for i, j := range unstarted {
			back[i] = models.Finished{ID: j.r.ID, Outcome: models.Outcome{State: models.RcptQueued, NextAt: d.pausedUntil, Reason: j.r.Reason}}
		}
		return sent, true, d.Store.FinishRecipients(ctx, d.Worker, back)
	}
	return sent, len(unstarted) > 0 || breaker, nil
}

// errBreaker stops a batch when the API keeps failing.
var errBreaker = errors.New("delivery paused: the WeChat API keeps failing")

// trip counts transient failures in a row and reports whether the engine
// should pause; it sets pausedUntil, doubling the pause each time.
func (d *Delivery) trip(o models.Outcome) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if o.State != models.RcptQueued {
		d.failures, d.pause = 0, 0
		return false
	}
	d.failures++
	if d.failures < breakerAfter {
		return false
	}
	d.failures = 0
	d.pause = min(max(2*d.pause, breakerFirst), breakerMax)
	d.pausedUntil = d.Now().Add(d.pause)
	d.Log.Warn("the WeChat API keeps failing: delivery paused", "for", d.pause, "errcode", o.ErrCode, "reason", o.Reason)
	return true
}

// send makes one API call on the push's channel.
func (d *Delivery) send(ctx context.Context, j sendJob) error {
	if j.channel == models.ChannelCustom {
		reply, _ := j.p.Reply() // checked before the job was queued
		return d.Sender.SendCustom(ctx, j.r.OpenID, reply)
	}
	return d.Sender.SendTemplate(ctx, j.r.OpenID, j.p.TemplateID, j.p.TemplateFields())
}

// outcome classifies a send's result: transient errors (system busy -1,
// daily quota 45009, minute quota 45011, HTTP errors and timeouts) are
// retried with exponential backoff; the platform's refusals are final
// (45015 window closed, 45047 window quota used up, 43004 unfollowed).
func (d *Delivery) outcome(r *models.Recipient, channel string, err error, now time.Time) models.Outcome {
	if err == nil {
		return models.Outcome{State: models.RcptSent, Channel: channel}
	}
	code := wechat.ErrCode(err)
	o := models.Outcome{State: models.RcptFailed, Channel: channel, ErrCode: code, Reason: err.Error()}
	if err == wechat.ErrUnsubscribed || code == 43004 {
		o.State, o.Reason = models.RcptSkipped, "unfollowed"
		return o
	}
	transient := code == 0 || code == -1 || code == 45009 || code == 45011
	if transient && r.Attempts+1 < d.MaxAttempts {
		backoff := time.Duration(1<<min(r.Attempts, 8)) * 5 * time.Second
		o.State, o.NextAt = models.RcptQueued, now.Add(backoff)
		o.Reason = "retrying: " + o.Reason
	}
	return o
}

// quietUntil reports whether now is in quiet hours and when they end.
func (d *Delivery) quietUntil(now time.Time) (time.Time, bool) {
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
