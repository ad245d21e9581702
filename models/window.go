package models

import (
	"context"
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

// ServiceWindow computes the fan's open window from the message log: the
// platform's rule, tracked locally so the inbox can refuse a send the
// platform would reject (45015, 45047) and say why.
func (s *Store) ServiceWindow(ctx context.Context, openID string, rules WindowRules) (Window, error) {
	now := s.now()
	m, err := s.FindMemberByOpenID(ctx, openID)
	if err != nil {
		return Window{}, err
	}
	if !m.Subscribed {
		return Window{Why: "the fan has unfollowed"}, nil
	}
	db := s.db.WithContext(ctx)
	best := Window{Why: "the fan has not written in the last 48 hours"}
	consider := func(at time.Time, length time.Duration, quota int) error {
		ends := at.Add(length)
		if !now.Before(ends) {
			return nil
		}
		var sent int64
		if err := db.Model(&Message{}).Where("open_id = ? AND direction = ? AND channel = ? AND state = ? AND created_at >= ?",
			openID, DirectionOut, ChannelCustom, StateSent, at).Count(&sent).Error; err != nil {
			return err
		}
		left := quota - int(sent)
		if left <= 0 {
			if !best.Open {
				best.Why = "the fan's message quota for this window is used up"
			}
			return nil
		}
		if !best.Open || left > best.Left {
			best = Window{Open: true, Ends: ends, Left: left}
		}
		return nil
	}
	var last Message
	err = db.Select("created_at").Where("open_id = ? AND direction = ? AND msg_type <> ?", openID, DirectionIn, "event").
		Order("created_at DESC").Take(&last).Error
	if err != nil && !isNotFound(err) {
		return Window{}, translate("service window", err)
	}
	if err == nil {
		if err := consider(last.CreatedAt, rules.Length, rules.Quota); err != nil {
			return Window{}, translate("service window", err)
		}
	}
	var ev Message
	err = db.Select("created_at").Where("open_id = ? AND direction = ? AND msg_type = ? AND event IN ? AND created_at >= ?",
		openID, DirectionIn, "event", windowEvents, now.Add(-rules.EventLength)).Order("created_at DESC").Take(&ev).Error
	if err != nil && !isNotFound(err) {
		return Window{}, translate("service window", err)
	}
	if err == nil {
		if err := consider(ev.CreatedAt, rules.EventLength, rules.EventQuota); err != nil {
			return Window{}, translate("service window", err)
		}
	}
	return best, nil
}
