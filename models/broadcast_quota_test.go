package models

import (
	"strings"
	"testing"
	"time"
)

func TestMassQuotaRule(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	bc := func(id uint64, audience, ref string, send *time.Time, cron string) Broadcast {
		return Broadcast{ID: id, Channel: BroadcastMass, Audience: audience, AudienceRef: ref, SendAt: send, Cron: cron}
	}
	svc := BroadcastPolicy{Loc: time.UTC, AccountType: AccountService}.withDefaults()
	sub := BroadcastPolicy{Loc: time.UTC, AccountType: AccountSubscription}.withDefaults()
	runAt := func(id uint64, d time.Duration) massRunAt { return massRunAt{BroadcastID: id, DueAt: now.Add(d)} }
	for _, tc := range []struct {
		name   string
		policy BroadcastPolicy
		b      Broadcast
		others []Broadcast
		done   []Broadcast
		past   []massRunAt
		err    string // "" allowed, else part of the refusal
	}{
		{"one send", svc, bc(1, AudienceAll, "", at(time.Hour), ""), nil, nil, nil, ""},
		{"fifth to everyone this month", svc, bc(1, AudienceAll, "", at(time.Hour), ""), nil,
			[]Broadcast{bc(9, AudienceTag, "vip", nil, "")}, []massRunAt{runAt(9, -time.Hour), runAt(9, -2*time.Hour), runAt(9, -3*time.Hour), runAt(9, -4*time.Hour)}, "at most 4"},
		{"other tags do not count", svc, bc(1, AudienceTag, "a", at(time.Hour), ""), nil,
			[]Broadcast{bc(9, AudienceTag, "b", nil, "")}, []massRunAt{runAt(9, -time.Hour), runAt(9, -2*time.Hour), runAt(9, -3*time.Hour), runAt(9, -4*time.Hour)}, ""},
		{"scheduled overlapping ones count", svc, bc(1, AudienceTag, "a", at(time.Hour), ""),
			[]Broadcast{bc(2, AudienceTag, "a", at(2*time.Hour), ""), bc(3, AudienceAll, "", at(3*time.Hour), ""), bc(4, AudienceTag, "a", at(4*time.Hour), ""), bc(5, AudienceTag, "a", at(5*time.Hour), "")},
			nil, nil, "at most 4"},
		{"runs of deleted broadcasts are not counted", svc, bc(1, AudienceAll, "", at(time.Hour), ""), nil, nil,
			[]massRunAt{runAt(9, -time.Hour), runAt(9, -2*time.Hour), runAt(9, -3*time.Hour), runAt(9, -4*time.Hour)}, ""},
		{"subscription: twice a day", sub, bc(1, AudienceTag, "a", at(time.Hour), ""), nil,
			[]Broadcast{bc(9, AudienceTag, "b", nil, "")}, []massRunAt{runAt(9, -time.Hour)}, "once"},
		{"subscription: the next day is free", sub, bc(1, AudienceTag, "a", at(24*time.Hour), ""), nil,
			[]Broadcast{bc(9, AudienceTag, "b", nil, "")}, []massRunAt{runAt(9, -time.Hour)}, ""},
		{"subscription: a daily cron", sub, bc(1, AudienceAll, "", nil, "0 9 * * *"), nil, nil, nil, ""},
		{"service: a daily cron is too much", svc, bc(1, AudienceAll, "", nil, "0 9 * * *"), nil, nil, nil, "at most 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := massQuota(&tc.b, tc.policy, now, tc.others, tc.done, tc.past)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), strings.ReplaceAll(tc.err, "once", "1 time(s) a day"))) {
				t.Fatalf("got %v, want %q", err, tc.err)
			}
		})
	}
}
