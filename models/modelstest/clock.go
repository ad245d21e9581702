package modelstest

import (
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
)

// Clock is a settable clock for tests, safe to share between the stores
// and goroutines of one test (inject its Now).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// MustOpenSharedWithClock is MustOpenShared with both stores on one Clock
// standing at start.
func MustOpenSharedWithClock(tb testing.TB, driver string, start time.Time) (*models.Store, *models.Store, *Clock) {
	tb.Helper()
	s1, s2 := MustOpenShared(tb, driver)
	clk := NewClock(start)
	s1.Now, s2.Now = clk.Now, clk.Now
	return s1, s2, clk
}
