package models

import (
	"context"
	"slices"
	"time"
)

// WindowRules are the platform's customer-service limits (wechat-platform.md
// §2): after a fan's message, Quota messages within Length; after a follow,
// scan or menu click, EventQuota within EventLength.
type WindowRules struct {
	Length      time.Duration
	Quota       int
	EventLength time.Duration
	EventQuota  int
}

// DefaultWindowRules are today's numbers: 5 in 48 h; 3 in 1 min.
var DefaultWindowRules = WindowRules{Length: 48 * time.Hour, Quota: 5, EventLength: time.Minute, EventQuota: 3}

// Window says whether fivec may send a customer-service message to a fan now.
type Window struct {
	Open bool      `json:"open"`
	Ends time.Time `json:"ends"` // when the open window closes
	Left int       `json:"left"` // messages still allowed in it
	// Why explains a closed window for people.
	Why string `json:"why,omitempty"`
}

// windowEvents open the short event window.
var windowEvents = []string{"subscribe", "scan", "click", "scancode_push", "scancode_waitmsg"}

// At is the platform's customer-service window rule (wechat-platform.md
// §2), a pure function of the fan's log: after the fan's last message
// (lastMessage), Quota messages within Length; after the last follow, scan
// or menu click (lastEvent), EventQuota within EventLength. sent are the
// customer-service messages sent to the fan; those since a window opened
// use up its quota. A zero time means "none". The open window with the
// most messages left wins.
func (r WindowRules) At(now, lastMessage, lastEvent time.Time, sent []time.Time) Window {
	best := Window{Why: "the fan has not written in the last 48 hours"}
	consider := func(at time.Time, length time.Duration, quota int) {
		if at.IsZero() {
			return
		}
		ends := at.Add(length)
		if !now.Before(ends) {
			return
		}
		used := 0
		for _, t := range sent {
			if !t.Before(at) {
				used++
			}
		}
		left := quota - used
		if left <= 0 {
			if !best.Open {
				best.Why = "the fan's message quota for this window is used up"
			}
			return
		}
		if !best.Open || left > best.Left {
			best = Window{Open: true, Ends: ends, Left: left}
		}
	}
	consider(lastMessage, r.Length, r.Quota)
	consider(lastEvent, r.EventLength, r.EventQuota)
	return best
}

// ServiceWindow computes the fan's open window from the message log: the
// platform's rule, tracked locally so the inbox can refuse a send the
// platform would reject (45015, 45047) and say why.
func (s *Store) ServiceWindow(ctx context.Context, openID string, rules WindowRules) (Window, error) {
	m, err := s.FindMemberByOpenID(ctx, openID)
	if err != nil {
		return Window{}, err
	}
	if !m.Subscribed {
		return Window{Why: "the fan has unfollowed"}, nil
	}
	w, err := s.windowsFromLog(ctx, []string{openID}, rules)
	return w[openID], err
}

// windowsFromLog applies the window rule to each fan of openIDs, reading
// the message log of all of them in two queries: what they sent (messages
// and window events) and the customer-service messages they were sent,
// both within the longer of the two windows (nothing older can open one).
func (s *Store) windowsFromLog(ctx context.Context, openIDs []string, rules WindowRules) (map[string]Window, error) {
	now := s.now()
	out := make(map[string]Window, len(openIDs))
	if len(openIDs) == 0 {
		return out, nil
	}
	horizon := now.Add(-max(rules.Length, rules.EventLength))
	db := s.db.WithContext(ctx)
	var in []struct {
		OpenID    string
		MsgType   string
		Event     string
		CreatedAt time.Time
	}
	if err := db.Model(&Message{}).Select("open_id, msg_type, event, created_at").
		Where("open_id IN ? AND direction = ? AND created_at >= ?", openIDs, DirectionIn, horizon.UTC()).Scan(&in).Error; err != nil {
		return nil, translate("service window", err)
	}
	var outs []struct {
		OpenID    string
		CreatedAt time.Time
	}
	if err := db.Model(&Message{}).Select("open_id, created_at").
		Where("open_id IN ? AND direction = ? AND channel = ? AND state = ? AND created_at >= ?", openIDs, DirectionOut, ChannelCustom, StateSent, horizon.UTC()).
		Scan(&outs).Error; err != nil {
		return nil, translate("service window", err)
	}
	lastMsg, lastEv := map[string]time.Time{}, map[string]time.Time{}
	eventFrom := now.Add(-rules.EventLength)
	for _, m := range in {
		switch {
		case m.MsgType != "event":
			if m.CreatedAt.After(lastMsg[m.OpenID]) {
				lastMsg[m.OpenID] = m.CreatedAt
			}
		case slices.Contains(windowEvents, m.Event) && !m.CreatedAt.Before(eventFrom):
			if m.CreatedAt.After(lastEv[m.OpenID]) {
				lastEv[m.OpenID] = m.CreatedAt
			}
		}
	}
	sent := map[string][]time.Time{}
	for _, m := range outs {
		sent[m.OpenID] = append(sent[m.OpenID], m.CreatedAt)
	}
	for _, id := range openIDs {
		out[id] = rules.At(now, lastMsg[id], lastEv[id], sent[id])
	}
	return out, nil
}
