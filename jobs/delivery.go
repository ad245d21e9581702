package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
	Now         func() time.Time
}

// Deliver runs the engine every 2 s (a run drains what is due), in every
// process: the processes share the recipients through row claims.
func (r *Runner) Deliver(d *Delivery) Job {
	return Job{Name: "deliver", Spec: "@every 2s", EveryProcess: true, Run: func(ctx context.Context) error {
		_, err := d.RunOnce(ctx)
		return err
	}}
}

// RunOnce recovers expired claims, then claims and delivers due recipients
// until none are left or ctx ends. It returns how many it handled.
func (d *Delivery) RunOnce(ctx context.Context) (int, error) {
	if _, unknown, err := d.Store.RecoverClaims(ctx); err != nil {
		return 0, err
	} else if unknown > 0 {
		d.Log.Warn("deliveries interrupted mid-send marked unknown (not resent)", "count", unknown)
	}
	pushes := map[uint64]*models.Push{}
	seen := map[uint64]bool{} // a recipient is handled at most once per run
	done := 0
	for ctx.Err() == nil {
		batch, err := d.Store.ClaimRecipients(ctx, d.Worker, d.Batch, d.Lease)
		if err != nil {
			return done, err
		}
		if len(batch) == 0 {
			break
		}
		for i := range batch {
			r := &batch[i]
			if seen[r.ID] {
				// Requeued in this run yet due again (clock skew): release
				// it for the next run instead of spinning.
				return done, d.Store.FinishRecipient(ctx, r, d.Worker, models.Outcome{State: models.RcptQueued, NextAt: d.Now().Add(time.Minute), Reason: r.Reason})
			}
			seen[r.ID] = true
			p := pushes[r.PushID]
			if p == nil {
				if p, err = d.Store.FindPush(ctx, r.PushID); err != nil {
					return done, err
				}
				pushes[r.PushID] = p
			}
			if err := d.deliver(ctx, p, r); err != nil {
				return done, err
			}
			done++
		}
	}
	return done, d.Store.CompletePushes(ctx)
}

// deliver decides how to reach one fan and sends.
func (d *Delivery) deliver(ctx context.Context, p *models.Push, r *models.Recipient) error {
	now := d.Now()
	finish := func(o models.Outcome) error { return d.Store.FinishRecipient(ctx, r, d.Worker, o) }
	if until, quiet := d.quietUntil(now); quiet {
		return finish(models.Outcome{State: models.RcptQueued, NextAt: until, Reason: "quiet hours"})
	}
	if d.FrequencyCap > 0 {
		n, err := d.Store.RecentPushes(ctx, r.MemberID, now.Add(-d.CapWindow))
		if err != nil {
			return err
		}
		if n >= int64(d.FrequencyCap) {
			return finish(models.Outcome{State: models.RcptSkipped, Reason: fmt.Sprintf("frequency cap: %d pushes in %s", n, d.CapWindow)})
		}
	}
	w, err := d.Store.ServiceWindow(ctx, r.OpenID, d.Window)
	if err != nil {
		return err
	}
	channel := models.ChannelCustom
	if !w.Open {
		if p.TemplateID == "" {
			return finish(models.Outcome{State: models.RcptSkipped, Reason: "unreachable: " + w.Why + ", and no template message is set"})
		}
		channel = models.ChannelTemplate
	}
	if err := d.Limiter.Wait(ctx); err != nil {
		return err
	}
	if ok, err := d.Store.MarkSending(ctx, r, d.Worker); err != nil || !ok {
		return err // a lost claim: the new holder decides
	}
	if channel == models.ChannelCustom {
		reply, perr := p.Reply()
		if perr != nil {
			return finish(models.Outcome{State: models.RcptFailed, Channel: channel, Reason: "the push's message is damaged"})
		}
		err = d.Sender.SendCustom(ctx, r.OpenID, reply)
	} else {
		err = d.Sender.SendTemplate(ctx, r.OpenID, p.TemplateID, p.TemplateFields())
	}
	return finish(d.outcome(r, channel, err, now))
}

// outcome classifies a send's result: transient errors are retried with
// exponential backoff, the platform's refusals are final.
func (d *Delivery) outcome(r *models.Recipient, channel string, err error, now time.Time) models.Outcome {
	if err == nil {
		return models.Outcome{State: models.RcptSent, Channel: channel}
	}
	code := wechat.ErrCode(err)
	o := models.Outcome{State: models.RcptFailed, Channel: channel, ErrCode: code, Reason: err.Error()}
	if err == wechat.ErrUnsubscribed {
		o.State, o.Reason = models.RcptSkipped, "unfollowed"
		return o
	}
	if errors.Is(err, wechat.ErrTimeout) {
		// WeChat may have delivered it and answered late: resending could
		// give the fan two copies, so it is recorded like a send cut short.
		o.State, o.Reason = models.RcptUnknown, "no answer from WeChat in time: it may have been delivered, so it is not resent"
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
