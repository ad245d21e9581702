// Package roles is the 5C pipeline that answers each inbound message, and
// the role methods the console, the API and the CLI call. Each role lives in
// its own file; the order of the chain is fixed in Roles.Chain: Close Service
// → Consulting → Client → Care → Center.
package roles

import (
	"context"
	"log/slog"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/models"
)

// Turn is one inbound message on its way through the roles.
type Turn struct {
	// Msg is the parsed message or event.
	Msg *message.MixMessage
	// Inbound is its row in the message log; Member its (upserted) sender,
	// nil for events the platform sends (MASSSENDJOBFINISH).
	Inbound *models.Message
	Member  *models.Member
	// Replies collects the answers: the first goes back as the passive
	// reply, the rest as customer-service messages.
	Replies []models.Reply
	// Done means the fan has been answered (or a person has the chat):
	// later roles still run for their side effects (attribution, levels)
	// but must not reply.
	Done bool
	// RuleID is the Consulting rule that answered, if any.
	RuleID uint64
	// Unanswered marks a fan's text that no rule matched.
	Unanswered bool
	// RunChange is what the answer does to the member's run of unanswered
	// texts (models.RunKeep, RunReset, RunAdd); ConversationID is the open
	// conversation the fan wrote in. Both are stored with the answer, in
	// the same batch as the message's final state.
	RunChange      int
	ConversationID uint64
}

// Reply appends r to the answers.
func (t *Turn) Reply(r models.Reply) { t.Replies = append(t.Replies, r) }

// Role is one of the five roles. Handle may act on the member and, unless
// t.Done, add replies and set t.Done. An error is logged and the chain goes on:
// one failing role must not silence the others.
type Role interface {
	Name() string
	Handle(ctx context.Context, t *Turn) error
}

// Finisher is a role that also looks at the finished turn (after every
// role ran), e.g. to escalate after repeated unanswered questions.
type Finisher interface {
	Finish(ctx context.Context, t *Turn) error
}

// Pipeline runs the roles in order.
type Pipeline struct {
	Roles []Role
	Log   *slog.Logger
}

// Run passes t through every role in order, then lets Finishers look at
// the result. A blacklisted fan's message is recorded (by the caller) and
// goes to no role: no rule reply, no escalation, no points, no journey.
func (p *Pipeline) Run(ctx context.Context, t *Turn) {
	if t.Member != nil && t.Member.Blacklisted {
		p.Log.Info("blacklisted fan: recorded, not answered", "member", t.Member.ID)
		return
	}
	for _, r := range p.Roles {
		if ctx.Err() != nil {
			break
		}
		if err := r.Handle(ctx, t); err != nil {
			p.Log.Error("role failed", "role", r.Name(), "openid", t.Msg.FromUserName, "err", err)
		}
	}
	for _, r := range p.Roles {
		if f, ok := r.(Finisher); ok && ctx.Err() == nil {
			if err := f.Finish(ctx, t); err != nil {
				p.Log.Error("role finish failed", "role", r.Name(), "openid", t.Msg.FromUserName, "err", err)
			}
		}
	}
}

// Answer is what the turn produced, for the message log.
func (t *Turn) Answer(state string) models.Answer {
	if state == "" {
		state = models.StateNone
		if len(t.Replies) > 0 {
			state = models.StateReplied
		}
	}
	a := models.Answer{State: state, Replies: t.Replies, RuleID: t.RuleID, Unanswered: t.Unanswered,
		Run: t.RunChange, ConversationID: t.ConversationID}
	if t.Member != nil {
		a.MemberID = t.Member.ID
	}
	return a
}
