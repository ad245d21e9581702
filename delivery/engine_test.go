package delivery_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

func newDelivery(s *models.Store, appID, worker string) *delivery.Engine {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	wx := wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "s", Token: "t"}, wechat.NewMemoryCache(nil))
	return &delivery.Engine{
		Store: s, Sender: &wechat.Sender{Store: s, WX: wx, Log: log}, Log: log, Worker: worker,
		Limiter: rate.NewLimiter(rate.Inf, 1), Batch: 7, Lease: time.Minute, Loc: time.UTC,
		Window: models.DefaultWindowRules, MaxAttempts: 3, Now: time.Now,
	}
}

// fans makes n followers on the platform and in fivec; the first `writers`
// of them have written (their 48-hour window is open).
func fans(t *testing.T, s *models.Store, appID, prefix string, n, writers int) []uint64 {
	t.Helper()
	ctx := context.Background()
	var ids []uint64
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%s%03d", prefix, i)
		if _, err := platform.Follow(ctx, appID, id, ""); err != nil {
			t.Fatal(err)
		}
		in := models.Inbound{DedupeKey: "f" + id, OpenID: id, MsgType: "event", Event: "subscribe", Subscribe: true}
		if i < writers {
			platform.SendText(ctx, appID, id, "hi")
			in = models.Inbound{DedupeKey: "w" + id, OpenID: id, MsgType: "text", Content: "hi"}
		}
		_, m, _, err := s.RecordInbound(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

func sentTo(appID string) map[string]int {
	out := map[string]int{}
	for _, c := range platform.CallsFor(appID) {
		if c.ErrCode == 0 && c.HTTPStatus == 200 && (strings.HasSuffix(c.Path, "custom/send") || strings.HasSuffix(c.Path, "template/send")) {
			for _, part := range strings.Split(string(c.Body), `"touser":"`)[1:] {
				out[part[:strings.Index(part, `"`)]]++
			}
		}
	}
	return out
}

func TestDeliveryPicksChannelsAndRecordsEveryRecipient(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxdlv" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		ids := fans(t, s, appID, "d", 4, 2) // d000, d001 wrote; d002, d003 did not
		platform.Unfollow(ctx, appID, "d003")
		s.RecordInbound(ctx, models.Inbound{DedupeKey: "u3", OpenID: "d003", MsgType: "event", Event: "unsubscribe", Unsubscribe: true})

		withTpl, err := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "周末活动", Reply: models.TextReply("周末八折"),
			TemplateID: "TPL", TemplateData: map[string]string{"thing1": "周末八折"}}, ids)
		if err != nil {
			t.Fatal(err)
		}
		d := newDelivery(s, appID, "w1")
		if n, err := d.RunOnce(ctx); err != nil || n != 3 {
			t.Fatalf("delivered %d (%v), want 3 (the unfollowed fan was skipped when planned)", n, err)
		}
		prog, _ := s.PushProgress(ctx, withTpl.ID)
		if prog[models.RcptSent] != 3 || prog[models.RcptSkipped] != 1 {
			t.Fatalf("progress: %v", prog)
		}
		if p, _ := s.FindPush(ctx, withTpl.ID); p.State != models.PushDone {
			t.Fatalf("push state %s", p.State)
		}
		got := sentTo(appID)
		if got["d000"] != 1 || got["d001"] != 1 || got["d002"] != 1 || got["d003"] != 0 {
			t.Fatalf("sends: %v", got)
		}
		// Without a template the fan with a closed window is unreachable, and
		// says so (two minutes on: the one-minute window after following is
		// over for d002).
		real := s.Now
		s.Now = func() time.Time { return real().Add(2 * time.Minute) }
		d.Now = s.Now
		noTpl, _ := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "仅客服消息", Reply: models.TextReply("hi")}, ids[:3])
		d.RunOnce(ctx)
		prog, _ = s.PushProgress(ctx, noTpl.ID)
		if prog[models.RcptSent] != 2 || prog[models.RcptSkipped] != 1 {
			t.Fatalf("progress without template: %v", prog)
		}
		// A frequency cap of 2 a week: everyone got two pushes already.
		d.FrequencyCap, d.CapWindow = 2, 7*24*time.Hour
		third, _ := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "第三条", Reply: models.TextReply("again")}, ids[:2])
		d.RunOnce(ctx)
		prog, _ = s.PushProgress(ctx, third.ID)
		if prog[models.RcptSkipped] != 2 {
			t.Fatalf("frequency cap: %v", prog)
		}
		if _, err := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "", Reply: models.TextReply("x")}, ids); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("nameless push: %v", err)
		}
	})
}

func TestDeliveryResumesAfterCrashWithoutDuplicates(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxcrash" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"})
		ids := fans(t, s, appID, "c", 6, 6)
		p, _ := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "crash", Reply: models.TextReply("hello")}, ids)
		// Worker A claims a batch and "dies": one recipient was mid-send, the
		// others were never attempted.
		real := s.Now
		claimed, err := s.ClaimRecipients(ctx, "dead", 3, time.Second)
		if err != nil || len(claimed) != 3 {
			t.Fatalf("claim: %d %v", len(claimed), err)
		}
		if ok, _ := s.MarkSending(ctx, &claimed[0], "dead"); !ok {
			t.Fatal("mark sending")
		}
		// While the lease runs, another worker leaves those rows alone.
		b := newDelivery(s, appID, "b")
		if n, _ := b.RunOnce(ctx); n != 3 {
			t.Fatalf("worker b handled %d, want the 3 unclaimed", n)
		}
		s.Now = func() time.Time { return real().Add(2 * time.Second) }
		if n, _ := b.RunOnce(ctx); n != 2 {
			t.Fatalf("after the lease: %d handled, want the 2 never attempted", n)
		}
		s.Now = real
		prog, _ := s.PushProgress(ctx, p.ID)
		if prog[models.RcptSent] != 5 || prog[models.RcptUnknown] != 1 {
			t.Fatalf("progress: %v", prog)
		}
		for fan, n := range sentTo(appID) {
			if n > 1 {
				t.Fatalf("%s got %d copies", fan, n)
			}
		}
	})
}

func TestTwoWorkersShareAPushExactlyOnce(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2 := modelstest.MustOpenShared(t, driver)
			ctx := context.Background()
			appID := "wxtwo" + models.RandomToken(4)
			platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"})
			ids := fans(t, s1, appID, "x", 300, 300)
			p, _ := s1.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "two", Reply: models.TextReply("hi all")}, ids)
			var wg sync.WaitGroup
			for i, s := range []*models.Store{s1, s2} {
				wg.Add(1)
				go func(i int, s *models.Store) {
					defer wg.Done()
					d := newDelivery(s, appID, fmt.Sprint("worker", i))
					d.Senders = 4
					if _, err := d.RunOnce(ctx); err != nil {
						t.Error(err)
					}
				}(i, s)
			}
			wg.Wait()
			prog, _ := s1.PushProgress(ctx, p.ID)
			if prog[models.RcptSent] != 300 {
				t.Fatalf("progress: %v", prog)
			}
			got := sentTo(appID)
			if len(got) != 300 {
				t.Fatalf("%d fans reached, want 300", len(got))
			}
			for fan, n := range got {
				if n != 1 {
					t.Fatalf("%s got %d copies", fan, n)
				}
			}
		})
	}
}

func TestQuietHoursHoldPushes(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxquiet" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"})
		ids := fans(t, s, appID, "q", 1, 1)
		p, _ := s.CreatePush(ctx, models.NewPush{Kind: "care", Name: "night", Reply: models.TextReply("晚安")}, ids)
		d := newDelivery(s, appID, "w")
		night := time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC)
		d.QuietFrom, d.QuietTo, d.Now = "22:00", "08:00", func() time.Time { return night }
		s.Now = d.Now
		d.RunOnce(ctx)
		prog, _ := s.PushProgress(ctx, p.ID)
		if prog[models.RcptQueued] != 1 || len(sentTo(appID)) != 0 {
			t.Fatalf("sent during quiet hours: %v", prog)
		}
	})
}
