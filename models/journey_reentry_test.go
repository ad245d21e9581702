package models

import (
	"testing"
	"time"
)

// The re-entry rule, by table.
func TestJourneyReEntryRule(t *testing.T) {
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	exited := func(d time.Duration) *time.Time { t := at.Add(d); return &t }
	once := &Journey{ReEntry: ReEntryOnce}
	again := &Journey{ReEntry: ReEntryAfterExit}
	left := JourneyEnrollment{State: EnrollExited, TriggerKey: "m1", ExitedAt: exited(-time.Hour)}
	for _, tc := range []struct {
		name string
		j    *Journey
		prev []JourneyEnrollment
		key  string
		want bool
	}{
		{"first time", once, nil, "m2", true},
		{"first time, re-entry allowed", again, nil, "m2", true},
		{"once: went through before", once, []JourneyEnrollment{left}, "m2", false},
		{"after exit: a new event after leaving", again, []JourneyEnrollment{left}, "m2", true},
		{"after exit: the same event again", again, []JourneyEnrollment{left}, "m1", false},
		{"after exit: still in the journey", again, []JourneyEnrollment{{State: EnrollActive, TriggerKey: "m1"}}, "m2", false},
		{"after exit: the event happened while in it", again, []JourneyEnrollment{{State: EnrollExited, TriggerKey: "m1", ExitedAt: exited(time.Minute)}}, "m2", false},
		{"after exit: the event at the moment of leaving", again, []JourneyEnrollment{{State: EnrollExited, TriggerKey: "m1", ExitedAt: exited(0)}}, "m2", false},
	} {
		if got := tc.j.mayEnter(tc.prev, tc.key, at); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
