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
		{"followed 1 min ago: closed", time.Time{}, ago(time.Minute), nil, false, 0, time.Time{}, models.WhyEventClosed},
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
// TestWindowOfEachAction: the platform's rule for each kind of fan action
// (wechat-platform.md §2), and what the window says the action allows.
func TestWindowOfEachAction(t *testing.T) {
	r := models.DefaultWindowRules
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	var none time.Time
	for _, tc := range []struct {
		name   string
		msg    time.Time
		event  string
		ev     time.Time
		sent   int
		open   bool
		left   int
		by     string
		allows int
		for_   time.Duration
		why    string
	}{
		{"text 3 min ago", ago(3 * time.Minute), "", none, 0, true, 5, "message", 5, 48 * time.Hour, ""},
		{"menu click 20 s ago", none, "click", ago(20 * time.Second), 0, true, 3, "click", 3, time.Minute, ""},
		{"scancode_push 20 s ago", none, "scancode_push", ago(20 * time.Second), 0, true, 3, "scancode_push", 3, time.Minute, ""},
		{"follow 20 s ago", none, "subscribe", ago(20 * time.Second), 0, true, 3, "subscribe", 3, time.Minute, ""},
		{"scan 20 s ago", none, "scan", ago(20 * time.Second), 0, true, 3, "scan", 3, time.Minute, ""},
		{"menu click 3 min ago: closed, not silent", none, "click", ago(3 * time.Minute), 0, false, 0, "click", 3, time.Minute, models.WhyEventClosed},
		{"follow 2 min ago: closed", none, "subscribe", ago(2 * time.Minute), 0, false, 0, "subscribe", 3, time.Minute, models.WhyEventClosed},
		{"click 20 s ago, 3 sent: used up", none, "click", ago(20 * time.Second), 3, false, 0, "click", 3, time.Minute, models.WhyQuota},
		{"text an hour ago then a click 3 min ago: the text's window", ago(time.Hour), "click", ago(3 * time.Minute), 0, true, 5, "click", 3, time.Minute, ""},
		{"text 49 h ago: silent", ago(49 * time.Hour), "", none, 0, false, 0, "", 0, 0, models.WhySilent},
		{"click 49 h ago: silent", none, "click", ago(49 * time.Hour), 0, false, 0, "", 0, 0, models.WhySilent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sent []time.Time
			for i := range tc.sent {
				sent = append(sent, ago(time.Duration(i+1)*time.Second))
			}
			w := r.Of(now, tc.msg, tc.event, tc.ev, sent)
			if w.Open != tc.open || w.Left != tc.left || w.By != tc.by || w.Allows != tc.allows || w.For != tc.for_ || w.Why != tc.why {
				t.Fatalf("got %+v", w)
			}
		})
	}
}

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
