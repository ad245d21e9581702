package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/cmd/fivec/fivectest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

// TestTwoProcessesOnOneDatabase runs two real fivec processes (the built
// binary, real credentials mode against the fake WeChat API) on one
// database, as behind a load balancer, and shows: WeChat's retries of one
// message that land on both produce one side effect; a broadcast reaches
// every fan exactly once; a scheduled job runs once per tick; one access
// token serves both; a rule written through one is answered by the other
// within seconds. On MariaDB when FIVEC_TEST_MYSQL_DSN is set, and on one
// SQLite file.
func TestTwoProcessesOnOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fivec and starts it twice; skipped with -short")
	}
	bin := buildOnce(t)
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) { testReplicas(t, bin, driver, "") })
	}
	// The same with the token in Redis (FIVEC_REDIS_URL).
	t.Run("mysql+redis", func(t *testing.T) {
		url := os.Getenv("FIVEC_TEST_REDIS_URL")
		if url == "" {
			t.Skip("Redis run skipped: set FIVEC_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to run it")
		}
		testReplicas(t, bin, "mysql", url)
	})
}

var (
	buildMu  sync.Mutex
	builtBin string
)

// buildOnce builds ./cmd/fivec of this module once per test binary.
func buildOnce(t *testing.T) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if _, err := os.Stat(builtBin); builtBin != "" && err == nil {
		return builtBin // the TempDir of the test that built it may be gone
	}
	root, err := fivectest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "fivec")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := fivectest.Build(ctx, root, out); err != nil {
		t.Fatal(err)
	}
	builtBin = out
	return out
}

// replicas is the set-up of one run: two processes, the fake, and a store
// of the test's own on the same database to look at what they did.
type replicas struct {
	t        *testing.T
	platform *fake.Server
	acct     fake.Account
	procs    [2]*fivectest.Proc
	store    *models.Store
	bearer   string // the admin's API token (sharedToken makes it)
}

func testReplicas(t *testing.T, bin, driver, redisURL string) {
	driverName, dsn := modelstest.DSN(t, driver) // skips without MariaDB
	platform := fake.New(fake.Options{DisableJobEvents: true})
	api := httptest.NewServer(platform)
	t.Cleanup(func() { api.Close(); platform.Close() })
	// A fresh AppID each run: a token kept in Redis outlives the run.
	acct := fake.Account{AppID: "wxreplicas" + models.RandomToken(6), AppSecret: "replica-secret", Token: "replica-token"}
	platform.AddAccount(acct)
	acct, _ = platform.Account(acct.AppID)

	// Quiet hours far from now, so pushes go out whenever the test runs.
	quiet := time.Now().UTC().Add(12 * time.Hour)
	o := fivectest.Options{Bin: bin, Dir: t.TempDir(), Acct: acct, APIBase: api.URL, Env: []string{
		"FIVEC_TIMEZONE=UTC", "FIVEC_QUIET_HOURS=" + quiet.Format("15:04") + "-" + quiet.Add(time.Minute).Format("15:04"),
		"FIVEC_JOB_SCHEDULES=service-timeouts=@every 1s",
		"FIVEC_SERVICE_UNANSWERED=0", // the rule test asks until the rule answers
	}}
	if redisURL != "" {
		o.Env = append(o.Env, "FIVEC_REDIS_URL="+redisURL)
	}
	if driver == "mysql" {
		o.MySQLDSN = dsn
	} else {
		o.SQLitePath = dsn
	}
	r := &replicas{t: t, platform: platform, acct: acct}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	started := time.Now().UTC()
	for i := range r.procs {
		o.Name = fmt.Sprintf("fivec-%s-%d", driver, i)
		p, err := fivectest.Start(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := p.Stop(); err != nil {
				t.Errorf("stop %s: %v\n%s", o.Name, err, fivectest.Tail(p.LogPath, 2000))
			}
		})
		r.procs[i] = p
	}
	store, err := models.Open(ctx, driverName, dsn, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	r.store = store

	r.sharedToken(ctx)
	r.couponAcceptedOnce(ctx)
	r.retriesRunOnce(ctx)
	r.broadcastOnce(ctx)
	r.ruleNoticedEverywhere(ctx)
	r.jobOncePerTick(ctx, started)
}

// sharedToken: both processes call WeChat at once; one token is fetched.
// When WeChat refuses it, both notice, and again one is fetched.
func (r *replicas) sharedToken(ctx context.Context) {
	t := r.t
	admin, err := r.store.Authenticate(ctx, "admin", fivectest.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	bearer, _, err := r.store.CreateAPIToken(ctx, admin.ID, "replicas test")
	if err != nil {
		t.Fatal(err)
	}
	r.bearer = bearer
	readMenus := func() {
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequestWithContext(ctx, "GET", r.procs[i%2].URL+"/api/v1/menu/live", nil)
				req.Header.Set("Authorization", "Bearer "+bearer)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("process %d: menu/live: %d %s", i%2, resp.StatusCode, body)
				}
			}()
		}
		wg.Wait()
	}
	readMenus()
	if n := r.calls("/cgi-bin/token", ""); n != 1 {
		t.Fatalf("two processes fetched %d access tokens, want 1", n)
	}
	r.platform.ExpireTokens(r.acct.AppID)
	readMenus()
	if n := r.calls("/cgi-bin/token", ""); n != 2 {
		t.Fatalf("after WeChat refused the token: %d fetches in all, want 2", n)
	}
}

// couponAcceptedOnce: four cashiers at each process accept the same 12
// coupons at the same moment (TestCouponAcceptedOnceUnderConcurrency across
// processes). Each coupon is accepted once: one 200, every other attempt 409.
func (r *replicas) couponAcceptedOnce(ctx context.Context) {
	t := r.t
	g, err := r.store.SaveGift(ctx, models.Gift{Name: "咖啡券", Kind: models.GiftCoupon, Cost: 1, Stock: 100, ValidDays: 30, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for i := range 12 {
		m := r.follow(ctx, fmt.Sprintf("o_replica_coupon_%02d", i), i%2)
		red, err := r.store.GrantGift(ctx, m.ID, g.ID, fmt.Sprintf("replica-coupon-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, red.Code)
	}
	var mu sync.Mutex
	accepted := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for cashier := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range codes {
				code := codes[(i+cashier)%len(codes)]
				req, _ := http.NewRequestWithContext(ctx, "POST", r.procs[cashier%2].URL+"/api/v1/coupons/use",
					strings.NewReader(`{"code":"`+code+`"}`))
				req.Header.Set("Authorization", "Bearer "+r.bearer)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					mu.Lock()
					accepted[code]++
					mu.Unlock()
				case http.StatusConflict:
				default:
					t.Errorf("process %d, coupon %s: %d %s", cashier%2, code, resp.StatusCode, body)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, code := range codes {
		if accepted[code] != 1 {
			t.Errorf("coupon %s accepted %d times by 8 cashiers on 2 processes, want once", code, accepted[code])
		}
	}
}

// retriesRunOnce: a fan signs in (签到); WeChat's retries of the message hit
// both processes at once. Every attempt gets the same answer, and there is
// one message row and one points entry.
func (r *replicas) retriesRunOnce(ctx context.Context) {
	t := r.t
	const fan = "o_replica_signin"
	r.follow(ctx, fan, 0)
	msg := fake.CallbackMessage{ToUserName: r.acct.OriginalID, FromUserName: fan, CreateTime: time.Now().Unix(),
		MsgType: "text", Content: "签到", MsgID: 7700000000000001}
	answers := make([]string, 6)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = r.post(ctx, i%2, msg)
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if !strings.Contains(a, "签到成功") || a != answers[0] {
			t.Fatalf("attempt %d (process %d) answered %q; attempt 0 %q", i, i%2, a, answers[0])
		}
	}
	m, err := r.store.FindMemberByOpenID(ctx, fan)
	if err != nil {
		t.Fatal(err)
	}
	conv, _ := r.store.Conversation(ctx, fan, 100)
	signIns := 0
	for _, c := range conv {
		if c.Direction == "in" && c.Content == "签到" {
			signIns++
		}
	}
	points, _ := r.store.PointsHistory(ctx, m.ID, 100)
	var fromSignIn []models.PointsEntry
	for _, p := range points {
		if p.Source == models.SourceSignIn {
			fromSignIn = append(fromSignIn, p)
		}
	}
	if signIns != 1 || len(fromSignIn) != 1 {
		t.Fatalf("after 6 attempts on 2 processes: %d sign-in messages, %d sign-in points entries; want 1 and 1", signIns, len(fromSignIn))
	}
}

// broadcastOnce: a push to 30 fans (who used both processes) is delivered
// by the two processes' delivery jobs, each fan exactly once.
func (r *replicas) broadcastOnce(ctx context.Context) {
	t := r.t
	const text = "周末八折：两个进程，只发一次"
	var ids []uint64
	var fans []string
	for i := range 30 {
		fan := fmt.Sprintf("o_replica_fan_%02d", i)
		m := r.follow(ctx, fan, i%2)
		ids, fans = append(ids, m.ID), append(fans, fan)
	}
	p, err := r.store.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "replicas", Reply: models.TextReply(text)}, ids)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		counts, err := r.store.PushProgress(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if counts[models.RcptSent] == int64(len(ids)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("push not delivered within 60 s: %v\n%s", counts, fivectest.Tail(r.procs[0].LogPath, 2000))
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, fan := range fans {
		got := 0
		for _, d := range r.platform.Inbox(r.acct.AppID, fan) {
			if d.Text == text {
				got++
			}
		}
		if got != 1 {
			t.Errorf("%s received the broadcast %d times", fan, got)
		}
	}
	if n := r.calls("/cgi-bin/message/custom/send", text); n != len(fans) {
		t.Fatalf("%d sends of the broadcast for %d fans", n, len(fans))
	}
}

// ruleNoticedEverywhere: a rule saved through the database (as either
// process's console does) answers on both processes within seconds.
func (r *replicas) ruleNoticedEverywhere(ctx context.Context) {
	t := r.t
	if _, err := r.store.CreateRule(ctx, models.RuleSpec{Name: "replicas", Kind: models.RuleKeyword,
		Keywords: []models.Keyword{{Text: "几个进程", Match: "contains"}}, Replies: []models.Reply{models.TextReply("两个进程都知道")}}); err != nil {
		t.Fatal(err)
	}
	const fan = "o_replica_rules"
	r.follow(ctx, fan, 0)
	for proc := range r.procs {
		deadline := time.Now().Add(10 * time.Second)
		for n := int64(1); ; n++ {
			msg := fake.CallbackMessage{ToUserName: r.acct.OriginalID, FromUserName: fan, CreateTime: time.Now().Unix(),
				MsgType: "text", Content: "请问有几个进程？", MsgID: 7700000000001000 + int64(proc)*100 + n}
			a := r.post(ctx, proc, msg)
			if a == "两个进程都知道" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("process %d did not answer with the new rule within 10 s (last answer %q)", proc, a)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
}

// jobOncePerTick: service-timeouts is scheduled every second in both
// processes; each tick has one lease and ran once, in one process.
func (r *replicas) jobOncePerTick(ctx context.Context, since time.Time) {
	t := r.t
	const job = "service-timeouts"
	for attempt := 0; ; attempt++ {
		// Read between ticks: 400 ms after a whole second.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1400 * time.Millisecond)))
		leases, err := r.store.JobLeases(ctx, job, since.Add(-time.Second))
		if err != nil {
			t.Fatal(err)
		}
		ran, elsewhere := 0.0, 0.0
		for _, p := range r.procs {
			ran += r.metric(ctx, p, `fivec_job_runs_total{job="`+job+`",outcome="ran"}`)
			elsewhere += r.metric(ctx, p, `fivec_job_runs_total{job="`+job+`",outcome="elsewhere"}`)
		}
		ticks := map[time.Time]int{}
		leasesRan, unfinished := 0, 0
		for _, l := range leases {
			ticks[l.Tick]++
			switch {
			case l.Outcome == models.LeaseRan:
				leasesRan++
			case l.FinishedAt == nil:
				unfinished++
			}
		}
		if len(ticks) != len(leases) {
			t.Fatalf("a tick has two leases: %v", ticks)
		}
		// Between ticks every lease is finished, and the runs both
		// processes counted are exactly the ticks that ran.
		if leasesRan >= 5 && unfinished == 0 && float64(leasesRan) == ran {
			if elsewhere == 0 {
				t.Fatalf("the other process never stood aside: ran %v, elsewhere %v", ran, elsewhere)
			}
			return
		}
		if attempt == 5 {
			t.Fatalf("%d ticks, %d ran, %d unfinished; the processes counted %v runs (elsewhere %v): want one run per tick",
				len(leases), leasesRan, unfinished, ran, elsewhere)
		}
	}
}

// follow makes fan follow and say hello through process proc (the fake
// posts to whichever process the load balancer would pick) and returns the
// member fivec recorded.
func (r *replicas) follow(ctx context.Context, fan string, proc int) *models.Member {
	t := r.t
	acct := r.acct
	acct.CallbackURL = r.procs[proc].URL + "/wechat"
	r.platform.AddAccount(acct)
	if _, err := r.platform.Follow(ctx, acct.AppID, fan, ""); err != nil {
		t.Fatalf("%s follows: %v", fan, err)
	}
	if _, err := r.platform.SendText(ctx, acct.AppID, fan, "你好"); err != nil {
		t.Fatalf("%s says hello: %v", fan, err)
	}
	m, err := r.store.FindMemberByOpenID(ctx, fan)
	if err != nil {
		t.Fatalf("%s: %v", fan, err)
	}
	return m
}

// post sends msg, signed as WeChat would, to process proc and returns the
// text of the passive reply ("" for success).
func (r *replicas) post(ctx context.Context, proc int, msg fake.CallbackMessage) string {
	t := r.t
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	q, body, err := fake.BuildCallback(r.acct, msg, ts, strconv.FormatInt(time.Now().UnixNano(), 10))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", r.procs[proc].URL+"/wechat?"+q.Encode(), bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("process %d answered %d %s", proc, resp.StatusCode, answer)
	}
	reply, err := fake.ParseReply(r.acct, q, answer)
	if err != nil {
		t.Fatalf("process %d: %v", proc, err)
	}
	if reply == nil {
		return ""
	}
	return reply.Content
}

// calls counts the fake's successful API calls to path for the account
// whose body contains text.
func (r *replicas) calls(path, text string) int {
	n := 0
	for _, c := range r.platform.CallsFor(r.acct.AppID) {
		if c.Path == path && c.ErrCode == 0 && strings.Contains(c.Body, text) {
			n++
		}
	}
	return n
}

// metric reads one sample from p's /metrics (0 when absent).
func (r *replicas) metric(ctx context.Context, p *fivectest.Proc, sample string) float64 {
	req, _ := http.NewRequestWithContext(ctx, "GET", p.MetricsURL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}
