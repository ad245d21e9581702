package web

import (
	"strings"
	"sync"
	"time"
)

// LoginLimiter counts failed logins per client IP and per username in a
// sliding window. Once either count reaches its limit, further attempts are
// refused until the oldest failure leaves the window. It is safe for
// concurrent use; the zero value is not: use NewLoginLimiter.
type LoginLimiter struct {
	// MaxPerUser and MaxPerIP are the failures allowed within Window. The
	// IP limit is higher because offices share one address.
	MaxPerUser int
	MaxPerIP   int
	Window     time.Duration
	Now        func() time.Time
	// MaxKeys bounds memory: past it, expired entries are swept.
	MaxKeys int

	mu    sync.Mutex
	fails map[string][]time.Time
}

// NewLoginLimiter allows 5 failures per username and 20 per IP in 15 minutes.
func NewLoginLimiter(now func() time.Time) *LoginLimiter {
	if now == nil {
		now = time.Now
	}
	return &LoginLimiter{MaxPerUser: 5, MaxPerIP: 20, Window: 15 * time.Minute, Now: now,
		MaxKeys: 100000, fails: map[string][]time.Time{}}
}

func userKey(u string) string { return "u:" + strings.ToLower(strings.TrimSpace(u)) }
func ipKey(ip string) string  { return "i:" + ip }

// Check reports whether a login attempt from ip for username may proceed,
// and if not, how long to wait.
func (l *LoginLimiter) Check(ip, username string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	for _, k := range []struct {
		key string
		max int
	}{{ipKey(ip), l.MaxPerIP}, {userKey(username), l.MaxPerUser}} {
		recent := l.recent(k.key, now)
		if len(recent) >= k.max {
			if wait := recent[len(recent)-k.max].Add(l.Window).Sub(now); wait > retryAfter {
				retryAfter = wait
			}
		}
	}
	return retryAfter <= 0, retryAfter
}

// Fail records a failed attempt.
func (l *LoginLimiter) Fail(ip, username string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	if len(l.fails) >= l.MaxKeys {
		l.sweep(now)
	}
	for _, k := range []struct {
		key string
		max int
	}{{ipKey(ip), l.MaxPerIP}, {userKey(username), l.MaxPerUser}} {
		recent := append(l.recent(k.key, now), now)
		if len(recent) > k.max {
			recent = recent[len(recent)-k.max:]
		}
		l.fails[k.key] = recent
	}
}

// Succeed forgets the username's failures after a good login. The IP's
// failures stay: one good account must not unlock guessing at others.
func (l *LoginLimiter) Succeed(username string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, userKey(username))
}

// recent returns the failures of key inside the window, dropping older ones.
// Caller holds l.mu.
func (l *LoginLimiter) recent(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.Window {
		i++
	}
	if i == len(ts) {
		delete(l.fails, key)
		return nil
	}
	ts = ts[i:]
	l.fails[key] = ts
	return ts
}

// sweep removes keys whose failures have all expired. Caller holds l.mu.
func (l *LoginLimiter) sweep(now time.Time) {
	for k := range l.fails {
		l.recent(k, now)
	}
}
