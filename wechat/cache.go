package wechat

import (
	"sync"
	"time"
)

// MemoryCache is a race-free replacement for the SDK's cache.Memory, which
// reads its map without the lock (SDK issue #888).
type MemoryCache struct {
	mu    sync.Mutex
	items map[string]memoryItem
	now   func() time.Time
}

type memoryItem struct {
	val     any
	expires time.Time
}

// NewMemoryCache returns an empty cache using the given clock (nil: time.Now).
func NewMemoryCache(now func() time.Time) *MemoryCache {
	if now == nil {
		now = time.Now
	}
	return &MemoryCache{items: map[string]memoryItem{}, now: now}
}

// Get returns the value, or nil when missing or expired.
func (c *MemoryCache) Get(key string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if !ok {
		return nil
	}
	if !it.expires.IsZero() && !c.now().Before(it.expires) {
		delete(c.items, key)
		return nil
	}
	return it.val
}

// Set stores val for timeout (0: no expiry).
func (c *MemoryCache) Set(key string, val any, timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	it := memoryItem{val: val}
	if timeout > 0 {
		it.expires = c.now().Add(timeout)
	}
	c.items[key] = it
	return nil
}

// IsExist reports whether key holds an unexpired value.
func (c *MemoryCache) IsExist(key string) bool { return c.Get(key) != nil }

// Delete removes key.
func (c *MemoryCache) Delete(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, key)
	return nil
}
