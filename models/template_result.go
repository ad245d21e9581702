package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// TemplateResult is WeChat's TEMPLATESENDJOBFINISH for a template message
// it accepted but did not deliver (the fan turned template messages off,
// a system failure). Only failures are kept. The event may arrive before
// fivec has stored the send it belongs to: the send then finds it here
// (applyTemplateResults), so the order does not matter.
type TemplateResult struct {
	MsgID     int64  `gorm:"primaryKey;autoIncrement:false"`
	OpenID    string `gorm:"size:64;not null"`
	Status    string `gorm:"size:64;not null"`
	CreatedAt time.Time
}

// templateFailurePrefix marks the stored reason of a template message
// WeChat accepted and then did not deliver; WeChat's status follows it.
const templateFailurePrefix = "TEMPLATESENDJOBFINISH: "

// TemplateFailure is the reason stored on a message-log row or a push
// recipient whose template message WeChat reported as not delivered.
func TemplateFailure(status string) string { return templateFailurePrefix + status }

// TemplateFailureStatus returns WeChat's status from a reason written by
// TemplateFailure; ok is false for any other reason.
func TemplateFailureStatus(reason string) (status string, ok bool) {
	return strings.CutPrefix(reason, templateFailurePrefix)
}

// TemplateFinish is one TEMPLATESENDJOBFINISH event.
type TemplateFinish struct {
	MsgID  int64
	OpenID string
	Status string
	// Failed: Status says the message was not delivered (the caller
	// decides, from wechat's table of statuses).
	Failed bool
}

// RecordTemplateFinish stores a template message's fate. A failure turns
// the send from sent to failed, with WeChat's status as the reason, in the
// fan's message log and on the push recipient (so progress, reports and
// the broadcast's report count it as failed); when fivec has not stored the
// send yet, the send applies it as it is stored. ours reports whether the
// msgid belongs to a send fivec made (known now).
func (s *Store) RecordTemplateFinish(ctx context.Context, f TemplateFinish) (ours bool, err error) {
	if f.MsgID == 0 {
		return false, Errorf(EINVALID, "a template result needs its msgid")
	}
	db := s.db.WithContext(ctx)
	if !f.Failed {
		var n int64
		err := db.Model(&Message{}).Where("template_msg_id = ? AND direction = ?", f.MsgID, DirectionOut).Count(&n).Error
		return n > 0, translate("template result", err)
	}
	r := TemplateResult{MsgID: f.MsgID, OpenID: truncateUTF8(f.OpenID, 64), Status: truncateUTF8(f.Status, 64), CreatedAt: s.now()}
	// A retried event changes nothing: the first one is kept.
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error; err != nil {
		return false, translate("template result", err)
	}
	var n int64
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		n, err = applyTemplateResults(tx, []int64{f.MsgID})
		return err
	})
	return n > 0, translate("template result", err)
}

// applyTemplateResults marks the sends of msgIDs that WeChat reported as
// not delivered (template_results) as failed.
func (s *Store) applyTemplateResults(ctx context.Context, msgIDs []int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		_, err := applyTemplateResults(tx, msgIDs)
		return err
	})
}

// applyTemplateResults turns the sent message-log rows and recipients of
// the failed msgIDs into failed ones and returns how many sends matched.
// Only "sent" rows change: a row already failed keeps its first reason.
func applyTemplateResults(tx *gorm.DB, msgIDs []int64) (int64, error) {
	var results []TemplateResult
	if err := tx.Where("msg_id IN ?", msgIDs).Find(&results).Error; err != nil || len(results) == 0 {
		return 0, err
	}
	var matched int64
	for _, r := range results {
		why := TemplateFailure(r.Status)
		res := tx.Model(&Message{}).Where("template_msg_id = ? AND direction = ? AND state = ?", r.MsgID, DirectionOut, StateSent).
			Updates(map[string]any{"state": StateFailed, "error": truncateUTF8(why, 255)})
		if res.Error != nil {
			return matched, res.Error
		}
		matched += res.RowsAffected
		res = tx.Model(&Recipient{}).Where("template_msg_id = ? AND state = ?", r.MsgID, RcptSent).
			Updates(map[string]any{"state": RcptFailed, "reason": truncateUTF8(why, 191)})
		if res.Error != nil {
			return matched, res.Error
		}
		matched += res.RowsAffected
	}
	return matched, nil
}
