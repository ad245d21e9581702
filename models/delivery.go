package models

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Push states.
const (
	PushDraft     = "draft"
	PushScheduled = "scheduled"
	PushSending   = "sending"
	PushPaused    = "paused"
	PushDone      = "done"
	PushCancelled = "cancelled"
)

// Recipient states. "sending" is written before the API call, so a crash
// between the call and the result leaves "sending" behind: such rows become
// "unknown" (maybe delivered) and are never sent again.
const (
	RcptQueued  = "queued"
	RcptClaimed = "claimed"
	RcptSending = "sending"
	RcptSent    = "sent"
	RcptFailed  = "failed"
	RcptSkipped = "skipped"
	RcptUnknown = "unknown"
)

// Push is one outbound campaign (a broadcast, a care step, a draw notice):
// one message for many fans, delivered by the delivery engine.
type Push struct {
	ID      uint64 `gorm:"primaryKey"`
	Kind    string `gorm:"size:16;not null;index"` // broadcast, care, draw
	Name    string `gorm:"size:191;not null"`
	Content string `gorm:"type:text;not null"` // Reply as JSON
	// TemplateID and TemplateData reach fans whose customer-service window
	// is closed ("" : such fans are skipped as unreachable).
	TemplateID   string `gorm:"size:64"`
	TemplateData string `gorm:"type:text"` // JSON map
	State        string `gorm:"size:16;not null;index"`
	ScheduledAt  *time.Time
	StaffID      uint64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Reply decodes the push's message.
func (p *Push) Reply() (Reply, error) {
	var r Reply
	err := json.Unmarshal([]byte(p.Content), &r)
	return r, err
}

// TemplateFields decodes the template data.
func (p *Push) TemplateFields() map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal([]byte(p.TemplateData), &m)
	return m
}

// Recipient is one fan of a push, with their delivery status.
type Recipient struct {
	ID           uint64     `gorm:"primaryKey"`
	PushID       uint64     `gorm:"not null;uniqueIndex:idx_rcpt_push_member,priority:1;index:idx_rcpt_push_state,priority:1"`
	MemberID     uint64     `gorm:"not null;uniqueIndex:idx_rcpt_push_member,priority:2"`
	OpenID       string     `gorm:"size:64;not null"`
	State        string     `gorm:"size:16;not null;index:idx_rcpt_push_state,priority:2;index:idx_rcpt_due,priority:1"`
	NextAt       time.Time  `gorm:"index:idx_rcpt_due,priority:2"`
	Channel      string     `gorm:"size:16"` // custom or template, once tried
	Attempts     int        `gorm:"not null;default:0"`
	ErrCode      int        `gorm:"not null;default:0"`
	Reason       string     `gorm:"size:191"`
	ClaimedBy    string     `gorm:"size:64"`
	ClaimedUntil *time.Time `gorm:"index"`
	SentAt       *time.Time
}

// NewPush is what a caller asks to deliver.
type NewPush struct {
	Kind, Name   string
	Reply        Reply
	TemplateID   string
	TemplateData map[string]string
	ScheduledAt  *time.Time // nil: now
	StaffID      uint64
}

// CreatePush stores a push and its recipients (members by id; unfollowed
// members are recorded as skipped). Recipients are inserted in batches;
// the push starts sending when scheduled.
func (s *Store) CreatePush(ctx context.Context, n NewPush, memberIDs []uint64) (*Push, error) {
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" || len(n.Name) > 191 {
		return nil, Errorf(EINVALID, "a push needs a name of 1-191 bytes")
	}
	if err := n.Reply.Validate(); err != nil {
		return nil, err
	}
	if n.Reply.Kind == ReplyTransfer {
		return nil, Errorf(EINVALID, "a push cannot transfer to customer service")
	}
	content, _ := json.Marshal(n.Reply)
	data, _ := json.Marshal(n.TemplateData)
	p := &Push{Kind: n.Kind, Name: n.Name, Content: string(content), TemplateID: n.TemplateID, TemplateData: string(data),
		State: PushScheduled, ScheduledAt: n.ScheduledAt, StaffID: n.StaffID}
	now := s.now()
	if p.ScheduledAt == nil {
		p.ScheduledAt = &now
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		const batch = 1000
		for i := 0; i < len(memberIDs); i += batch {
			ids := memberIDs[i:min(i+batch, len(memberIDs))]
			var members []Member
			if err := tx.Select("id, open_id, subscribed").Where("id IN ?", ids).Find(&members).Error; err != nil {
				return err
			}
			rows := make([]Recipient, 0, len(members))
			for _, m := range members {
				r := Recipient{PushID: p.ID, MemberID: m.ID, OpenID: m.OpenID, State: RcptQueued, NextAt: *p.ScheduledAt}
				if !m.Subscribed {
					r.State, r.Reason = RcptSkipped, "unfollowed"
				}
				rows = append(rows, r)
			}
			if len(rows) > 0 {
				if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 500).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	return p, translate("create push", err)
}

// FindPush returns one push.
func (s *Store) FindPush(ctx context.Context, id uint64) (*Push, error) {
	var p Push
	return &p, translate("push", s.db.WithContext(ctx).Take(&p, id).Error)
}

// PushCounts is a push's delivery progress.
type PushCounts map[string]int64

// PushProgress counts a push's recipients by state.
func (s *Store) PushProgress(ctx context.Context, pushID uint64) (PushCounts, error) {
	var rows []struct {
		State string
		N     int64
	}
	err := s.db.WithContext(ctx).Model(&Recipient{}).Select("state, COUNT(*) AS n").Where("push_id = ?", pushID).
		Group("state").Scan(&rows).Error
	out := PushCounts{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, translate("push progress", err)
}

// SetPushState pauses, resumes (scheduled) or cancels a push.
func (s *Store) SetPushState(ctx context.Context, pushID uint64, state string) error {
	switch state {
	case PushPaused, PushScheduled, PushCancelled:
	default:
		return Errorf(EINVALID, "a push can be paused, resumed or cancelled")
	}
	res := s.db.WithContext(ctx).Model(&Push{}).Where("id = ? AND state NOT IN ?", pushID, []string{PushDone, PushCancelled}).
		Updates(map[string]any{"state": state, "updated_at": s.now()})
	if res.Error == nil && res.RowsAffected == 0 {
		return Errorf(ECONFLICT, "the push has finished or was cancelled")
	}
	if res.Error == nil && state == PushCancelled {
		res = s.db.WithContext(ctx).Model(&Recipient{}).Where("push_id = ? AND state = ?", pushID, RcptQueued).
			Updates(map[string]any{"state": RcptSkipped, "reason": "cancelled"})
	}
	return translate("push state", res.Error)
}
