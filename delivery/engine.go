// Package delivery sends every push: the engine (claim, decide, send, the
// breaker), the mass path, and the policy they share. It reads and writes
// through models and talks to WeChat through wechat; jobs/ schedules it.
package delivery

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/settings"
)

// PushSender is what delivery needs from the WeChat side (wechat.Sender):
// both calls record the attempt in the member's conversation.
type PushSender interface {
	SendCustom(ctx context.Context, openID string, r models.Reply) error
	// SendTemplate returns the msgid WeChat gave the message.
	SendTemplate(ctx context.Context, openID, templateID string, data map[string]string) (int64, error)
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
	// Live, when set, holds the rate, frequency cap and quiet hours in
	// force (saved in the console) over Limiter's rate, FrequencyCap and
	// QuietFrom/QuietTo.
	Live *settings.Live

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
	d.followRate()
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
	if until, quiet := d.quiet().Until(now); quiet {
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
	capRule := d.freqCap()
	recent := map[uint64]int64{}
	if capRule.On() && len(todo) > 0 {
		var err error
		if recent, err = d.Store.RecentPushCounts(ctx, memberIDs, capRule.Since(now)); err != nil {
			return nil, 0, false, err
		}
	}
	windows, err := d.Store.ServiceWindows(ctx, openIDs, d.Window)
	if err != nil {
		return nil, 0, false, err
	}
	fans, err := d.fanVars(ctx, run, todo)
	if err != nil {
		return nil, 0, false, err
	}
	var send []sendJob
	for _, r := range todo {
		p := run.pushes[r.PushID]
		// Sends of this run may not be written yet: count them too.
		if why, over := capRule.Over(recent[r.MemberID] + run.sends[r.MemberID]); over {
			finish(r, models.Outcome{State: models.RcptSkipped, Reason: why})
			continue
		}
		w, known := windows[r.OpenID]
		channel, skip := ChooseChannel(w, known, p.TemplateID != "")
		if skip != "" {
			finish(r, models.Outcome{State: models.RcptSkipped, Reason: skip})
			continue
		}
		if channel == models.ChannelCustom {
			w.Left-- // a fan in two pushes of one batch
			windows[r.OpenID] = w
			if _, err := p.Reply(); err != nil {
				finish(r, models.Outcome{State: models.RcptFailed, Channel: channel, Reason: "the push's message is damaged"})
				continue
			}
		}
		j := sendJob{r: r, p: p, channel: channel}
		if p.Personal() {
			// Each fan gets their own message: fill in their name, points, ….
			v := fans[r.MemberID]
			if v == nil {
				v = models.NewFanVars(ctx, nil, &models.Member{ID: r.MemberID, OpenID: r.OpenID})
			}
			var err error
			if j.reply, j.fields, err = p.PersonalMessage(v); err != nil {
				finish(r, models.Outcome{State: models.RcptFailed, Channel: channel, Reason: "变量无法填写：" + models.ErrorMessage(err)})
				continue
			}
			j.personal = true
		}
		run.sends[r.MemberID]++
		send = append(send, j)
	}
	return send, len(batch) - len(send), more, d.Store.FinishRecipients(ctx, d.Worker, finished)
}

// send makes one API call on the push's channel; a template message's
// msgid comes back (0 for a customer-service message).
func (d *Engine) send(ctx context.Context, j sendJob) (int64, error) {
	if j.personal {
		if j.channel == models.ChannelCustom {
			return 0, d.Sender.SendCustom(ctx, j.r.OpenID, j.reply)
		}
		return d.Sender.SendTemplate(ctx, j.r.OpenID, j.p.TemplateID, j.fields)
	}
	if j.channel == models.ChannelCustom {
		reply, _ := j.p.Reply() // checked before the job was queued
		return 0, d.Sender.SendCustom(ctx, j.r.OpenID, reply)
	}
	return d.Sender.SendTemplate(ctx, j.r.OpenID, j.p.TemplateID, j.p.TemplateFields())
}

// fanVars loads the variables of the batch's fans whose push is filled in
// per fan (two queries for the batch; none when no push has variables).
func (d *Engine) fanVars(ctx context.Context, run *runState, todo []*models.Recipient) (map[uint64]*models.FanVars, error) {
	var ids []uint64
	for _, r := range todo {
		if run.pushes[r.PushID].Personal() {
			ids = append(ids, r.MemberID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return d.Store.FanVarsFor(ctx, ids)
}

// quiet is the engine's quiet hours.
func (d *Engine) quiet() QuietHours {
	if d.Live != nil {
		from, to := d.Live.Current().Quiet()
		return QuietHours{From: from, To: to, Loc: d.Loc}
	}
	return QuietHours{From: d.QuietFrom, To: d.QuietTo, Loc: d.Loc}
}

// freqCap is the engine's frequency cap.
func (d *Engine) freqCap() FrequencyCap {
	if d.Live != nil {
		return FrequencyCap{Max: int(d.Live.Current().Int(settings.PushCap)), Window: d.CapWindow}
	}
	return FrequencyCap{Max: d.FrequencyCap, Window: d.CapWindow}
}

// followRate sets the limiter to the rate in force, when Live has one
// that differs (a change in the console takes effect at the next run).
func (d *Engine) followRate() {
	if d.Live == nil || d.Limiter == nil {
		return
	}
	r := d.Live.Current().Int(settings.DeliveryRate)
	if r <= 0 || rate.Limit(r) == d.Limiter.Limit() {
		return
	}
	d.Limiter.SetLimit(rate.Limit(r))
	d.Limiter.SetBurst(max(1, int(r)/20))
}
