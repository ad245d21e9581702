package api

import (
	"time"

	"github.com/fivec/fivec/models"
)

// Close Service shapes: conversations, notes, canned replies, agent status.

// Conversation is one stretch of a fan talking to staff.
type Conversation struct {
	ID              uint64     `json:"id"`
	OpenID          string     `json:"openid"`
	State           string     `json:"state"` // waiting, assigned, resolved
	Reason          string     `json:"reason"`
	AgentID         *uint64    `json:"agent_id,omitempty"`
	QueuedAt        time.Time  `json:"queued_at"`
	AssignedAt      *time.Time `json:"assigned_at,omitempty"`
	FirstResponseAt *time.Time `json:"first_response_at,omitempty"`
	LastFanAt       *time.Time `json:"last_fan_at,omitempty"`
	LastAgentAt     *time.Time `json:"last_agent_at,omitempty"`
	ResolvedAt      *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy      string     `json:"resolved_by,omitempty"`
	Satisfaction    *int       `json:"satisfaction,omitempty"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

func conversationOut(c *models.Conversation) Conversation {
	return Conversation{ID: c.ID, OpenID: c.OpenID, State: c.State, Reason: c.Reason, AgentID: c.AgentID,
		QueuedAt: c.QueuedAt, AssignedAt: c.AssignedAt, FirstResponseAt: c.FirstResponseAt, LastFanAt: c.LastFanAt,
		LastAgentAt: c.LastAgentAt, ResolvedAt: c.ResolvedAt, ResolvedBy: c.ResolvedBy, Satisfaction: c.Satisfaction,
		UpdatedAt: c.UpdatedAt}
}

// ConversationDetail is GET /conversations/:id: the conversation with its
// member, the service window, the notes and the latest messages.
type ConversationDetail struct {
	Conversation
	Member   Profile   `json:"member"`
	Window   Window    `json:"window"`
	Notes    []Note    `json:"notes"`
	Messages []Message `json:"messages"`
}

// Profile is a member as the inbox shows them.
type Profile struct {
	Member
	Stage  string   `json:"stage"`
	Tags   []string `json:"tags"`
	Points int64    `json:"points"`
}

// Window is the fan's customer-service window.
type Window struct {
	Open bool       `json:"open"`
	Ends *time.Time `json:"ends,omitempty"`
	Left int        `json:"left"`
	Why  string     `json:"why,omitempty"`
}

func windowOut(w models.Window) Window {
	out := Window{Open: w.Open, Left: w.Left, Why: w.Why}
	if w.Open {
		out.Ends = &w.Ends
	}
	return out
}

// Note is an internal staff note.
type Note struct {
	ID        uint64    `json:"id"`
	StaffID   uint64    `json:"staff_id"`
	Username  string    `json:"username"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

func noteOut(n *models.ConversationNote) Note {
	return Note{ID: n.ID, StaffID: n.StaffID, Username: n.Username, Text: n.Text, CreatedAt: n.CreatedAt}
}

// PickUpRequest is the body of POST /conversations.
type PickUpRequest struct {
	OpenID string `json:"openid"`
}

// TransferRequest is the body of POST /conversations/:id/transfer.
type TransferRequest struct {
	ToAgentID uint64 `json:"to_agent_id"`
	Note      string `json:"note"`
}

// ReplyRequest is the body of POST /conversations/:id/reply.
type ReplyRequest struct {
	Kind    string `json:"kind"` // text (default) or image
	Text    string `json:"text"`
	MediaID string `json:"media_id"`
}

// NoteRequest is the body of POST /conversations/:id/notes.
type NoteRequest struct {
	Text string `json:"text"`
}

// Canned is a canned reply. Rendered is its text for one conversation
// (GET /canned?conversation_id=).
type Canned struct {
	ID        uint64    `json:"id"`
	Code      string    `json:"code"`
	Title     string    `json:"title,omitempty"`
	Text      string    `json:"text"`
	Shared    bool      `json:"shared"`
	Rendered  string    `json:"rendered,omitempty"`
	CreatedBy uint64    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

func cannedOut(r *models.CannedReply) Canned {
	return Canned{ID: r.ID, Code: r.Code, Title: r.Title, Text: r.Text, Shared: r.Shared(),
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}

// CannedRequest is the body of POST /canned.
type CannedRequest struct {
	Code   string `json:"code"`
	Title  string `json:"title"`
	Text   string `json:"text"`
	Shared bool   `json:"shared"`
}

// AgentStatus is whether the caller takes chats.
type AgentStatus struct {
	Online     bool      `json:"online"`
	Present    bool      `json:"present"` // online and seen in the last 2 minutes
	Capacity   int       `json:"capacity"`
	LastSeenAt time.Time `json:"last_seen_at"`
}

// AgentStatusRequest is the body of PUT /agent/status; capacity 0 keeps it.
type AgentStatusRequest struct {
	Online   *bool `json:"online"`
	Capacity int   `json:"capacity"`
}
