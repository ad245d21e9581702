package models

import (
	"context"

	"time"

	"gorm.io/gorm"
)

// Conversation states. A fan with no open conversation talks to the bot.
const (
	ConvWaiting  = "waiting"  // queued for an agent
	ConvAssigned = "assigned" // an agent has it
	ConvResolved = "resolved" // closed; the fan is back with the bot
)

// Escalation reasons.
const (
	ReasonKeyword    = "keyword"
	ReasonRule       = "rule"
	ReasonMenu       = "menu"
	ReasonUnanswered = "unanswered"
	ReasonStaff      = "staff"
)

// Conversation is one stretch of a fan talking to people rather than the
// bot, from escalation to resolution.
type Conversation struct {
	ID uint64 `gorm:"primaryKey"`
	// (member_id, state) finds a fan's open conversation on the hot path;
	// with state alone SQLite's planner walked the whole queue.
	MemberID        uint64    `gorm:"index:idx_conversations_member_state,priority:1;not null"`
	OpenID          string    `gorm:"size:64;not null;index"`
	State           string    `gorm:"size:16;not null;index;index:idx_conversations_member_state,priority:2"`
	AgentID         *uint64   `gorm:"index"`
	Reason          string    `gorm:"size:16"`
	QueuedAt        time.Time `gorm:"index"`
	AssignedAt      *time.Time
	FirstResponseAt *time.Time
	ResolvedAt      *time.Time `gorm:"index"`
	ResolvedBy      string     `gorm:"size:16"` // agent, timeout, fan
	LastFanAt       *time.Time
	LastAgentAt     *time.Time
	// AfterHours marks a 留言: opened outside business hours, to be
	// answered first thing when they begin (the queue is oldest first).
	AfterHours bool `gorm:"not null;default:false"`
	// TeamID is the team whose queue the conversation is in (nil: the
	// general queue every agent serves).
	TeamID *uint64 `gorm:"index"`
	// Priority comes from the team it was routed to: higher is served
	// first, ahead of conversations queued earlier.
	Priority int `gorm:"not null;default:0"`
	// ApologySent marks that a long wait was apologised for.
	ApologySent bool
	// Satisfaction is the fan's 1–5 answer after resolution.
	Satisfaction        *int
	SatisfactionAskedAt *time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time `gorm:"index"`
}

// ConversationNote is an internal note staff leave on a conversation; the
// fan never sees it.
type ConversationNote struct {
	ID             uint64 `gorm:"primaryKey"`
	ConversationID uint64 `gorm:"index;not null"`
	StaffID        uint64 `gorm:"not null"`
	Username       string `gorm:"size:64"`
	Text           string `gorm:"type:text;not null"`
	CreatedAt      time.Time
}

// AgentStatus is whether an agent takes chats, and how many at once.
type AgentStatus struct {
	StaffID    uint64 `gorm:"primaryKey;autoIncrement:false"`
	Online     bool   `gorm:"not null;default:false"`
	Capacity   int    `gorm:"not null;default:5"`
	LastSeenAt time.Time
	// LastAssignedAt orders agents of equal load (round-robin).
	LastAssignedAt *time.Time
}

// OpenConversation returns the member's waiting or assigned conversation, or
// nil when the fan is with the bot.
func (s *Store) OpenConversation(ctx context.Context, memberID uint64) (*Conversation, error) {
	var c Conversation
	err := s.db.WithContext(ctx).Where("member_id = ? AND state IN ?", memberID, []string{ConvWaiting, ConvAssigned}).
		Order("id DESC").Take(&c).Error
	if isNotFound(err) {
		return nil, nil
	}
	return &c, translate("open conversation", err)
}

// FindConversation returns one conversation.
func (s *Store) FindConversation(ctx context.Context, id uint64) (*Conversation, error) {
	var c Conversation
	err := s.db.WithContext(ctx).Take(&c, id).Error
	return &c, translate("conversation", err)
}

// Escalate opens a waiting conversation for the member, or returns the open
// one (created = false). Two escalations racing for one member open one
// conversation: the member row is locked while checking.
func (s *Store) Escalate(ctx context.Context, memberID uint64, openID, reason string) (conv *Conversation, created bool, err error) {
	return s.escalate(ctx, memberID, openID, reason, Route{}, false)
}

// EscalateTo is Escalate into the queue route names (RouteFor); a 留言
// when afterHours.
func (s *Store) EscalateTo(ctx context.Context, memberID uint64, openID, reason string, route Route, afterHours bool) (conv *Conversation, created bool, err error) {
	return s.escalate(ctx, memberID, openID, reason, route, afterHours)
}

// LeaveMessage is Escalate outside business hours: a new conversation is a
// 留言 (AfterHours), answered when the hours begin.
func (s *Store) LeaveMessage(ctx context.Context, memberID uint64, openID, reason string) (conv *Conversation, created bool, err error) {
	return s.escalate(ctx, memberID, openID, reason, Route{}, true)
}

func (s *Store) escalate(ctx context.Context, memberID uint64, openID, reason string, route Route, afterHours bool) (conv *Conversation, created bool, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var m Member
		if err := tx.Clauses(lockForUpdate(tx)...).Take(&m, memberID).Error; err != nil {
			return err
		}
		var open Conversation
		err := tx.Where("member_id = ? AND state IN ?", memberID, []string{ConvWaiting, ConvAssigned}).Take(&open).Error
		if err == nil {
			conv = &open
			if !m.InConversation {
				return tx.Model(&Member{}).Where("id = ?", memberID).Update("in_conversation", true).Error
			}
			return nil
		}
		if !isNotFound(err) {
			return err
		}
		now := s.now()
		conv = &Conversation{MemberID: memberID, OpenID: openID, State: ConvWaiting, Reason: reason, QueuedAt: now, LastFanAt: &now, AfterHours: afterHours,
			TeamID: route.TeamID, Priority: route.Priority}
		created = true
		if err := tx.Model(&Member{}).Where("id = ?", memberID).Update("in_conversation", true).Error; err != nil {
			return err
		}
		return tx.Create(conv).Error
	})
	return conv, created, translate("escalate", err)
}

// MemberConversations returns the member's other conversations, newest
// first (at most limit): the customer's history the inbox shows beside one.
func (s *Store) MemberConversations(ctx context.Context, memberID, except uint64, limit int) ([]Conversation, error) {
	var out []Conversation
	err := s.db.WithContext(ctx).Where("member_id = ? AND id <> ?", memberID, except).Order("id DESC").Limit(limit).Find(&out).Error
	return out, translate("member conversations", err)
}

// QueuePosition counts the waiting conversations ahead of c in its own
// queue (its team's, or the general one): those of higher priority, then
// those queued before it.
func (s *Store) QueuePosition(ctx context.Context, c *Conversation) (int64, error) {
	var n int64
	q := s.db.WithContext(ctx).Model(&Conversation{}).
		Where("state = ? AND (priority > ? OR (priority = ? AND id < ?))", ConvWaiting, c.Priority, c.Priority, c.ID) // ids follow queue order
	if c.TeamID != nil {
		q = q.Where("team_id = ?", *c.TeamID)
	} else {
		q = q.Where("team_id IS NULL")
	}
	err := q.Count(&n).Error
	return n, translate("queue position", err)
}

// ErrTaken is returned when another agent got the conversation first.
var ErrTaken = Errorf(ECONFLICT, "another agent has already taken this conversation")

// Claim assigns a waiting conversation to agentID. Exactly one of several
// agents claiming at once wins; the others get ErrTaken.
func (s *Store) Claim(ctx context.Context, convID, agentID uint64) (*Conversation, error) {
	now := s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Conversation{}).Where("id = ? AND state = ?", convID, ConvWaiting).
			Updates(map[string]any{"state": ConvAssigned, "agent_id": agentID, "assigned_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var c Conversation
			if err := tx.Take(&c, convID).Error; err != nil {
				return err
			}
			if c.State == ConvAssigned && c.AgentID != nil && *c.AgentID == agentID {
				return nil // claiming one's own conversation again is harmless
			}
			return ErrTaken
		}
		return touchAgent(tx, agentID, now)
	})
	if err != nil {
		return nil, translate("claim", err)
	}
	return s.FindConversation(ctx, convID)
}

// ErrNotAnAgent refuses a transfer to someone who cannot open the inbox (a
// marketer): the conversation would sit where nobody answers it.
var ErrNotAnAgent = Errorf(EINVALID, "a conversation can only be transferred to an enabled agent or admin")

// Transfer hands an assigned conversation to another agent (or admin), with
// a note. Marketers and disabled accounts are refused.
func (s *Store) Transfer(ctx context.Context, convID, fromAgent, toAgent uint64, note string) (*Conversation, error) {
	if fromAgent == toAgent {
		return nil, Errorf(EINVALID, "choose another agent")
	}
	now := s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var to Staff
		// Locked, so the account cannot become a marketer's or be disabled
		// while the conversation goes to it.
		if err := tx.Clauses(lockForUpdate(tx)...).Take(&to, toAgent).Error; err != nil {
			if isNotFound(err) {
				return Errorf(ENOTFOUND, "no such agent")
			}
			return err
		}
		if to.Disabled {
			return Errorf(EINVALID, "%s is disabled", to.Username)
		}
		if !to.CanServe() {
			return ErrNotAnAgent
		}
		res := tx.Model(&Conversation{}).Where("id = ? AND state = ? AND agent_id = ?", convID, ConvAssigned, fromAgent).
			Updates(map[string]any{"agent_id": toAgent, "assigned_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ECONFLICT, "only the assigned agent can transfer this conversation")
		}
		if note != "" {
			var from Staff
			tx.Take(&from, fromAgent)
			if err := tx.Create(&ConversationNote{ConversationID: convID, StaffID: fromAgent, Username: from.Username,
				Text: "转接给 " + to.shownName() + "：" + note}).Error; err != nil {
				return err
			}
		}
		return touchAgent(tx, toAgent, now)
	})
	if err != nil {
		return nil, translate("transfer", err)
	}
	return s.FindConversation(ctx, convID)
}

// Resolve closes an open conversation; by says who (agent, timeout, fan).
func (s *Store) Resolve(ctx context.Context, convID uint64, by string) (*Conversation, error) {
	now := s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var c Conversation
		if err := tx.Take(&c, convID).Error; err != nil {
			return err
		}
		res := tx.Model(&Conversation{}).Where("id = ? AND state IN ?", convID, []string{ConvWaiting, ConvAssigned}).
			Updates(map[string]any{"state": ConvResolved, "resolved_at": now, "resolved_by": by, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ECONFLICT, "the conversation is already %s", c.State)
		}
		return tx.Model(&Member{}).Where("id = ?", c.MemberID).Update("in_conversation", false).Error
	})
	if err != nil {
		c, ferr := s.FindConversation(ctx, convID)
		if ferr != nil {
			return nil, translate("resolve", err)
		}
		return c, translate("resolve", err)
	}
	return s.FindConversation(ctx, convID)
}

// NoteFanMessage records that the fan wrote in an open conversation.
func (s *Store) NoteFanMessage(ctx context.Context, convID uint64) error {
	now := s.now()
	return translate("note fan message", s.db.WithContext(ctx).Model(&Conversation{}).Where("id = ?", convID).
		Updates(map[string]any{"last_fan_at": now, "updated_at": now}).Error)
}

// NoteAgentReply records an agent's reply (and the first response time).
func (s *Store) NoteAgentReply(ctx context.Context, convID uint64) error {
	now := s.now()
	db := s.db.WithContext(ctx)
	err := db.Model(&Conversation{}).Where("id = ?", convID).
		Updates(map[string]any{"last_agent_at": now, "updated_at": now}).Error
	if err == nil {
		err = db.Model(&Conversation{}).Where("id = ? AND first_response_at IS NULL", convID).
			Update("first_response_at", now).Error
	}
	return translate("note agent reply", err)
}

// AddNote stores an internal staff note.
func (s *Store) AddNote(ctx context.Context, convID, staffID uint64, username, text string) (*ConversationNote, error) {
	if text == "" || len(text) > 4000 {
		return nil, Errorf(EINVALID, "a note must be 1-4000 bytes")
	}
	n := &ConversationNote{ConversationID: convID, StaffID: staffID, Username: username, Text: text}
	return n, translate("add note", s.db.WithContext(ctx).Create(n).Error)
}

// Notes returns a conversation's notes, oldest first.
func (s *Store) Notes(ctx context.Context, convID uint64) ([]ConversationNote, error) {
	var out []ConversationNote
	err := s.db.WithContext(ctx).Where("conversation_id = ?", convID).Order("id").Find(&out).Error
	return out, translate("notes", err)
}

func touchAgent(tx *gorm.DB, agentID uint64, now time.Time) error {
	res := tx.Model(&AgentStatus{}).Where("staff_id = ?", agentID).Update("last_assigned_at", now)
	if res.Error != nil || res.RowsAffected > 0 {
		return res.Error
	}
	err := tx.Create(&AgentStatus{StaffID: agentID, Capacity: 5, LastAssignedAt: &now, LastSeenAt: now}).Error
	if isDuplicate(err) {
		return nil
	}
	return err
}

// MarkSatisfactionAsked records that the fan was asked for a rating.
func (s *Store) MarkSatisfactionAsked(ctx context.Context, convID uint64) error {
	return translate("satisfaction asked", s.db.WithContext(ctx).Model(&Conversation{}).Where("id = ?", convID).
		Update("satisfaction_asked_at", s.now()).Error)
}

// RateLastConversation stores a 1–5 rating on the member's most recent
// resolved conversation if it asked for one within within and has none yet.
func (s *Store) RateLastConversation(ctx context.Context, memberID uint64, rating int, within time.Duration) (bool, error) {
	var c Conversation
	err := s.db.WithContext(ctx).Where("member_id = ? AND state = ? AND satisfaction_asked_at >= ? AND satisfaction IS NULL",
		memberID, ConvResolved, s.now().Add(-within)).Order("resolved_at DESC").Take(&c).Error
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, translate("rate", err)
	}
	res := s.db.WithContext(ctx).Model(&Conversation{}).Where("id = ? AND satisfaction IS NULL", c.ID).Update("satisfaction", rating)
	return res.RowsAffected == 1, translate("rate", res.Error)
}

// CountUnanswered updates the member's run of unanswered texts (reset by
// an answered one) and returns it; current is the run as loaded with the
// message, so an answered text from a fan with no run writes nothing.
func (s *Store) CountUnanswered(ctx context.Context, memberID uint64, current int, unanswered bool) (int, error) {
	db := s.db.WithContext(ctx).Model(&Member{}).Where("id = ?", memberID)
	if !unanswered {
		if current == 0 {
			return 0, nil
		}
		return 0, translate("unanswered run", db.Update("unanswered_run", 0).Error)
	}
	return current + 1, translate("unanswered run", db.Update("unanswered_run", gorm.Expr("unanswered_run + 1")).Error)
}

// IdleConversations returns assigned conversations with no message from
// either side since before.
func (s *Store) IdleConversations(ctx context.Context, before time.Time) ([]Conversation, error) {
	var out []Conversation
	err := s.db.WithContext(ctx).Where("state = ? AND COALESCE(last_agent_at, assigned_at) < ? AND COALESCE(last_fan_at, queued_at) < ?",
		ConvAssigned, before.UTC(), before.UTC()).Order("id").Limit(500).Find(&out).Error
	return out, translate("idle conversations", err)
}

// LongWaiting returns waiting conversations queued before before that have
// not been apologised to yet. A 留言 (AfterHours) is left out: the fan was
// told when someone would answer.
func (s *Store) LongWaiting(ctx context.Context, before time.Time) ([]Conversation, error) {
	var out []Conversation
	err := s.db.WithContext(ctx).Where("state = ? AND queued_at < ? AND apology_sent = ? AND after_hours = ?", ConvWaiting, before.UTC(), false, false).
		Order("id").Limit(500).Find(&out).Error
	return out, translate("long waiting", err)
}

// MarkApologySent records the apology so it is sent once. It returns false
// when another process marked it first.
func (s *Store) MarkApologySent(ctx context.Context, convID uint64) (bool, error) {
	res := s.db.WithContext(ctx).Model(&Conversation{}).Where("id = ? AND apology_sent = ?", convID, false).
		Updates(map[string]any{"apology_sent": true, "updated_at": s.now()})
	return res.RowsAffected == 1, translate("apology", res.Error)
}

// shownName is the name people see for the staff: the display name, or the
// login name when it has none.
func (s *Staff) shownName() string {
	if s.DisplayName != "" {
		return s.DisplayName
	}
	return s.Username
}
