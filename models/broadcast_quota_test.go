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

// The per-fan side of the one mass quota rule: which period a message
// counts in, and when a fan may get no more.
func TestFanMassQuotaRule(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	svc := BroadcastPolicy{Loc: shanghai, AccountType: AccountService}.withDefaults()
	sub := BroadcastPolicy{Loc: shanghai, AccountType: AccountSubscription}.withDefaults()
	// 30 November 17:00 UTC is already 1 December in Shanghai.
	now := time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC)
	if got, want := svc.massPeriodStart(now), time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai); !got.Equal(want) {
		t.Errorf("service period starts %v, want %v", got, want)
	}
	if got, want := sub.massPeriodStart(now.Add(48*time.Hour)), time.Date(2026, 12, 3, 0, 0, 0, 0, shanghai); !got.Equal(want) {
		t.Errorf("subscription period starts %v, want %v", got, want)
	}
	if got := svc.massPeriod(now); got != "2026-12" {
		t.Errorf("service period %q, want 2026-12", got)
	}
	if got := sub.massPeriod(now); got != "2026-12-01" {
		t.Errorf("subscription period %q, want 2026-12-01", got)
	}
	for _, tc := range []struct {
		name   string
		policy BroadcastPolicy
		sent   int64
		over   bool
	}{
		{"service, none yet", svc, 0, false},
		{"service, three", svc, 3, false},
		{"service, four", svc, 4, true},
		{"service, five", svc, 5, true},
		{"service, limit 2", BroadcastPolicy{Loc: shanghai, AccountType: AccountService, MonthlyPerFan: 2}.withDefaults(), 2, true},
		{"subscription: WeChat limits the account, not the fan", sub, 40, false},
	} {
		why, over := tc.policy.fanOverMassQuota(tc.sent)
		if over != tc.over || over != (why != "") {
			t.Errorf("%s: over %v (%q), want %v", tc.name, over, why, tc.over)
		}
		if over && !strings.Contains(why, "mass messages this month") {
			t.Errorf("%s: reason %q", tc.name, why)
		}
	}
}
