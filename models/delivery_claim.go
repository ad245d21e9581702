package models

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ClaimRecipients leases up to n due recipients of running pushes to
// worker. On MySQL the rows are picked with FOR UPDATE SKIP LOCKED, so
// several processes share the work without waiting on each other; SQLite
// has one writer, so the transaction alone keeps claims apart.
func (s *Store) ClaimRecipients(ctx context.Context, worker string, n int, lease time.Duration) ([]Recipient, error) {
	now := s.now()
	var out []Recipient
	err := s.tx(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&Recipient{}).Select("recipients.id").
			Joins("JOIN pushes ON pushes.id = recipients.push_id").
			Where("recipients.state = ? AND recipients.next_at <= ? AND pushes.state IN ? AND pushes.scheduled_at <= ?",
				RcptQueued, now, []string{PushScheduled, PushSending}, now).
			Order("recipients.id").Limit(n)
		if tx.Dialector.Name() == "mysql" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var ids []uint64
		if err := q.Pluck("recipients.id", &ids).Error; err != nil || len(ids) == 0 {
			return err
		}
		until := now.Add(lease)
		if err := tx.Model(&Recipient{}).Where("id IN ? AND state = ?", ids, RcptQueued).
			Updates(map[string]any{"state": RcptClaimed, "claimed_by": worker, "claimed_until": until}).Error; err != nil {
			return err
		}
		if err := tx.Model(&Push{}).Where("state = ? AND id IN (?)", PushScheduled,
			tx.Session(&gorm.Session{NewDB: true}).Model(&Recipient{}).Select("push_id").Where("id IN ?", ids)).
			Updates(map[string]any{"state": PushSending, "updated_at": now}).Error; err != nil {
			return err
		}
		return tx.Where("id IN ? AND claimed_by = ?", ids, worker).Order("id").Find(&out).Error
	})
	return out, translate("claim recipients", err)
}

// MarkSending records, just before the API call, that worker is sending to
// r. It returns false when the claim was lost (expired and taken over).
func (s *Store) MarkSending(ctx context.Context, r *Recipient, worker string) (bool, error) {
	res := s.db.WithContext(ctx).Model(&Recipient{}).Where("id = ? AND state = ? AND claimed_by = ?", r.ID, RcptClaimed, worker).
		Updates(map[string]any{"state": RcptSending, "attempts": gorm.Expr("attempts + 1")})
	return res.RowsAffected == 1, translate("mark sending", res.Error)
}

// Outcome is the result of one delivery attempt.
type Outcome struct {
	State   string // sent, failed, skipped, or queued to retry at NextAt
	Channel string
	ErrCode int
	Reason  string
	NextAt  time.Time
}

// FinishRecipient stores an attempt's outcome (only while worker holds it).
func (s *Store) FinishRecipient(ctx context.Context, r *Recipient, worker string, o Outcome) error {
	updates := map[string]any{"state": o.State, "channel": o.Channel, "err_code": o.ErrCode,
		"reason": truncateUTF8(o.Reason, 191), "claimed_by": "", "claimed_until": nil}
	switch o.State {
	case RcptSent:
		updates["sent_at"] = s.now()
	case RcptQueued:
		updates["next_at"] = o.NextAt.UTC()
	}
	return translate("finish recipient", s.db.WithContext(ctx).Model(&Recipient{}).
		Where("id = ? AND claimed_by = ? AND state IN ?", r.ID, worker, []string{RcptClaimed, RcptSending}).Updates(updates).Error)
}

// RecoverClaims handles leases that ran out (a worker died): recipients
// never attempted go back to the queue; those caught mid-send become
// "unknown", because WeChat may have delivered them, and are not resent.
func (s *Store) RecoverClaims(ctx context.Context) (requeued, unknown int64, err error) {
	now := s.now()
	db := s.db.WithContext(ctx)
	res := db.Model(&Recipient{}).Where("state = ? AND claimed_until < ?", RcptClaimed, now).
		Updates(map[string]any{"state": RcptQueued, "claimed_by": "", "claimed_until": nil})
	if res.Error != nil {
		return 0, 0, translate("recover claims", res.Error)
	}
	requeued = res.RowsAffected
	res = db.Model(&Recipient{}).Where("state = ? AND claimed_until < ?", RcptSending, now).
		Updates(map[string]any{"state": RcptUnknown, "reason": "the worker stopped mid-send: WeChat may have delivered it", "claimed_by": "", "claimed_until": nil})
	return requeued, res.RowsAffected, translate("recover claims", res.Error)
}

// CompletePushes marks sending pushes with nothing left to do as done.
func (s *Store) CompletePushes(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	open := db.Session(&gorm.Session{NewDB: true}).Model(&Recipient{}).Select("push_id").
		Where("state IN ?", []string{RcptQueued, RcptClaimed, RcptSending})
	return translate("complete pushes", db.Model(&Push{}).Where("state = ? AND id NOT IN (?)", PushSending, open).
		Updates(map[string]any{"state": PushDone, "updated_at": s.now()}).Error)
}

// RecentPushes counts pushes delivered to a member since since (the
// frequency cap).
func (s *Store) RecentPushes(ctx context.Context, memberID uint64, since time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Recipient{}).Where("member_id = ? AND state = ? AND sent_at >= ?", memberID, RcptSent, since.UTC()).
		Count(&n).Error
	return n, translate("recent pushes", err)
}
