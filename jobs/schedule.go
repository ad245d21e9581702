package jobs

import (
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// schedule is a job's cron schedule that remembers the activations it
// handed to cron, so a run knows which tick it is for: the lease key that
// every process computes alike.
type schedule struct {
	inner cron.Schedule
	mu    sync.Mutex
	seen  []time.Time // the last activations handed out, oldest first
}

// parseSchedule parses a standard cron spec or descriptor. "@every d" is
// aligned to multiples of d since the zero time, not to the process's start,
// so that processes started at different moments share ticks.
func parseSchedule(spec string) (*schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, err
	}
	if every, ok := s.(cron.ConstantDelaySchedule); ok {
		s = alignedEvery(every.Delay)
	}
	return &schedule{inner: s}, nil
}

// Next implements cron.Schedule.
func (s *schedule) Next(t time.Time) time.Time {
	n := s.inner.Next(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, n)
	if len(s.seen) > 4 {
		s.seen = s.seen[1:]
	}
	return n
}

// tick returns the activation a run starting at now is for: the latest one
// handed out that is not after now (cron has computed the next one, in the
// future, by then).
func (s *schedule) tick(now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.seen) - 1; i >= 0; i-- {
		if !s.seen[i].After(now) {
			return s.seen[i]
		}
	}
	return now.Truncate(time.Second)
}

// alignedEvery activates at every multiple of d (at least a second).
type alignedEvery time.Duration

func (d alignedEvery) Next(t time.Time) time.Time {
	step := max(time.Duration(d), time.Second)
	return t.Truncate(step).Add(step)
}
