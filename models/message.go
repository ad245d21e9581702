package models

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Message directions.
const (
	DirectionIn  = "in"
	DirectionOut = "out"
)

// States of a message. An inbound message is "processing" until the
// pipeline answers; then "replied" (answer stored), "none" (nothing to say)
// or "deferred" (the deadline passed; the answer goes out as a
// customer-service message). An outbound message is "sent" or "failed".
const (
	StateProcessing = "processing"
	StateReplied    = "replied"
	StateNone       = "none"
	StateDeferred   = "deferred"
	StateSent       = "sent"
	StateFailed     = "failed"
)

// Outbound channels.
const (
	ChannelPassive  = "passive"
	ChannelCustom   = "custom"
	ChannelTemplate = "template"
	ChannelMass     = "mass"
)

// Message is one entry of the message log: everything a fan sent and
// everything fivec sent to a fan, so a member's whole conversation can be
// shown.
type Message struct {
	ID uint64 `gorm:"primaryKey"`
	// MemberID is written with the row; the log is read by openid, so it
	// has no index of its own (migration 20 dropped it).
	MemberID  uint64
	OpenID    string  `gorm:"size:64;not null;index:idx_messages_openid_created,priority:1"`
	Direction string  `gorm:"size:8;not null"`
	DedupeKey *string `gorm:"size:100;uniqueIndex"`
	MsgType   string  `gorm:"size:32"`
	Event     string  `gorm:"size:64;index:idx_messages_event_created,priority:1"`
	EventKey  string  `gorm:"size:191"`
	Content   string  `gorm:"type:text"`
	Raw       string  `gorm:"type:mediumtext"`
	State     string  `gorm:"size:16"`
	// Replies holds the answer to an inbound message, or the message itself
	// for an outbound one, as a JSON list of Reply.
	Replies string `gorm:"type:text"`
	Channel string `gorm:"size:16"`
	// RuleID is the Consulting rule that answered (inbound) or sent (outbound).
	RuleID *uint64 `gorm:"index:idx_messages_rule_created,priority:1"`
	// Unanswered marks a fan's text that no rule matched (the "unanswered
	// questions" list).
	Unanswered bool `gorm:"not null;default:false;index"`
	ErrCode    int
	Error      string `gorm:"size:255"`
	// TemplateMsgID is the msgid WeChat gave an outbound template message
	// (0: none): TEMPLATESENDJOBFINISH reports its fate under it.
	TemplateMsgID int64     `gorm:"not null;default:0;index:idx_messages_template_msg"`
	CreatedAt     time.Time `gorm:"index:idx_messages_openid_created,priority:2;index:idx_messages_rule_created,priority:2;index:idx_messages_event_created,priority:2"`
	UpdatedAt     time.Time
}

// DecodedReplies returns the stored replies.
func (m *Message) DecodedReplies() ([]Reply, error) { return decodeReplies(m.Replies) }

// Inbound is what the callback records for one message or event.
type Inbound struct {
	DedupeKey   string
	OpenID      string
	UnionID     string
	MsgType     string
	Event       string
	EventKey    string
	Content     string
	Raw         string
	Subscribe   bool
	Unsubscribe bool
	Scene       string
	// Platform marks an event WeChat itself sends (MASSSENDJOBFINISH comes
	// from "mphelper", the mass-send assistant): it is logged, but its
	// sender is not a fan and becomes no member.
	Platform bool
}

// RecordInbound stores an inbound message under its dedupe key and upserts
// its sender, in one transaction. If the key was seen before with the same
// message (sender, type, event, key, content: a retry) it returns the
// stored message with dup = true and changes nothing. If the key belongs
// to a different message, in is new: it is stored under the key plus a
// hash of its content (Message.Rekeyed tells), so it gets its own answer. Under concurrent
// callbacks, Recorder.Record does the same for many messages at once.
func (s *Store) RecordInbound(ctx context.Context, in Inbound) (msg *Message, member *Member, dup bool, err error) {
	if err := in.check(); err != nil {
		return nil, nil, false, err
	}
	op := &recOp{in: &in}
	if err := s.applyOps(ctx, []*recOp{op}); err != nil {
		return nil, nil, false, translate("record inbound", err)
	}
	return op.msg, op.member, op.dup, nil
}

func (in *Inbound) check() error {
	if in.DedupeKey == "" || in.OpenID == "" {
		return Errorf(EINVALID, "inbound message needs a dedupe key and an openid")
	}
	return nil
}

// newInboundMessage is the message-log row of in, "processing".
func newInboundMessage(in Inbound, now time.Time) Message {
	key := in.DedupeKey
	return Message{
		OpenID: in.OpenID, Direction: DirectionIn, DedupeKey: &key,
		MsgType: in.MsgType, Event: in.Event, EventKey: truncateUTF8(in.EventKey, 191),
		Content: truncateUTF8(in.Content, 60000), Raw: in.Raw, State: StateProcessing,
		CreatedAt: now, UpdatedAt: now,
	}
}

// change is what in tells about its sender.
func (in *Inbound) change(now time.Time) memberChange {
	return memberChange{openID: in.OpenID, unionID: in.UnionID, subscribe: in.Subscribe,
		unsubscribe: in.Unsubscribe, scene: in.Scene, at: now}
}

// recordOne records one message in tx (the batch of one). As in a batch,
// the sender is touched first, so the row is written once with its member;
// a savepoint undoes the sender's change when the message is a retry.
func recordOne(tx *gorm.DB, in Inbound, now time.Time) (*Message, *Member, bool, error) {
	msg := newInboundMessage(in, now)
	var member *Member
	if !in.Platform { // the platform's own sender is no member
		if err := tx.SavePoint("record_one").Error; err != nil {
			return nil, nil, false, err
		}
		members, err := touchMembers(tx, []memberChange{in.change(now)})
		if err != nil {
			return nil, nil, false, err
		}
		if member = members[in.OpenID]; member == nil {
			return nil, nil, false, Errorf(EINTERNAL, "member %s missing after upsert", in.OpenID)
		}
		msg.MemberID = member.ID
	}
	// The insert is the dedupe check: a plain insert, not INSERT IGNORE
	// (MySQL reports "affected rows" for ON DUPLICATE KEY differently, but
	// every driver reports a duplicate key the same way). Within a
	// transaction a failed statement is undone alone, so the read after it
	// still works.
	if err := tx.Create(&msg).Error; err != nil {
		if !isDuplicate(err) {
			return nil, nil, false, err
		}
		if !in.Platform {
			if err := tx.RollbackTo("record_one").Error; err != nil {
				return nil, nil, false, err
			}
		}
		stored := &Message{}
		if err := tx.Where("dedupe_key = ?", in.DedupeKey).Take(stored).Error; err != nil {
			return nil, nil, false, err
		}
		if !stored.sameAs(in) && !strings.Contains(in.DedupeKey, rekeySep) {
			// Not a retry: another message under a used key (a sender
			// that reuses MsgIds). Record it under its own key, which its
			// own retries share.
			in.DedupeKey = rekeyed(in)
			return recordOne(tx, in, now)
		}
		return stored, nil, true, nil
	}
	return &msg, member, false, nil
}

// rekeySep separates a dedupe key from the content hash that makes it
// unique again (rekeyed).
const rekeySep = "#"

// sameAs reports whether in is the message m was recorded from (a retry),
// comparing what WeChat would send again unchanged: sender, type, event,
// event key and content. The row is the one the dedupe lookup read
// anyway, so telling a retry from a reused key costs nothing more.
func (m *Message) sameAs(in Inbound) bool {
	return m.OpenID == in.OpenID && m.MsgType == in.MsgType && m.Event == in.Event &&
		m.EventKey == truncateUTF8(in.EventKey, 191) && m.Content == truncateUTF8(in.Content, 60000)
}

// rekeyed is the dedupe key of a message whose own key was taken by a
// different message: the key plus a hash of the content, so the message's
// retries (same content) still find it. Callers tell by the key of the
// returned message that it was rekeyed (Rekeyed).
func rekeyed(in Inbound) string {
	sum := sha1.Sum([]byte(strings.Join([]string{in.OpenID, in.MsgType, in.Event,
		truncateUTF8(in.EventKey, 191), truncateUTF8(in.Content, 60000)}, "\x00")))
	return in.DedupeKey + rekeySep + hex.EncodeToString(sum[:8])
}

// Rekeyed reports whether m, recorded for an inbound message with dedupe
// key key, was stored under another key because key belonged to a
// different message (see RecordInbound).
func (m *Message) Rekeyed(key string) bool {
	return m != nil && m.DedupeKey != nil && *m.DedupeKey != key
}

// Changes an answer makes to the member's run of unanswered texts.
const (
	RunKeep  = 0 // leave it
	RunReset = 1 // a rule (or a person) answered: back to 0
	RunAdd   = 2 // one more unanswered text
)

// Answer is how fivec answered an inbound message.
type Answer struct {
	MemberID   uint64
	State      string
	Replies    []Reply
	RuleID     uint64 // 0: no rule
	Unanswered bool
	// Run is RunKeep, RunReset or RunAdd for the member's unanswered run
	// (Close Service escalates after a run of them).
	Run int
	// ConversationID, when set, is the fan's open conversation: its last
	// fan message time moves to now (Close Service's queue and timeouts).
	ConversationID uint64
}

// FinishInbound stores the answer to an inbound message and its final state.
// It only moves a message out of "processing" or "deferred", so a late
// writer cannot overwrite a finished answer.
func (s *Store) FinishInbound(ctx context.Context, id uint64, a Answer) error {
	op := &recOp{fin: &finishOp{id: id, a: a}}
	return translate("finish inbound", s.applyOps(ctx, []*recOp{op}))
}

// FindMessage returns one message by id.
func (s *Store) FindMessage(ctx context.Context, id uint64) (*Message, error) {
	var m Message
	err := s.db.WithContext(ctx).Take(&m, id).Error
	return &m, translate("message", err)
}

// Outbound is one message fivec sent (or tried to send) to a fan.
type Outbound struct {
	OpenID  string
	Channel string
	Reply   Reply
	RuleID  uint64
	ErrCode int
	Err     error
	// TemplateMsgID is the msgid of a template message WeChat accepted.
	TemplateMsgID int64
}

// LogOutbound records an outbound message, successful or not, so nothing
// sent or refused disappears from the conversation.
func (s *Store) LogOutbound(ctx context.Context, o Outbound) error {
	m := Message{
		OpenID: o.OpenID, Direction: DirectionOut, MsgType: o.Reply.Kind,
		Content: truncateUTF8(o.Reply.Summary(), 60000), Replies: encodeReplies([]Reply{o.Reply}),
		Channel: o.Channel, ErrCode: o.ErrCode, State: StateSent, TemplateMsgID: o.TemplateMsgID,
	}
	if o.RuleID != 0 {
		m.RuleID = &o.RuleID
	}
	if o.Err != nil {
		m.State = StateFailed
		m.Error = truncateUTF8(o.Err.Error(), 255)
	}
	var member Member
	err := s.db.WithContext(ctx).Select("id").Where("open_id = ?", o.OpenID).Take(&member).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return translate("log outbound", err)
	}
	m.MemberID = member.ID
	if err := s.db.WithContext(ctx).Create(&m).Error; err != nil {
		return translate("log outbound", err)
	}
	if m.TemplateMsgID == 0 || m.State != StateSent {
		return nil
	}
	// WeChat may report the message's failure before this row is written.
	return translate("log outbound", s.applyTemplateResults(ctx, []int64{m.TemplateMsgID}))
}

// Conversation returns a member's messages in both directions, oldest first,
// at most limit of the most recent ones.
func (s *Store) Conversation(ctx context.Context, openID string, limit int) ([]Message, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	var out []Message
	err := s.db.WithContext(ctx).Where("open_id = ?", openID).
		Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, translate("conversation", err)
}

// ConversationFor is Conversation as st may read it. Staff who read chats
// (Staff.ReadsChats) get every message. Marketers get what the fan sent,
// each with the bot's immediate answer (stored on the fan's message), but
// no outbound message: those rows do not record who wrote them, and agents'
// replies are among them, so none is shown rather than a guess. Internal
// notes are never part of the log.
func (s *Store) ConversationFor(ctx context.Context, st *Staff, openID string, limit int) ([]Message, error) {
	if st != nil && st.ReadsChats() {
		return s.Conversation(ctx, openID, limit)
	}
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	var out []Message
	err := s.db.WithContext(ctx).Where("open_id = ? AND direction = ?", openID, DirectionIn).
		Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error
	slices.Reverse(out)
	return out, translate("conversation", err)
}

// CountMessages counts log entries; tests and reports use it.
func (s *Store) CountMessages(ctx context.Context, direction string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Message{}).Where("direction = ?", direction).Count(&n).Error
	return n, translate("count messages", err)
}
