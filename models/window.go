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
	// Blacklisted: the fan is on the account's blacklist; nothing is sent.
	Blacklisted bool `json:"blacklisted,omitempty"`
	// By is the fan's latest action that opens a window ("message", or
	// the event: "click", "subscribe", "scan", …), At when, and Allows
	// and For what it allows (Allows messages within For). Empty when the
	// fan did nothing in the last 48 hours.
	By     string        `json:"by,omitempty"`
	At     time.Time     `json:"at,omitzero"`
	Allows int           `json:"allows,omitempty"`
	For    time.Duration `json:"for,omitempty"`
}

// Why texts of a closed window (the console translates them).
const (
	WhySilent      = "the fan has not written in the last 48 hours"
	WhyQuota       = "the fan's message quota for this window is used up"
	WhyEventClosed = "the short window of the fan's last follow, scan or menu click has closed"
	WhyUnfollowed  = "the fan has unfollowed"
)

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
	return r.Of(now, lastMessage, "", lastEvent, sent)
}

// Of is At knowing which event (event, as the log stores it: "click",
// "subscribe", "scan", …) the fan's last window event was; the window says
// which of the fan's actions came last and what it allows, and a closed
// window says why: a follow, scan or click opens only EventQuota messages
// within EventLength, so a minute after it the window is closed although
// the fan was there a minute ago, not "silent for 48 hours".
func (r WindowRules) Of(now, lastMessage time.Time, event string, lastEvent time.Time, sent []time.Time) Window {
	best := Window{Why: WhySilent}
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
				best.Why = WhyQuota
			}
			return
		}
		if !best.Open || left > best.Left {
			best = Window{Open: true, Ends: ends, Left: left}
		}
	}
	consider(lastMessage, r.Length, r.Quota)
	consider(lastEvent, r.EventLength, r.EventQuota)
	// The fan's latest action, for the card: what it was and allows.
	switch {
	case !lastEvent.IsZero() && lastEvent.After(lastMessage) && now.Sub(lastEvent) < r.Length:
		if event == "" {
			event = "event"
		}
		best.By, best.At, best.Allows, best.For = event, lastEvent, r.EventQuota, r.EventLength
		if !best.Open && best.Why == WhySilent {
			best.Why = WhyEventClosed
		}
	case !lastMessage.IsZero() && now.Sub(lastMessage) < r.Length:
		best.By, best.At, best.Allows, best.For = "message", lastMessage, r.Quota, r.Length
	}
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
		return Window{Why: WhyUnfollowed}, nil
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
	// Events are kept back to the horizon, not just EventLength: a click
	// two minutes ago closed its window, and the card says so rather than
	// "silent for 48 hours".
	lastMsg, lastEv, lastKind := map[string]time.Time{}, map[string]time.Time{}, map[string]string{}
	for _, m := range in {
		switch {
		case m.MsgType != "event":
			if m.CreatedAt.After(lastMsg[m.OpenID]) {
				lastMsg[m.OpenID] = m.CreatedAt
			}
		case slices.Contains(windowEvents, m.Event):
			if m.CreatedAt.After(lastEv[m.OpenID]) {
				lastEv[m.OpenID], lastKind[m.OpenID] = m.CreatedAt, m.Event
			}
		}
	}
	sent := map[string][]time.Time{}
	for _, m := range outs {
		sent[m.OpenID] = append(sent[m.OpenID], m.CreatedAt)
	}
	for _, id := range openIDs {
		out[id] = rules.Of(now, lastMsg[id], lastKind[id], lastEv[id], sent[id])
	}
	return out, nil
}
