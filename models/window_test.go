package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestWindowRule(t *testing.T) {
	r := models.DefaultWindowRules
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	times := func(ds ...time.Duration) []time.Time {
		var out []time.Time
		for _, d := range ds {
			out = append(out, ago(d))
		}
		return out
	}
	const silent, usedUp = "the fan has not written in the last 48 hours", "the fan's message quota for this window is used up"
	for _, tc := range []struct {
		name    string
		msg, ev time.Time
		sent    []time.Time
		open    bool
		left    int
		ends    time.Time
		why     string
	}{
		{"nothing", time.Time{}, time.Time{}, nil, false, 0, time.Time{}, silent},
		{"wrote an hour ago", ago(time.Hour), time.Time{}, nil, true, 5, ago(time.Hour).Add(48 * time.Hour), ""},
		{"wrote 48 h ago: closed", ago(48 * time.Hour), time.Time{}, nil, false, 0, time.Time{}, silent},
		{"wrote just under 48 h ago", ago(48*time.Hour - time.Second), time.Time{}, nil, true, 5, now.Add(time.Second), ""},
		{"two sent since", ago(time.Hour), time.Time{}, times(30*time.Minute, 10*time.Minute), true, 3, ago(time.Hour).Add(48 * time.Hour), ""},
		{"sent before the message do not count", ago(time.Hour), time.Time{}, times(2*time.Hour, 3*time.Hour), true, 5, ago(time.Hour).Add(48 * time.Hour), ""},
		{"five sent: used up", ago(time.Hour), time.Time{}, times(1, 2, 3, 4, 5), false, 0, time.Time{}, usedUp},
		{"followed 30 s ago", time.Time{}, ago(30 * time.Second), nil, true, 3, now.Add(30 * time.Second), ""},
		{"followed 1 min ago: closed", time.Time{}, ago(time.Minute), nil, false, 0, time.Time{}, silent},
		{"event window used up, message window open", ago(time.Hour), ago(10 * time.Second), times(1, 2, 3), true, 2, ago(time.Hour).Add(48 * time.Hour), ""},
		{"the window with more left wins", ago(time.Hour), ago(10 * time.Second), times(30*time.Minute, 20*time.Minute, 10*time.Minute, 5*time.Minute), true, 3, now.Add(50 * time.Second), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := r.At(now, tc.msg, tc.ev, tc.sent)
			if w.Open != tc.open || w.Left != tc.left || !w.Ends.Equal(tc.ends) || w.Why != tc.why {
				t.Fatalf("got %+v; want open=%v left=%d ends=%s why=%q", w, tc.open, tc.left, tc.ends, tc.why)
			}
		})
	}
}

// Claiming 500 recipients and checking their frequency cap and windows
// takes a constant number of statements, however many fans have a window
// open (it used to be a few queries per fan who wrote recently).
func TestClaimAndWindowsOf500RecipientsIsAFewQueries(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		const n = 500
		var ids []uint64
		var openIDs []string
		for i := range n {
			id := fmt.Sprintf("nq%04d", i)
			var in models.Inbound
			if i%5 == 0 { // a fifth only followed (the 1-minute window)
				in = models.Inbound{DedupeKey: "f" + id, OpenID: id, MsgType: "event", Event: "subscribe", Subscribe: true}
			} else {
				in = models.Inbound{DedupeKey: "w" + id, OpenID: id, MsgType: "text", Content: "hi"}
			}
			_, m, _, err := s.RecordInbound(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			ids, openIDs = append(ids, m.ID), append(openIDs, id)
			if i%10 == 1 { // a tenth has used up its window
				for range 5 {
					if err := s.LogOutbound(ctx, models.Outbound{OpenID: id, Channel: models.ChannelCustom, Reply: models.TextReply("r")}); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		p, err := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "n+1", Reply: models.TextReply("x"), TemplateID: "T"}, ids)
		if err != nil {
			t.Fatal(err)
		}
		var claimed []models.Recipient
		var windows map[string]models.Window
		stmts := models.CaptureSQL(s, func() {
			if claimed, err = s.ClaimRecipients(ctx, "w", n, time.Minute); err != nil {
				t.Fatal(err)
			}
			var members []uint64
			var fans []string
			for _, r := range claimed {
				members, fans = append(members, r.MemberID), append(fans, r.OpenID)
			}
			if _, err := s.RecentPushCounts(ctx, members, time.Now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			if windows, err = s.ServiceWindows(ctx, fans, models.DefaultWindowRules); err != nil {
				t.Fatal(err)
			}
		})
		if len(claimed) != n {
			t.Fatalf("claimed %d of push %d", len(claimed), p.ID)
		}
		t.Logf("%d statements for a claim of %d", len(stmts), n)
		if len(stmts) > 12 {
			t.Fatalf("%d statements for a claim of %d:\n%v", len(stmts), n, stmts)
		}
		open := 0
		for i, id := range openIDs {
			w := windows[id]
			if w.Open {
				open++
			}
			switch {
			case i%5 == 0 && (!w.Open || w.Left != 3), i%10 == 1 && w.Open, i%5 != 0 && i%10 != 1 && (!w.Open || w.Left != 5):
				t.Fatalf("fan %d: %+v", i, w)
			}
			if i%50 == 1 || i%50 == 2 { // the single-fan query agrees
				if one, err := s.ServiceWindow(ctx, id, models.DefaultWindowRules); err != nil || one.Open != w.Open || one.Left != w.Left || one.Why != w.Why {
					t.Fatalf("fan %d: ServiceWindow %+v %v, ServiceWindows %+v", i, one, err, w)
				}
			}
		}
		if open != n-n/10 {
			t.Fatalf("%d windows open", open)
		}
	})
}
