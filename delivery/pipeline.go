package delivery

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/fivec/fivec/models"
)

// Engine defaults.
const (
	defaultSenders = 4
	// breakerAfter transient errors in a row pause the engine (no retry
	// storm against a failing API); the pause doubles up to breakerMax.
	breakerAfter = 5
	breakerFirst = 5 * time.Second
	breakerMax   = 5 * time.Minute
	// flushEvery bounds how long an outcome waits to be written.
	flushEvery = 100 * time.Millisecond
	// maxGroup bounds how many recipients one "sending" write covers (the
	// most a kill can leave unknown per process, with the calls in flight).
	maxGroup = 200
)

// sendJob is one recipient on its way to the API.
type sendJob struct {
	r       *models.Recipient
	p       *models.Push
	channel string
	// personal: the message filled in for this fan (a push with
	// variables); reply and fields are then what to send.
	personal bool
	reply    models.Reply
	fields   map[string]string
}

// pipeline sends what RunOnce feeds into in: a feeder takes limiter tokens
// for a group, writes "sending" for the whole group in one statement (before
// any call, so a crash never resends), and hands the group to Senders
// goroutines; a collector writes the outcomes in batches every flushEvery.
type pipeline struct {
	in   chan sendJob
	ctx  context.Context // ends when the pipeline stops: ctx ended, breaker, database error
	stop context.CancelCauseFunc
	done chan struct{}
	sent int   // set before done is closed
	err  error // a database error, set before done is closed
}

// errBreaker stops a run when the API keeps failing.
var errBreaker = errors.New("delivery paused: the WeChat API keeps failing")

func (d *Engine) startPipeline(ctx context.Context) *pipeline {
	senders := d.Senders
	if senders <= 0 {
		senders = defaultSenders
	}
	group := 50
	if d.Limiter.Limit() != rate.Inf {
		// WaitN takes at most Burst tokens at once.
		group = max(1, min(d.Limiter.Burst(), maxGroup))
	}
	pctx, stop := context.WithCancelCause(ctx)
	p := &pipeline{in: make(chan sendJob, d.claimSize()), ctx: pctx, stop: stop, done: make(chan struct{})}
	work := make(chan sendJob, group)
	results := make(chan models.Finished, group)

	go func() { // feeder
		defer close(work)
		for {
			var g []sendJob
			select {
			case j, ok := <-p.in:
				if !ok {
					return
				}
				g = append(g, j)
			case <-pctx.Done():
				return // what is left in p.in is still claimed: RunOnce releases it
			}
		more:
			for len(g) < group {
				select {
				case j, ok := <-p.in:
					if !ok {
						break more
					}
					g = append(g, j)
				default:
					break more
				}
			}
			if d.Limiter.WaitN(pctx, len(g)) != nil {
				return
			}
			ids := make([]uint64, len(g))
			for i, j := range g {
				ids[i] = j.r.ID
			}
			// Not cut short by a stop: once "sending" is written the calls
			// must be made, or the fans would be reported maybe-delivered
			// without a call.
			held, err := d.Store.MarkSendingBatch(context.WithoutCancel(ctx), ids, d.Worker)
			if err != nil {
				stop(err)
				return
			}
			for _, j := range g {
				if slices.Contains(held, j.r.ID) {
					work <- j // the others' claims were lost: the new holder decides
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
				// A call under way finishes even when ctx ends: its outcome
				// must be recorded.
				msgID, err := d.send(context.WithoutCancel(ctx), j)
				o := SendOutcome(j.channel, err, j.r.Attempts+1, d.MaxAttempts, d.Now())
				if o.State == models.RcptSent {
					o.TemplateMsgID = msgID // TEMPLATESENDJOBFINISH reports on it
				}
				results <- models.Finished{ID: j.r.ID, Outcome: o}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	go func() { // collector
		defer close(p.done)
		var pending []models.Finished
		flush := func() {
			if len(pending) > 0 && p.err == nil {
				if p.err = d.Store.FinishRecipients(context.WithoutCancel(ctx), d.Worker, pending); p.err != nil {
					stop(p.err)
				}
			}
			pending = pending[:0]
		}
		tick := time.NewTicker(flushEvery)
		defer tick.Stop()
		for {
			select {
			case f, ok := <-results:
				if !ok {
					flush()
					return
				}
				p.sent++
				pending = append(pending, f)
				if d.trip(f.Outcome) {
					stop(errBreaker)
				}
				if len(pending) >= 2*group {
					flush()
				}
			case <-tick.C:
				flush()
			}
		}
	}()
	return p
}

// finish closes the input, waits for the calls under way and their
// outcomes, and reports how many were sent, whether the pipeline stopped
// early, and a database error if one stopped it.
func (p *pipeline) finish() (sent int, stopped bool, err error) {
	close(p.in)
	<-p.done
	cause := context.Cause(p.ctx)
	p.stop(nil)
	if p.err != nil {
		return p.sent, true, p.err
	}
	if cause != nil && !errors.Is(cause, errBreaker) && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
		return p.sent, true, cause // marking failed
	}
	return p.sent, cause != nil, nil
}

// trip counts transient failures and unanswered calls in a row and reports whether the engine
// should pause; it sets pausedUntil, doubling the pause each time.
func (d *Engine) trip(o models.Outcome) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if o.State != models.RcptQueued && o.State != models.RcptUnknown {
		d.failures, d.pause = 0, 0
		return false
	}
	d.failures++
	after := breakerAfter
	if d.BreakAfter > 0 {
		after = d.BreakAfter
	}
	if d.failures < after {
		return false
	}
	d.failures = 0
	d.pause = min(max(2*d.pause, breakerFirst), breakerMax)
	d.pausedUntil = d.Now().Add(d.pause)
	d.Log.Warn("the WeChat API keeps failing: delivery paused", "for", d.pause, "errcode", o.ErrCode, "reason", o.Reason)
	return true
}

// paused is when the breaker lets the engine send again.
func (d *Engine) paused() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pausedUntil
}
