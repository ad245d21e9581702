package delivery_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

const customSend = "/cgi-bin/message/custom/send"

// faultRig is one account, its fans, a push to them and a delivery engine
// on a clock the test moves.
type faultRig struct {
	t     *testing.T
	s     *models.Store
	d     *delivery.Engine
	appID string
	push  *models.Push
	mu    sync.Mutex
	now   time.Time
}

func newFaultRig(t *testing.T, s *models.Store, fansN int) *faultRig {
	r := &faultRig{t: t, s: s, appID: "wxfault" + models.RandomToken(4), now: time.Now().Truncate(time.Second)}
	platform.AddAccount(fake.Account{AppID: r.appID, AppSecret: "s", Token: "t"})
	ids := fans(t, s, r.appID, "f", fansN, fansN) // all wrote: custom-service channel
	r.d = newDelivery(s, r.appID, "w")
	r.d.MaxAttempts = 5 // as cmd/fivec wires it
	// These tests are about each recipient's retries; the breaker, which
	// would pause the engine after 5 failures in a row (its own test is
	// TestDeliveryBacksOffWithoutAStorm), would cut a round of calls short
	// depending on timing.
	r.d.BreakAfter = 1000
	r.d.Now, s.Now = r.clock, r.clock
	p, err := s.CreatePush(context.Background(), models.NewPush{Kind: "broadcast", Name: "fault", Reply: models.TextReply("周末八折")}, ids)
	if err != nil {
		t.Fatal(err)
	}
	r.push = p
	return r
}

func (r *faultRig) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

// runAt moves the clock to start+offset, runs the engine once and returns
// how many calls it made to custom/send.
func (r *faultRig) runAt(start time.Time, offset time.Duration) int {
	r.t.Helper()
	r.mu.Lock()
	r.now = start.Add(offset)
	r.mu.Unlock()
	before := r.sendCalls()
	if _, err := r.d.RunOnce(context.Background()); err != nil {
		r.t.Fatalf("run at +%s: %v", offset, err)
	}
	return r.sendCalls() - before
}

func (r *faultRig) sendCalls() int {
	n := 0
	for _, c := range platform.CallsFor(r.appID) {
		if c.Path == customSend {
			n++
		}
	}
	return n
}

func (r *faultRig) progress() models.PushCounts {
	p, err := r.s.PushProgress(context.Background(), r.push.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// TestDeliveryRidesOutFaults: WeChat answers 5xx, errcode 45009 (quota)
// or -1 (busy) for a while. The engine retries each recipient with a
// backoff (5 s, then 10 s, …) instead of hammering the API, makes no
// call before a recipient is due, and once the fault clears every fan has
// exactly one message. The failed attempts are in each member's
// conversation (the console's member page) with the errcode.
func TestDeliveryRidesOutFaults(t *testing.T) {
	for _, f := range []struct {
		name  string
		fault fake.Fault
		code  int
	}{
		{"HTTP 503", fake.Fault{Status: http.StatusServiceUnavailable}, 0},
		{"errcode 45009", fake.Fault{ErrCode: 45009, ErrMsg: "reach max api daily quota limit"}, 45009},
		{"errcode -1", fake.Fault{ErrCode: -1, ErrMsg: "system error"}, -1},
	} {
		t.Run(f.name, func(t *testing.T) {
			modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
				const n = 4
				r := newFaultRig(t, s, n)
				fault := f.fault
				fault.Times = 2 * n // every fan's first two attempts fail
				platform.InjectFault(customSend, fault)
				start := r.clock()
				steps := []struct {
					offset time.Duration
					calls  int
				}{
					{0, n},                // first attempts: all fail
					{0, 0},                // no storm: nothing is due
					{4 * time.Second, 0},  // before the 5 s backoff
					{5 * time.Second, n},  // second attempts: fail again
					{14 * time.Second, 0}, // the backoff doubled: due at +15 s
					{15 * time.Second, n}, // fault cleared: all sent
					{time.Hour, 0},        // and nothing more, ever
				}
				for i, st := range steps {
					if got := r.runAt(start, st.offset); got != st.calls {
						t.Fatalf("step %d (+%s): %d calls to custom/send, want %d; progress %v", i, st.offset, got, st.calls, r.progress())
					}
					if i == 0 {
						if p := r.progress(); p[models.RcptQueued] != n {
							t.Fatalf("after the first failures: %v, want all %d queued for retry", p, n)
						}
					}
				}
				if p := r.progress(); p[models.RcptSent] != n {
					t.Fatalf("progress: %v, want all %d sent", p, n)
				}
				for i := 0; i < n; i++ {
					fan := fmt.Sprintf("f%03d", i)
					if inbox := platform.Inbox(r.appID, fan); countText(inbox, "周末八折") != 1 {
						t.Errorf("%s's phone shows %d copies", fan, countText(inbox, "周末八折"))
					}
					conv, err := s.Conversation(context.Background(), fan, 10)
					if err != nil {
						t.Fatal(err)
					}
					failed := 0
					for _, m := range conv {
						if m.Direction == models.DirectionOut && m.ErrCode == f.code && m.Error != "" {
							failed++
						}
					}
					if f.code != 0 && failed != 2 {
						t.Errorf("%s: %d failed attempts with errcode %d in the conversation, want 2: %+v", fan, failed, f.code, conv)
					}
				}
			})
		})
	}
}

// TestDeliveryGivesUpAfterMaxAttempts: a fault that never clears costs
// exactly MaxAttempts calls per recipient, spaced 5, 10, 20, 40 s, and then
// the recipient is failed with the platform's errcode; nothing is tried
// again.
func TestDeliveryGivesUpAfterMaxAttempts(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		r := newFaultRig(t, s, 1)
		platform.InjectFault(customSend, fake.Fault{ErrCode: 45009, Times: 100})
		t.Cleanup(func() { platform.ClearFaults(customSend) }) // the platform is shared
		start := r.clock()
		due := time.Duration(0)
		for attempt := 1; attempt <= r.d.MaxAttempts; attempt++ {
			if attempt > 1 {
				backoff := time.Duration(5<<(attempt-2)) * time.Second
				if got := r.runAt(start, due+backoff-time.Second); got != 0 {
					t.Fatalf("attempt %d came before its %s backoff", attempt, backoff)
				}
				due += backoff
			}
			if got := r.runAt(start, due); got != 1 {
				t.Fatalf("attempt %d at +%s: %d calls, want 1", attempt, due, got)
			}
		}
		if got := r.runAt(start, 24*time.Hour); got != 0 {
			t.Fatalf("after %d attempts: %d more calls", r.d.MaxAttempts, got)
		}
		if p := r.progress(); p[models.RcptFailed] != 1 {
			t.Fatalf("progress: %v, want failed", p)
		}
		if r.sendCalls() != r.d.MaxAttempts {
			t.Fatalf("%d calls in all, want %d", r.sendCalls(), r.d.MaxAttempts)
		}
	})
}

// TestDeliveryTimeoutIsNotResent: WeChat took the message but answered
// after the client gave up. The message may have been delivered, so the
// engine must not send it again (it records "unknown", like a worker that
// died mid-send), while the other fans are sent normally.
func TestDeliveryTimeoutIsNotResent(t *testing.T) {
	old := util.DefaultHTTPClient.Timeout
	util.DefaultHTTPClient.Timeout = 300 * time.Millisecond
	defer func() { util.DefaultHTTPClient.Timeout = old }()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		r := newFaultRig(t, s, 3)
		platform.InjectFault(customSend, fake.Fault{Delay: time.Second}) // then answers normally
		start := r.clock()
		before := r.sendCalls()
		r.runAt(start, 0)
		// The fake records the slow call when it ends (the client hung up),
		// which with concurrent senders can be just after the run returns.
		for wait := time.Now().Add(5 * time.Second); r.sendCalls()-before < 3 && time.Now().Before(wait); {
			time.Sleep(20 * time.Millisecond)
		}
		if got := r.sendCalls() - before; got != 3 {
			t.Fatalf("first run: %d calls, want 3", got)
		}
		time.Sleep(time.Second) // the fake finishes the slow call
		for _, off := range []time.Duration{5 * time.Second, time.Minute, time.Hour} {
			if got := r.runAt(start, off); got != 0 {
				t.Fatalf("+%s: %d more calls: the timed-out message was sent again", off, got)
			}
		}
		p := r.progress()
		if p[models.RcptSent] != 2 || p[models.RcptUnknown] != 1 {
			t.Fatalf("progress: %v, want 2 sent and 1 unknown", p)
		}
		for i := 0; i < 3; i++ {
			fan := fmt.Sprintf("f%03d", i)
			if n := countText(platform.Inbox(r.appID, fan), "周末八折"); n != 1 {
				t.Errorf("%s's phone shows %d copies, want 1", fan, n)
			}
		}
	})
}

func countText(inbox []fake.Delivery, text string) int {
	n := 0
	for _, d := range inbox {
		if d.Text == text {
			n++
		}
	}
	return n
}
