package models

import (
	"context"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"
)

// Assignment policies.
const (
	PolicyLeastLoaded = "least_loaded"
	PolicyRoundRobin  = "round_robin"
)

// PresenceTimeout is how long an agent counts as online after their inbox
// last checked in.
const PresenceTimeout = 2 * time.Minute

// SetAgentStatus turns an agent's availability on or off and sets their
// capacity (0 keeps it).
func (s *Store) SetAgentStatus(ctx context.Context, staffID uint64, online bool, capacity int) (*AgentStatus, error) {
	if capacity < 0 || capacity > 100 {
		return nil, Errorf(EINVALID, "capacity must be 0-100")
	}
	now := s.now()
	var st AgentStatus
	err := s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Take(&st, staffID).Error
		if isNotFound(err) {
			st = AgentStatus{StaffID: staffID, Capacity: 5}
			err = tx.Create(&st).Error
		}
		if err != nil {
			return err
		}
		st.Online, st.LastSeenAt = online, now
		if capacity > 0 {
			st.Capacity = capacity
		}
		return tx.Model(&AgentStatus{}).Where("staff_id = ?", staffID).
			Updates(map[string]any{"online": online, "last_seen_at": now, "capacity": st.Capacity}).Error
	})
	return &st, translate("agent status", err)
}

// AgentHeartbeat keeps an online agent counted as present.
func (s *Store) AgentHeartbeat(ctx context.Context, staffID uint64) error {
	return translate("heartbeat", s.db.WithContext(ctx).Model(&AgentStatus{}).
		Where("staff_id = ?", staffID).Update("last_seen_at", s.now()).Error)
}

// FindAgentStatus returns an agent's status (offline with capacity 5 when
// never set).
func (s *Store) FindAgentStatus(ctx context.Context, staffID uint64) (*AgentStatus, error) {
	var st AgentStatus
	err := s.db.WithContext(ctx).Take(&st, staffID).Error
	if isNotFound(err) {
		return &AgentStatus{StaffID: staffID, Capacity: 5}, nil
	}
	return &st, translate("agent status", err)
}

// AgentLoad is an online agent and how many conversations they hold.
type AgentLoad struct {
	Staff  Staff
	Status AgentStatus
	Load   int64
}

// AvailableAgents lists agents who are online, present, enabled and below
// capacity, in policy order (best first).
func (s *Store) AvailableAgents(ctx context.Context, policy string) ([]AgentLoad, error) {
	db := s.db.WithContext(ctx)
	var statuses []AgentStatus
	if err := db.Where("online = ? AND last_seen_at >= ?", true, s.now().Add(-PresenceTimeout)).Find(&statuses).Error; err != nil {
		return nil, translate("available agents", err)
	}
	var out []AgentLoad
	for _, st := range statuses {
		var staff Staff
		if err := db.Take(&staff, st.StaffID).Error; err != nil || staff.Disabled || staff.Role == RoleMarketer {
			continue
		}
		var load int64
		if err := db.Model(&Conversation{}).Where("agent_id = ? AND state = ?", st.StaffID, ConvAssigned).Count(&load).Error; err != nil {
			return nil, translate("agent load", err)
		}
		if load < int64(st.Capacity) {
			out = append(out, AgentLoad{Staff: staff, Status: st, Load: load})
		}
	}
	last := func(a AgentLoad) time.Time {
		if a.Status.LastAssignedAt == nil {
			return time.Time{}
		}
		return *a.Status.LastAssignedAt
	}
	sort.SliceStable(out, func(i, j int) bool {
		if policy != PolicyRoundRobin && out[i].Load != out[j].Load {
			return out[i].Load < out[j].Load
		}
		return last(out[i]).Before(last(out[j]))
	})
	return out, nil
}

// LastAgent returns the agent of the member's most recent resolved
// conversation (for sticky routing), or 0.
func (s *Store) LastAgent(ctx context.Context, memberID uint64) (uint64, error) {
	var c Conversation
	err := s.db.WithContext(ctx).Where("member_id = ? AND state = ? AND agent_id IS NOT NULL", memberID, ConvResolved).
		Order("resolved_at DESC").Take(&c).Error
	if isNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, translate("last agent", err)
	}
	return *c.AgentID, nil
}

// AutoAssign gives a waiting conversation to the best available agent:
// the member's previous agent when available (sticky), else by policy. It
// returns nil, nil when nobody is available.
func (s *Store) AutoAssign(ctx context.Context, conv *Conversation, policy string) (*Conversation, error) {
	agents, err := s.AvailableAgents(ctx, policy)
	if err != nil || len(agents) == 0 {
		return nil, err
	}
	if conv.TeamID != nil {
		// A team's conversation goes to its members only; with none free
		// it waits in the team's queue.
		var members []uint64
		if err := s.db.WithContext(ctx).Model(&TeamMember{}).Where("team_id = ?", *conv.TeamID).Pluck("staff_id", &members).Error; err != nil {
			return nil, translate("team members", err)
		}
		in := map[uint64]bool{}
		for _, id := range members {
			in[id] = true
		}
		kept := agents[:0]
		for _, a := range agents {
			if in[a.Staff.ID] {
				kept = append(kept, a)
			}
		}
		if agents = kept; len(agents) == 0 {
			return nil, nil
		}
	}
	sticky, err := s.LastAgent(ctx, conv.MemberID)
	if err != nil {
		return nil, err
	}
	for i, a := range agents {
		if a.Staff.ID == sticky {
			agents[0], agents[i] = agents[i], agents[0]
			break
		}
	}
	// Claim fails only when the conversation itself was taken meanwhile
	// (by hand, or by another process) or on a database error; nothing about
	// the agent can refuse it, so there is no next agent to try.
	c, err := s.Claim(ctx, conv.ID, agents[0].Staff.ID)
	if err == ErrTaken {
		return nil, nil // someone claimed it by hand meanwhile
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ListConversations returns conversations by state ("" for open ones),
// optionally only one agent's, newest activity first (a queue by priority,
// then queue order).
func (s *Store) ListConversations(ctx context.Context, state string, agentID uint64, limit int) ([]Conversation, error) {
	return s.ListConversationsIn(ctx, state, agentID, nil, limit)
}

// TeamScope narrows a conversation list to queues. Nil means every queue.
type TeamScope struct {
	// Teams are the team queues included.
	Teams []uint64
	// General includes the general queue (conversations with no team).
	General bool
}

// ScopeForAgent is what an agent serves: their teams' queues and the
// general one. Admins serve every queue (nil).
func (s *Store) ScopeForAgent(ctx context.Context, st *Staff) (*TeamScope, error) {
	if st.Role == RoleAdmin {
		return nil, nil
	}
	ids, err := s.StaffTeams(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	return &TeamScope{Teams: ids, General: true}, nil
}

// ListConversationsIn is ListConversations within scope (nil: all).
func (s *Store) ListConversationsIn(ctx context.Context, state string, agentID uint64, scope *TeamScope, limit int) ([]Conversation, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := s.db.WithContext(ctx).Model(&Conversation{})
	switch state {
	case "":
		q = q.Where("state IN ?", []string{ConvWaiting, ConvAssigned})
	default:
		q = q.Where("state = ?", state)
	}
	if agentID != 0 {
		q = q.Where("agent_id = ?", agentID)
	}
	if scope != nil {
		switch {
		case scope.General && len(scope.Teams) > 0:
			q = q.Where("team_id IS NULL OR team_id IN ?", scope.Teams)
		case scope.General:
			q = q.Where("team_id IS NULL")
		case len(scope.Teams) > 0:
			q = q.Where("team_id IN ?", scope.Teams)
		default:
			return nil, nil
		}
	}
	order := "updated_at DESC"
	if state == ConvWaiting {
		order = "priority DESC, id" // queue order
	}
	var out []Conversation
	err := q.Order(order).Limit(limit).Find(&out).Error
	return out, translate("list conversations", err)
}

// InboxVersion changes whenever any conversation changes; the live inbox
// polls it (works across processes).
func (s *Store) InboxVersion(ctx context.Context) (string, error) {
	db := s.db.WithContext(ctx)
	var n int64
	if err := db.Model(&Conversation{}).Count(&n).Error; err != nil {
		return "", translate("inbox version", err)
	}
	var last Conversation
	err := db.Select("id, updated_at").Order("updated_at DESC, id DESC").Take(&last).Error
	if isNotFound(err) {
		return "0", nil
	}
	if err != nil {
		return "", translate("inbox version", err)
	}
	return fmt.Sprintf("%d/%d/%d", n, last.ID, last.UpdatedAt.UnixNano()), nil
}
