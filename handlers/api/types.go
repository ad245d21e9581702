package api

import (
	"time"

	"github.com/fivec/fivec/models"
)

// The API's own request and response shapes: JSON is never bound into or
// rendered straight from gorm models, so the schema can change freely.

// Staff is a staff account.
type Staff struct {
	ID          uint64    `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        string    `json:"role"`
	Disabled    bool      `json:"disabled"`
	Lang        string    `json:"lang,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

func staffOut(s *models.Staff) Staff {
	return Staff{ID: s.ID, Username: s.Username, DisplayName: s.DisplayName, Role: s.Role,
		Disabled: s.Disabled, Lang: s.Lang, CreatedAt: s.CreatedAt}
}

// CreateStaffRequest is the body of POST /staff.
type CreateStaffRequest struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Password    string `json:"password"`
	Role        string `json:"role"`
}

// UpdateStaffRequest is the body of PATCH /staff/:id; absent fields stay.
type UpdateStaffRequest struct {
	DisplayName *string `json:"display_name"`
	Role        *string `json:"role"`
	Disabled    *bool   `json:"disabled"`
	Password    *string `json:"password"`
}

// Member is a fan of the account.
type Member struct {
	OpenID            string     `json:"openid"`
	UnionID           string     `json:"unionid,omitempty"`
	Subscribed        bool       `json:"subscribed"`
	SubscribeScene    string     `json:"subscribe_scene,omitempty"`
	FirstSubscribedAt *time.Time `json:"first_subscribed_at,omitempty"`
	LastSubscribedAt  *time.Time `json:"last_subscribed_at,omitempty"`
	UnsubscribedAt    *time.Time `json:"unsubscribed_at,omitempty"`
	LastInteractionAt *time.Time `json:"last_interaction_at,omitempty"`
	Stage             string     `json:"stage"`
	Level             string     `json:"level"`
	Points            int64      `json:"points"`
	ReferralCode      string     `json:"referral_code,omitempty"`
	ReferredAt        *time.Time `json:"referred_at,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
}

func memberOut(m *models.Member) Member {
	out := Member{OpenID: m.OpenID, UnionID: m.UnionID, Subscribed: m.Subscribed, SubscribeScene: m.SubscribeScene,
		FirstSubscribedAt: m.FirstSubscribedAt, LastSubscribedAt: m.LastSubscribedAt,
		UnsubscribedAt: m.UnsubscribedAt, LastInteractionAt: m.LastInteractionAt,
		Stage: m.Stage, Level: m.Level, Points: m.Points, ReferredAt: m.ReferredAt, CreatedAt: m.CreatedAt}
	if m.ReferralCode != nil {
		out.ReferralCode = *m.ReferralCode
	}
	return out
}

// Message is one entry of a member's conversation.
type Message struct {
	ID        uint64    `json:"id"`
	Direction string    `json:"direction"` // in, out
	MsgType   string    `json:"msg_type"`
	Event     string    `json:"event,omitempty"`
	EventKey  string    `json:"event_key,omitempty"`
	Content   string    `json:"content,omitempty"`
	State     string    `json:"state"`
	Channel   string    `json:"channel,omitempty"` // out only
	ErrCode   int       `json:"errcode,omitempty"`
	Error     string    `json:"error,omitempty"`
	Replies   []Reply   `json:"replies,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Reply is an answer to an inbound message, or the body of an outbound one.
type Reply struct {
	Kind        string    `json:"kind"`
	Text        string    `json:"text,omitempty"`
	MediaID     string    `json:"media_id,omitempty"`
	Title       string    `json:"title,omitempty"`
	Description string    `json:"description,omitempty"`
	Articles    []Article `json:"articles,omitempty"`
}

// Article is one item of a news reply.
type Article struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	PicURL      string `json:"pic_url,omitempty"`
	URL         string `json:"url,omitempty"`
}

func messageOut(m *models.Message) Message {
	out := Message{ID: m.ID, Direction: m.Direction, MsgType: m.MsgType, Event: m.Event, EventKey: m.EventKey,
		Content: m.Content, State: m.State, Channel: m.Channel, ErrCode: m.ErrCode, Error: m.Error, CreatedAt: m.CreatedAt}
	rs, _ := m.DecodedReplies() // a corrupt column shows no replies rather than failing the list
	for _, r := range rs {
		rr := Reply{Kind: r.Kind, Text: r.Text, MediaID: r.MediaID, Title: r.Title, Description: r.Description}
		for _, a := range r.Articles {
			rr.Articles = append(rr.Articles, Article(a))
		}
		out.Replies = append(out.Replies, rr)
	}
	return out
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID        uint64    `json:"id"`
	StaffID   uint64    `json:"staff_id,omitempty"`
	Username  string    `json:"username,omitempty"`
	Action    string    `json:"action"`
	Target    string    `json:"target,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	IP        string    `json:"ip,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Token describes an API token (never its secret, except once at creation).
type Token struct {
	ID         uint64     `json:"id"`
	Name       string     `json:"name"`
	Token      string     `json:"token,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// CreateTokenRequest is the body of POST /tokens.
type CreateTokenRequest struct {
	Name string `json:"name"`
}

// Page wraps a list with its paging.
type Page[T any] struct {
	Items  []T   `json:"items"`
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

// List wraps a list that is not paged.
type List[T any] struct {
	Items []T `json:"items"`
}
