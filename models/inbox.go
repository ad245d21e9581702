package models

import (
	"context"
)

// Queries the staff inbox needs beyond conversation.go and agent.go.

// InboxCounts is what the inbox badge shows.
type InboxCounts struct {
	Waiting int64 `json:"waiting"` // conversations queued in the agent's queues (their teams' and the general one)
	Mine    int64 `json:"mine"`    // open conversations assigned to the agent
}

// CountInbox counts the waiting conversations agentID may be given and
// those they hold.
func (s *Store) CountInbox(ctx context.Context, agentID uint64) (InboxCounts, error) {
	var n InboxCounts
	db := s.db.WithContext(ctx).Model(&Conversation{})
	// The waiting count is the agent's own queues (ScopeForAgent), as the
	// 排队中 list shows them; every queue for an admin.
	var st Staff
	if err := s.db.WithContext(ctx).Select("id, role").Take(&st, agentID).Error; err != nil && !isNotFound(err) {
		return n, translate("count inbox", err)
	}
	if st.ID != 0 && st.Role != RoleAdmin {
		ids, err := s.StaffTeams(ctx, agentID)
		if err != nil {
			return n, err
		}
		if len(ids) > 0 {
			db = db.Where("team_id IS NULL OR team_id IN ?", ids)
		} else {
			db = db.Where("team_id IS NULL")
		}
	}
	if err := db.Where("state = ?", ConvWaiting).Count(&n.Waiting).Error; err != nil {
		return n, translate("count inbox", err)
	}
	err := s.db.WithContext(ctx).Model(&Conversation{}).Where("state = ? AND agent_id = ?", ConvAssigned, agentID).Count(&n.Mine).Error
	return n, translate("count inbox", err)
}

// LastFanMessages returns each fan's latest message (not event), keyed by
// openid, in one query: the inbox list shows it as a preview.
func (s *Store) LastFanMessages(ctx context.Context, openIDs []string) (map[string]Message, error) {
	out := make(map[string]Message, len(openIDs))
	if len(openIDs) == 0 {
		return out, nil
	}
	latest := s.db.Model(&Message{}).Select("MAX(id)").
		Where("open_id IN ? AND direction = ? AND msg_type <> ?", openIDs, DirectionIn, "event").Group("open_id")
	var msgs []Message
	err := s.db.WithContext(ctx).Select("id, open_id, msg_type, content, created_at").
		Where("id IN (?)", latest).Find(&msgs).Error
	for _, m := range msgs {
		out[m.OpenID] = m
	}
	return out, translate("last fan messages", err)
}

// AgentStatuses returns every agent status row, keyed by staff id (agents
// who never set theirs are missing: offline, capacity 5).
func (s *Store) AgentStatuses(ctx context.Context) (map[uint64]AgentStatus, error) {
	var rows []AgentStatus
	err := s.db.WithContext(ctx).Find(&rows).Error
	out := make(map[uint64]AgentStatus, len(rows))
	for _, r := range rows {
		out[r.StaffID] = r
	}
	return out, translate("agent statuses", err)
}

// AgentPresent reports whether an agent with this status takes chats now:
// switched online and seen within PresenceTimeout.
func (s *Store) AgentPresent(st AgentStatus) bool {
	return st.Online && s.now().Sub(st.LastSeenAt) < PresenceTimeout
}

// HeldBy reports whether st may act on the conversation as its agent:
// reply, transfer, resolve. That is the assigned agent, or any admin.
func (c *Conversation) HeldBy(st *Staff) bool {
	return c.State == ConvAssigned && c.AgentID != nil && (*c.AgentID == st.ID || st.Role == RoleAdmin)
}

// CheckResolve says why st may not resolve the conversation (nil: may).
// Its agent or an admin can resolve an assigned one; an admin can also
// close a waiting one nobody claimed.
func (c *Conversation) CheckResolve(st *Staff) error {
	switch {
	case c.State == ConvResolved:
		return Errorf(ECONFLICT, "the conversation is already resolved")
	case c.HeldBy(st), c.State == ConvWaiting && st.Role == RoleAdmin:
		return nil
	case c.State == ConvWaiting:
		return Errorf(ECONFLICT, "claim the conversation before resolving it")
	}
	return Errorf(ECONFLICT, "only the assigned agent or an admin can resolve this conversation")
}

// TransferFrom returns the agent a transfer by st moves the conversation
// away from: st, or for an admin whoever holds it.
func (c *Conversation) TransferFrom(st *Staff) (uint64, error) {
	if !c.HeldBy(st) {
		return 0, Errorf(ECONFLICT, "only the assigned agent or an admin can transfer this conversation")
	}
	return *c.AgentID, nil
}

// PickUp opens a conversation with the member on staff's initiative and
// claims it for agentID (Escalate with ReasonStaff, then Claim). An open
// conversation is claimed instead; ErrTaken when another agent holds it.
func (s *Store) PickUp(ctx context.Context, openID string, agentID uint64) (*Conversation, error) {
	m, err := s.FindMemberByOpenID(ctx, openID)
	if err != nil {
		return nil, err
	}
	conv, _, err := s.Escalate(ctx, m.ID, m.OpenID, ReasonStaff)
	if err != nil {
		return nil, err
	}
	return s.Claim(ctx, conv.ID, agentID)
}
