package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// MassSender is what the mass path needs from WeChat (wechat.Mass).
type MassSender interface {
	Send(ctx context.Context, to wechat.MassTarget, r models.Reply, clientMsgID string) (wechat.MassResult, error)
	Status(ctx context.Context, msgID int64) (string, error)
}

// Broadcasts starts scheduled broadcasts when they are due (once, or by
// cron in the account's time zone) and sends the mass-send runs; direct
// runs are delivered by the delivery Engine like every other push.
type Broadcasts struct {
	Store  *models.Store
	Mass   MassSender
	Log    *slog.Logger
	Policy models.BroadcastPolicy
	// Delivery supplies the quiet hours and the frequency cap, so mass
	// sends keep the same rules as every other push.
	Delivery *Engine
	// Lease is how long a mass job may stay mid-call before another worker
	// sends it again (with the same clientmsgid: WeChat answers 45065).
	Lease       time.Duration
	MaxAttempts int
	Now         func() time.Time
}

// RunOnce starts due runs, plans mass runs into API calls, submits the due
// calls (outside quiet hours) and closes finished runs.
func (b *Broadcasts) RunOnce(ctx context.Context) error {
	started, err := b.Store.StartDueBroadcasts(ctx, b.Policy)
	for _, r := range started {
		b.Log.Info("broadcast run started", "broadcast", r.BroadcastID, "run", r.ID, "channel", r.Channel, "push", r.PushID)
	}
	if err != nil {
		return err
	}
	rules := models.MassRules{Policy: b.Policy}
	if b.Delivery != nil {
		rules.Cap = b.Delivery.freqCap()
	}
	if err := b.Store.PlanMassRuns(ctx, rules); err != nil {
		return err
	}
	if b.Delivery == nil || !b.quiet() {
		for ctx.Err() == nil {
			j, err := b.Store.ClaimMassJob(ctx, b.lease())
			if err != nil {
				return err
			}
			if j == nil {
				break
			}
			if err := b.submit(ctx, j); err != nil {
				return err
			}
		}
	}
	if err := b.Store.PurgeMassFinishEvents(ctx); err != nil {
		return err
	}
	return b.Store.FinishRuns(ctx)
}

func (b *Broadcasts) quiet() bool {
	_, q := b.Delivery.quiet().Until(b.Now())
	return q
}

func (b *Broadcasts) lease() time.Duration {
	if b.Lease > 0 {
		return b.Lease
	}
	return 2 * time.Minute
}

// submit makes one mass call and records its answer.
func (b *Broadcasts) submit(ctx context.Context, j *models.MassJob) error {
	p, err := b.Store.FindPush(ctx, j.PushID)
	if err != nil {
		return err
	}
	reply, err := p.Reply()
	if err != nil {
		return b.Store.FinishMassJob(ctx, j, models.MassOutcome{Reason: "the broadcast's message is damaged"})
	}
	if p.Personal() {
		// Planned before mass sends with variables were refused: WeChat
		// would show every fan "{{.Name}}". Nothing is sent.
		return b.Store.FinishMassJob(ctx, j, models.MassOutcome{Reason: models.ErrMassVariables + "，未发送：请删除变量或改为直发"})
	}
	to := wechat.MassTarget{ToAll: j.Target == models.MassToAll, TagID: j.TagID}
	if j.Target == models.MassToOpenIDs {
		if to.OpenIDs, err = b.Store.MassJobOpenIDs(ctx, j); err != nil {
			return err
		}
		if len(to.OpenIDs) == 0 {
			return b.Store.FinishMassJob(ctx, j, models.MassOutcome{Status: "empty", Reason: "no recipient left to send to"})
		}
	}
	res, err := b.Mass.Send(ctx, to, reply, j.ClientMsgID)
	o := models.MassOutcome{MsgID: res.MsgID}
	switch {
	case err == nil && res.Duplicate:
		// WeChat accepted this clientmsgid before (a resend after a crash):
		// ask what became of the first send rather than assume anything.
		st, serr := b.Mass.Status(ctx, res.MsgID)
		o.Status, o.ErrCode = st, 45065
		o.Reason = "already submitted (45065); mass/get says " + st
		if serr != nil {
			o.Status, o.Reason = "SENDING", "already submitted (45065); mass/get failed: "+serr.Error()
		}
		if st == "SEND_FAIL" {
			o.ErrCode, o.Reason = 45065, "the first submission failed (mass/get: SEND_FAIL)"
		}
	case err == nil:
		o.Status = "SUBMITTED"
	default:
		code := wechat.ErrCode(err)
		o.ErrCode, o.Reason = code, err.Error()
		// j.Attempts counts this call (the claim added it).
		if at, ok := MassBackoff.Retry(j.Attempts, b.maxAttempts(), b.Now()); ok && Transient(code) {
			o.RetryAt, o.Reason = &at, "retrying: "+o.Reason
		}
		b.Log.Warn("mass send refused", "job", j.ID, "errcode", code, "err", err)
	}
	return b.Store.FinishMassJob(ctx, j, o)
}

func (b *Broadcasts) maxAttempts() int {
	if b.MaxAttempts > 0 {
		return b.MaxAttempts
	}
	return 5
}
