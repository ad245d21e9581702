package models

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Queries that pick recipients by id (or member id) write "+state": the
// unary plus keeps SQLite, which has no statistics, from taking the
// (state, claimed_until) index for an equality on state and scanning every
// queued row of every push instead of looking the ids up (MySQL ignores it).

// ClaimRecipients leases up to n due recipients of running pushes to
// worker, oldest push first, in (next_at, id) order within a push (the
// (push_id, state, next_at) index walks them without sorting a million
// queued rows). On MySQL the rows are picked with FOR UPDATE SKIP LOCKED, so
// several processes share the work without waiting on each other; SQLite
// has one writer, so the transaction alone keeps claims apart.
func (s *Store) ClaimRecipients(ctx context.Context, worker string, n int, lease time.Duration) ([]Recipient, error) {
	now := s.now()
	var running []uint64
	if err := s.db.WithContext(ctx).Model(&Push{}).Where("state IN ? AND scheduled_at <= ?", []string{PushScheduled, PushSending}, now).
		Order("id").Pluck("id", &running).Error; err != nil {
		return nil, translate("claim recipients", err)
	}
	var out []Recipient
	for _, pushID := range running {
		err := s.tx(ctx, func(tx *gorm.DB) error {
			q := tx.Model(&Recipient{}).Select("id").
				Where("push_id = ? AND state = ? AND next_at <= ?", pushID, RcptQueued, now).
				Order("next_at, id").Limit(n - len(out))
			if tx.Dialector.Name() == "mysql" {
				q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
			}
			var ids []uint64
			if err := q.Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
				return err
			}
			until := now.Add(lease)
			if err := tx.Model(&Recipient{}).Where("id IN ("+idList(ids)+") AND +state = ?", RcptQueued).
				Updates(map[string]any{"state": RcptClaimed, "claimed_by": worker, "claimed_until": until}).Error; err != nil {
				return err
			}
			if err := tx.Model(&Push{}).Where("id = ? AND state = ?", pushID, PushScheduled).
				Updates(map[string]any{"state": PushSending, "updated_at": now}).Error; err != nil {
				return err
			}
			var got []Recipient
			err := tx.Where("id IN ("+idList(ids)+") AND claimed_by = ? AND +state = ?", worker, RcptClaimed).Order("next_at, id").Find(&got).Error
			out = append(out, got...)
			return err
		})
		if err != nil {
			return out, translate("claim recipients", err)
		}
		if len(out) >= n {
			break
		}
	}
	return out, nil
}

// MarkSendingBatch records, just before the API calls, that worker is
// sending to the recipients ids (one statement for a group). It returns the
// ids it still held; the others' claims were lost (expired and taken over)
// and must not be sent.
func (s *Store) MarkSendingBatch(ctx context.Context, ids []uint64, worker string) ([]uint64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	db := s.db.WithContext(ctx)
	var marked int64
	err := s.tx(ctx, func(tx *gorm.DB) error { // a deadlock victim is retried
		res := tx.Model(&Recipient{}).Where("id IN ("+idList(ids)+") AND +state = ? AND claimed_by = ?", RcptClaimed, worker).
			Updates(map[string]any{"state": RcptSending, "attempts": gorm.Expr("attempts + 1")})
		marked = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return nil, translate("mark sending", err)
	}
	if marked == int64(len(ids)) {
		return ids, nil
	}
	var held []uint64
	err = db.Model(&Recipient{}).Where("id IN ("+idList(ids)+") AND +state = ? AND claimed_by = ?", RcptSending, worker).Order("id").Pluck("id", &held).Error
	return held, translate("mark sending", err)
}

// MarkSending records, just before the API call, that worker is sending to
// r. It returns false when the claim was lost (expired and taken over).
func (s *Store) MarkSending(ctx context.Context, r *Recipient, worker string) (bool, error) {
	held, err := s.MarkSendingBatch(ctx, []uint64{r.ID}, worker)
	return len(held) == 1, err
}

// Outcome is the result of one delivery attempt.
type Outcome struct {
	State   string // sent, failed, skipped, or queued to retry at NextAt
	Channel string
	ErrCode int
	Reason  string
	NextAt  time.Time
	// TemplateMsgID is the msgid WeChat gave a template message sent.
	TemplateMsgID int64
}

// FinishRecipient stores an attempt's outcome (only while worker holds it).
func (s *Store) FinishRecipient(ctx context.Context, r *Recipient, worker string, o Outcome) error {
	return s.FinishRecipients(ctx, worker, []Finished{{ID: r.ID, Outcome: o}})
}

// Finished is one recipient's outcome, for FinishRecipients.
type Finished struct {
	ID uint64
	Outcome
}

// FinishRecipients stores many outcomes at once (only for recipients worker
// still holds): outcomes that write the same values share one UPDATE, so a
// batch of successful sends is one statement.
func (s *Store) FinishRecipients(ctx context.Context, worker string, done []Finished) error {
	if len(done) == 0 {
		return nil
	}
	type key struct {
		state, channel, reason string
		code                   int
		next                   int64
	}
	groups := map[key][]uint64{}
	var order []key
	for _, f := range done {
		k := key{f.State, f.Channel, truncateUTF8(f.Reason, 191), f.ErrCode, 0}
		if f.State == RcptQueued {
			k.next = f.NextAt.UTC().UnixMilli()
		}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], f.ID)
	}
	now := s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Template messages' msgids first (one statement, a CASE per
		// recipient), while the worker still holds the rows.
		var msgIDs []int64
		var held []uint64
		cases, args := "CASE id", []any{}
		for _, f := range done {
			if f.TemplateMsgID != 0 {
				held = append(held, f.ID)
				msgIDs = append(msgIDs, f.TemplateMsgID)
				cases += " WHEN ? THEN ?"
				args = append(args, f.ID, f.TemplateMsgID)
			}
		}
		if len(held) > 0 {
			if err := tx.Model(&Recipient{}).Where("id IN ("+idList(held)+") AND claimed_by = ? AND +state IN ?", worker, []string{RcptClaimed, RcptSending}).
				Update("template_msg_id", gorm.Expr(cases+" ELSE template_msg_id END", args...)).Error; err != nil {
				return err
			}
		}
		for _, k := range order {
			updates := map[string]any{"state": k.state, "channel": k.channel, "err_code": k.code,
				"reason": k.reason, "claimed_by": "", "claimed_until": nil}
			switch k.state {
			case RcptSent:
				updates["sent_at"] = now
			case RcptQueued:
				updates["next_at"] = time.UnixMilli(k.next).UTC()
			}
			if err := tx.Model(&Recipient{}).Where("id IN ("+idList(groups[k])+") AND claimed_by = ? AND +state IN ?", worker, []string{RcptClaimed, RcptSending}).
				Updates(updates).Error; err != nil {
				return err
			}
		}
		if len(msgIDs) == 0 {
			return nil
		}
		// WeChat may have reported a failure before the outcome was stored.
		_, err := applyTemplateResults(tx, msgIDs)
		return err
	})
	return translate("finish recipient", err)
}

// ReleaseClaims hands back what worker claimed but never started sending
// (a clean shutdown), so other workers need not wait for the lease.
func (s *Store) ReleaseClaims(ctx context.Context, worker string) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *gorm.DB) error { // a deadlock victim is retried
		res := tx.Model(&Recipient{}).Where("state = ? AND claimed_by = ?", RcptClaimed, worker).
			Updates(map[string]any{"state": RcptQueued, "claimed_by": "", "claimed_until": nil})
		n = res.RowsAffected
		return res.Error
	})
	return n, translate("release claims", err)
}

// RecoverClaims handles leases that ran out (a worker died): recipients
// never attempted go back to the queue; those caught mid-send become
// "unknown", because WeChat may have delivered them, and are not resent.
func (s *Store) RecoverClaims(ctx context.Context) (requeued, unknown int64, err error) {
	now := s.now()
	// In a transaction of its own so that a deadlock with another worker's
	// claim (MySQL picks a victim) is retried instead of failing the run.
	err = s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Recipient{}).Where("state = ? AND claimed_until < ?", RcptClaimed, now).
			Updates(map[string]any{"state": RcptQueued, "claimed_by": "", "claimed_until": nil})
		if res.Error != nil {
			return res.Error
		}
		requeued = res.RowsAffected
		res = tx.Model(&Recipient{}).Where("state = ? AND claimed_until < ?", RcptSending, now).
			Updates(map[string]any{"state": RcptUnknown, "reason": "the worker stopped mid-send: WeChat may have delivered it", "claimed_by": "", "claimed_until": nil})
		unknown = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, 0, translate("recover claims", err)
	}
	return requeued, unknown, nil
}

// CompletePushes marks sending pushes with nothing left to do as done.
func (s *Store) CompletePushes(ctx context.Context) error {
	return translate("complete pushes", s.tx(ctx, func(tx *gorm.DB) error { // deadlocks retried, as above
		open := tx.Session(&gorm.Session{NewDB: true}).Model(&Recipient{}).Select("1").
			Where("recipients.push_id = pushes.id AND recipients.state IN ?", []string{RcptQueued, RcptClaimed, RcptSending})
		return tx.Model(&Push{}).Where("state = ? AND NOT EXISTS (?)", PushSending, open).
			Updates(map[string]any{"state": PushDone, "updated_at": s.now()}).Error
	}))
}

// RecentPushes counts pushes delivered to a member since since (the
// frequency cap).
func (s *Store) RecentPushes(ctx context.Context, memberID uint64, since time.Time) (int64, error) {
	n, err := s.RecentPushCounts(ctx, []uint64{memberID}, since)
	return n[memberID], err
}

// RecentPushCounts is RecentPushes for a batch of members, in one query.
func (s *Store) RecentPushCounts(ctx context.Context, memberIDs []uint64, since time.Time) (map[uint64]int64, error) {
	if len(memberIDs) == 0 {
		return map[uint64]int64{}, nil
	}
	var rows []struct {
		MemberID uint64
		N        int64
	}
	err := s.db.WithContext(ctx).Model(&Recipient{}).Select("member_id, COUNT(*) AS n").
		Where("member_id IN ("+idList(memberIDs)+") AND +state = ? AND sent_at >= ?", RcptSent, since.UTC()).Group("member_id").Scan(&rows).Error
	out := make(map[uint64]int64, len(rows))
	for _, r := range rows {
		out[r.MemberID] = r.N
	}
	return out, translate("recent pushes", err)
}

// ServiceWindows is ServiceWindow for a batch of fans, in three queries
// whatever the batch's size: one reads the members, two read the message
// log of those who interacted within the longer of the two windows
// (nobody else can have a window open).
func (s *Store) ServiceWindows(ctx context.Context, openIDs []string, rules WindowRules) (map[string]Window, error) {
	var members []Member
	if err := s.db.WithContext(ctx).Select("open_id, subscribed, blacklisted, last_interaction_at").Where("open_id IN ?", openIDs).
		Find(&members).Error; err != nil {
		return nil, translate("service windows", err)
	}
	horizon := s.now().Add(-max(rules.Length, rules.EventLength))
	out := make(map[string]Window, len(members))
	var recent []string
	for _, m := range members {
		switch {
		case m.Blacklisted:
			out[m.OpenID] = Window{Why: WhyBlacklisted, Blacklisted: true}
		case !m.Subscribed:
			out[m.OpenID] = Window{Why: WhyUnfollowed}
		case m.LastInteractionAt == nil || m.LastInteractionAt.Before(horizon):
			out[m.OpenID] = Window{Why: WhySilent} // what the rule says of a fan with no action since
		default:
			recent = append(recent, m.OpenID)
		}
	}
	windows, err := s.windowsFromLog(ctx, recent, rules)
	if err != nil {
		return nil, err
	}
	for id, w := range windows {
		out[id] = w
	}
	return out, nil
}
