package delivery_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// rows returns a push's recipients by openid.
func rows(t *testing.T, s *models.Store, pushID uint64) map[string]models.Recipient {
	t.Helper()
	out := map[string]models.Recipient{}
	for after := uint64(0); ; {
		page, err := s.PushRecipients(context.Background(), pushID, "", after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		for _, r := range page {
			out[r.OpenID] = r
		}
		after = page[len(page)-1].ID
	}
}

// sendCalls counts the send calls made for appID, refused ones included.
func sendCalls(appID string) int {
	n := 0
	for _, c := range platform.CallsFor(appID) {
		if strings.HasSuffix(c.Path, "/send") {
			n++
		}
	}
	return n
}

func follower(t *testing.T, s *models.Store, openID string) uint64 {
	t.Helper()
	ctx := context.Background()
	if err := s.UpsertFollowers(ctx, []models.Follower{{OpenID: openID, Subscribed: true}}); err != nil {
		t.Fatal(err)
	}
	m, err := s.FindMemberByOpenID(ctx, openID)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func TestDeliveryRecordsThePlatformsRefusals(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxref" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		wrote := func(openID string) uint64 {
			in := models.Inbound{DedupeKey: "w" + openID, OpenID: openID, MsgType: "text", Content: "hi"}
			_, m, _, err := s.RecordInbound(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return m.ID
		}
		// fivec saw a message the platform has no window for: 45015.
		platform.SeedFan(appID, fake.Fan{OpenID: "r45015", Subscribed: true})
		closed := wrote("r45015")
		// The window's five messages went out behind fivec's back: 45047.
		platform.SeedFan(appID, fake.Fan{OpenID: "r45047", Subscribed: true})
		platform.SendText(ctx, appID, "r45047", "hi")
		spent := wrote("r45047")
		wx := wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "s", Token: "t"}, wechat.NewMemoryCache(nil))
		for i := 0; i < 5; i++ {
			if err := wx.SendCustom(ctx, "r45047", models.TextReply("earlier")); err != nil {
				t.Fatal(err)
			}
		}
		// Unfollowed on the platform, fivec not told yet: 43004 on the template.
		platform.Follow(ctx, appID, "r43004", "")
		platform.Unfollow(ctx, appID, "r43004")
		gone := follower(t, s, "r43004")
		platform.SeedFan(appID, fake.Fan{OpenID: "rok", Subscribed: true})
		fine := follower(t, s, "rok")

		p, err := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "refusals", Reply: models.TextReply("sale"),
			TemplateID: "TPL", TemplateData: map[string]string{"thing1": "sale"}}, []uint64{closed, spent, gone, fine})
		if err != nil {
			t.Fatal(err)
		}
		before := sendCalls(appID)
		d := newDelivery(s, appID, "w")
		if n, err := d.RunOnce(ctx); err != nil || n != 4 {
			t.Fatalf("handled %d (%v)", n, err)
		}
		got := rows(t, s, p.ID)
		want := map[string]struct {
			state, channel string
			code           int
		}{
			"r45015": {models.RcptFailed, models.ChannelCustom, 45015},
			"r45047": {models.RcptFailed, models.ChannelCustom, 45047},
			"r43004": {models.RcptSkipped, models.ChannelTemplate, 43004},
			"rok":    {models.RcptSent, models.ChannelTemplate, 0},
		}
		for id, w := range want {
			r := got[id]
			if r.State != w.state || r.Channel != w.channel || r.ErrCode != w.code || (w.code != 0 && r.Reason == "") {
				t.Errorf("%s: %s %s %d %q, want %s %s %d", id, r.State, r.Channel, r.ErrCode, r.Reason, w.state, w.channel, w.code)
			}
		}
		// Refusals are final: another run calls nobody.
		d.RunOnce(ctx)
		if n := sendCalls(appID) - before; n != 4 {
			t.Fatalf("%d send calls, want one per fan", n)
		}
		if p, _ := s.FindPush(ctx, p.ID); p.State != models.PushDone {
			t.Fatalf("push %s", p.State)
		}
	})
}

func TestDeliveryBacksOffWithoutAStorm(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxoff" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		var ids []uint64
		for i := 0; i < 40; i++ {
			id := fmt.Sprintf("off%02d", i)
			platform.SeedFan(appID, fake.Fan{OpenID: id, Subscribed: true})
			ids = append(ids, follower(t, s, id))
		}
		now := time.Now()
		clock := func() time.Time { return now }
		s.Now = clock
		d := newDelivery(s, appID, "w")
		d.Now, d.Senders = clock, 2
		d.Limiter = rate.NewLimiter(1000, 5) // groups of 5
		push := func(name string, ids []uint64) *models.Push {
			p, err := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: name, Reply: models.TextReply(name),
				TemplateID: "TPL", TemplateData: map[string]string{"thing1": name}}, ids)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}

		// The daily quota (45009) once: that fan waits 5 s, then gets it.
		platform.InjectFault("/cgi-bin/message/template/send", fake.Fault{ErrCode: 45009})
		quota := push("quota", ids[:1])
		d.RunOnce(ctx)
		r := rows(t, s, quota.ID)["off00"]
		if r.State != models.RcptQueued || r.ErrCode != 45009 || r.Attempts != 1 || !r.NextAt.Equal(now.Add(5*time.Second).Truncate(time.Millisecond)) ||
			!strings.HasPrefix(r.Reason, "retrying") {
			t.Fatalf("after 45009: %+v", r)
		}
		now = now.Add(6 * time.Second)
		d.RunOnce(ctx)
		if r := rows(t, s, quota.ID)["off00"]; r.State != models.RcptSent || r.Attempts != 2 {
			t.Fatalf("after the backoff: %+v", r)
		}

		// The API answers 500 to everything: the engine stops after a few
		// calls and pauses, instead of trying all 40 fans again and again.
		platform.InjectFault("/cgi-bin/message/template/send", fake.Fault{Status: http.StatusInternalServerError, Times: 30})
		defer drainFaults(t)
		storm := push("storm", ids)
		before := sendCalls(appID)
		if _, err := d.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		calls := sendCalls(appID) - before
		if calls < 5 || calls > 5+2*5+2 {
			t.Fatalf("%d calls against a failing API, want the breaker after 5 (plus the group in flight)", calls)
		}
		if n, _ := d.RunOnce(ctx); n != 0 || sendCalls(appID)-before != calls {
			t.Fatalf("paused engine handled %d", n)
		}
		prog, _ := s.PushProgress(ctx, storm.ID)
		if prog[models.RcptQueued] != 40 || prog[models.RcptFailed] != 0 {
			t.Fatalf("after the storm: %v (all 40 wait, none lost)", prog)
		}
		drainFaults(t)
		now = now.Add(time.Minute) // past the pause and the backoff
		if _, err := d.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		prog, _ = s.PushProgress(ctx, storm.ID)
		if prog[models.RcptSent] != 40 {
			t.Fatalf("after recovery: %v", prog)
		}
		for fan, n := range sentTo(appID) {
			if n > 2 { // the quota push and the storm push
				t.Fatalf("%s got %d copies", fan, n)
			}
		}
	})
}

// drainFaults uses up the template faults still queued on the shared fake.
func drainFaults(t *testing.T) {
	srv := httptest.NewServer(platform)
	defer srv.Close()
	for i := 0; i < 100; i++ {
		resp, err := http.Post(srv.URL+"/cgi-bin/message/template/send", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
	}
}

// workerEnv carries the database and the fake to TestDeliveryWorkerProcess.
const workerEnv = "FIVEC_TEST_DELIVERY_WORKER"

// TestDeliveryWorkerProcess is not a test: TestDeliveryKilledMidPush runs
// the test binary again with this one selected, as a delivery worker in its
// own process that it can SIGKILL.
func TestDeliveryWorkerProcess(t *testing.T) {
	spec := os.Getenv(workerEnv)
	if spec == "" {
		t.Skip("helper process for TestDeliveryKilledMidPush")
	}
	f := strings.Split(spec, "\t") // driver, dsn, API base, appid
	wechat.Install(f[2], metrics.New())
	s, err := models.Open(context.Background(), f[0], f[1], 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	d := newDelivery(s, f[3], fmt.Sprint("child-", os.Getpid()))
	d.Limiter, d.Lease, d.Batch, d.Senders = rate.NewLimiter(150, 5), 2*time.Second, 20, 4
	for {
		if _, err := d.RunOnce(context.Background()); err != nil {
			t.Log(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeliveryKilledMidPush(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a worker process: not in -short")
	}
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			driverName, dsn := modelstest.DSN(t, driver)
			s, err := models.Open(context.Background(), driverName, dsn, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			appID := "wxkill" + models.RandomToken(4)
			platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"})
			ids := fans(t, s, appID, "k", 300, 300)
			p, err := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "kill", Reply: models.TextReply("hello")}, ids)
			if err != nil {
				t.Fatal(err)
			}
			api := httptest.NewServer(platform)
			defer api.Close()
			cmd := exec.Command(os.Args[0], "-test.run=^TestDeliveryWorkerProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), workerEnv+"="+strings.Join([]string{driverName, dsn, api.URL, appID}, "\t"))
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for len(sentTo(appID)) < 100 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			atKill := len(sentTo(appID))
			if atKill < 100 || atKill >= 300 {
				t.Fatalf("%d fans reached when the worker was killed, want the middle", atKill)
			}
			// A new worker waits out the dead one's leases (2 s), then
			// finishes the push.
			time.Sleep(2100 * time.Millisecond)
			d := newDelivery(s, appID, "after")
			if _, err := d.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			prog, _ := s.PushProgress(ctx, p.ID)
			got := sentTo(appID)
			if prog[models.RcptSent]+prog[models.RcptUnknown] != 300 || len(got) < 300-int(prog[models.RcptUnknown]) {
				t.Fatalf("progress %v, %d fans reached", prog, len(got))
			}
			for id, r := range rows(t, s, p.ID) {
				switch n := got[id]; {
				case n > 1:
					t.Fatalf("%s got %d copies", id, n)
				case r.State == models.RcptSent && n != 1:
					t.Fatalf("%s marked sent, got %d", id, n)
				case r.State != models.RcptSent && r.State != models.RcptUnknown:
					t.Fatalf("%s left %s", id, r.State)
				}
			}
			t.Logf("killed after %d fans; %v", atKill, prog)
		})
	}
}

// A call that gets no answer may have been delivered: the fan is "unknown"
// and is not sent again. (The SDK's HTTP client gives up after 10 s; the
// fake holds the answer 11 s, then delivers, as WeChat might.)
func TestDeliveryTimeoutIsUnknownNotResent(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 10 s HTTP timeout: not in -short")
	}
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s := modelstest.MustOpen(t, driver)
			t.Parallel() // both wait out the timeout at once
			ctx := context.Background()
			appID := "wxslow" + models.RandomToken(4)
			platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
			openID := "slow" + driver
			platform.SeedFan(appID, fake.Fan{OpenID: openID, Subscribed: true})
			p, err := s.CreatePush(ctx, models.NewPush{Kind: "care", Name: "slow", Reply: models.TextReply("x"),
				TemplateID: "TPL", TemplateData: map[string]string{"thing1": "x"}}, []uint64{follower(t, s, openID)})
			if err != nil {
				t.Fatal(err)
			}
			platform.InjectFault("/cgi-bin/message/template/send", fake.Fault{Delay: 11 * time.Second})
			d := newDelivery(s, appID, "w")
			d.RunOnce(ctx)
			r := rows(t, s, p.ID)[openID]
			if r.State != models.RcptUnknown || !strings.Contains(r.Reason, "may have delivered") {
				t.Fatalf("after a timeout: %+v", r)
			}
			time.Sleep(1500 * time.Millisecond) // the fake finishes the call
			now := time.Now().Add(time.Hour)
			s.Now, d.Now = func() time.Time { return now }, func() time.Time { return now }
			d.RunOnce(ctx)
			if n := sentTo(appID)[openID]; n != 1 {
				t.Fatalf("the phone shows %d copies, want the one the slow call delivered", n)
			}
		})
	}
}
