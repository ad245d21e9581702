package models

import "time"

// PushCapRule is the frequency cap's rule: at most Max pushes per fan within
// Window (Max 0: off). Every push counts, whatever its channel. The
// delivery engine (delivery.FrequencyCap) and the audience estimate both
// decide with it, over counts from RecentPushCounts.
type PushCapRule struct {
	Max    int
	Window time.Duration
}

// On reports whether the cap applies at all.
func (c PushCapRule) On() bool { return c.Max > 0 }

// Since is where the window that now ends begins: pushes sent since then count.
func (c PushCapRule) Since(now time.Time) time.Time { return now.Add(-c.Window) }

// Full reports whether a fan who was sent sent pushes in the window may get
// no more.
func (c PushCapRule) Full(sent int64) bool { return c.On() && sent >= int64(c.Max) }
