// Command delivery is the load program for the delivery engine (BENCHMARKS.md
// "P4: delivery engine"). In one run it:
//
//  1. creates -members followers in a fresh database (SQLite in a temp
//     directory, or -mysql-dsn), -unfollowed of them unfollowed;
//  2. plans a push to all of them twice, by id list (CreatePush) and by a
//     segment (PlanPush), and times both (target: < 30 s each);
//  3. plans a push to the first -deliver members, starts the fake WeChat API
//     on loopback with a per-minute cap of -rate × 60 on the send endpoints,
//     and runs the real fivec binary (`fivec deliver`) as a subprocess at
//     FIVEC_DELIVERY_RATE = -rate (-workers processes share it);
//  4. kills the worker with SIGKILL once -kill-at of the sends are done,
//     starts a new one, and waits until the push is done;
//  5. counts, from the fake's records of every fan's phone, duplicates and
//     lost recipients, and reports the recipients the kill left "unknown"
//     (and whether the fake says they got the message).
//
// The delivery rate is measured from the fake's call records between the
// first send (plus a second of ramp-up) and the kill, and reported as a
// ratio of the configured rate.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat/fake"
)

type options struct {
	members, deliver, rate, senders int
	workers                         int
	unfollowed, writers, killAt     float64
	lease                           time.Duration
	mysqlDSN, fivecBin, cpuProfile  string
	keep, markdown, plan            bool
	timeout                         time.Duration
}

func main() {
	var o options
	flag.IntVar(&o.members, "members", 1_000_000, "followers created and planned")
	flag.IntVar(&o.deliver, "deliver", 50_000, "recipients actually delivered (the first members)")
	flag.IntVar(&o.rate, "rate", 500, "sends per second: the fake's cap is rate×60 a minute per send endpoint, and FIVEC_DELIVERY_RATE")
	flag.IntVar(&o.workers, "workers", 1, "`fivec deliver` processes sharing the push (each gets rate/workers; the first is the one killed)")
	flag.IntVar(&o.senders, "senders", 32, "`fivec deliver -senders`: API calls in flight")
	flag.Float64Var(&o.unfollowed, "unfollowed", 0.01, "share of members who unfollowed (planned as skipped)")
	flag.Float64Var(&o.writers, "writers", 0.1, "share of delivered fans who wrote recently (customer-service channel; the rest get the template)")
	flag.Float64Var(&o.killAt, "kill-at", 0.5, "SIGKILL the worker after this share of the sends (0: no kill)")
	flag.DurationVar(&o.lease, "lease", 10*time.Second, "`fivec deliver -lease`: how long the dead worker's claims block")
	flag.StringVar(&o.mysqlDSN, "mysql-dsn", "", "MariaDB/MySQL DSN of an EMPTY database (default: SQLite in a temp directory)")
	flag.StringVar(&o.fivecBin, "fivec-bin", "", "a ready fivec binary (default: go build ./cmd/fivec)")
	flag.BoolVar(&o.plan, "plan", true, "plan the two million-member pushes (false: deliver with only the delivered push in the table)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "`fivec deliver -cpuprofile`: profile each worker to this path + .1, .2 (a killed worker writes none)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temp directory (SQLite file, worker logs)")
	flag.BoolVar(&o.markdown, "markdown", false, "print the results as Markdown tables")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up after this long")
	flag.Parse()
	if o.deliver > o.members || o.deliver < 1 || o.workers < 1 || o.rate < o.workers {
		fmt.Fprintln(os.Stderr, "delivery: need 1 ≤ -deliver ≤ -members, -workers ≥ 1 and -rate ≥ -workers")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	r, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "delivery:", err)
		os.Exit(1)
	}
	r.print(os.Stdout, o)
	if r.duplicates > 0 || r.lost > 0 {
		os.Exit(3)
	}
}

const appID = "wxbenchdelivery"

// results are the run's numbers.
type results struct {
	driver                    string
	createMembers             time.Duration
	planIDs, planSegment      time.Duration
	planIDsPlan, planSegPlan  *models.PushPlan
	planDeliver               time.Duration
	sendsBeforeKill           int
	rateWindow                time.Duration
	rateSends                 int
	refused45011              int
	restartGap                time.Duration
	deliveryWall              time.Duration
	progress                  models.PushCounts
	delivered, duplicates     int
	lost                      int
	unknown, unknownDelivered int
	custom, template          int
	sentButMissing, extraFans int
	killed                    bool
}

func run(ctx context.Context, o options) (*results, error) {
	dir, err := os.MkdirTemp("", "fivec-delivery-bench-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	driver, dsn := "sqlite", filepath.Join(dir, "fivec.db")
	if o.mysqlDSN != "" {
		driver, dsn = "mysql", o.mysqlDSN
	}
	bin := o.fivecBin
	if bin == "" {
		bin = filepath.Join(dir, "fivec")
		logf("building ./cmd/fivec")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/fivec")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/fivec (run from the module root): %v\n%s", err, out)
		}
	}
	store, err := models.Open(ctx, driver, dsn, 10*time.Second)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if n, err := store.CountSegment(ctx, models.SegmentFilter{}); err != nil || n > 0 {
		return nil, fmt.Errorf("the database must be empty (it has %d members, %v)", n, err)
	}
	r := &results{driver: driver}

	// 1. Members, and the delivered ones as fans on the fake platform.
	platform := fake.New(fake.Options{
		RateLimits: map[string]int{"/cgi-bin/message/custom/send": o.rate * 60, "/cgi-bin/message/template/send": o.rate * 60},
		MaxCalls:   4*o.deliver + 1000, DisableJobEvents: true,
	})
	defer platform.Close()
	platform.AddAccount(fake.Account{AppID: appID, AppSecret: "bench-secret", Token: "benchtoken", Verified: true})
	openID := func(i int) string { return fmt.Sprintf("obench%08d", i) }
	start := time.Now()
	unfollowEvery := 0
	if o.unfollowed > 0 {
		unfollowEvery = int(1 / o.unfollowed)
	}
	page := make([]models.Follower, 0, 10000)
	for i := 0; i < o.members; i++ {
		sub := unfollowEvery == 0 || i%unfollowEvery != unfollowEvery-1
		page = append(page, models.Follower{OpenID: openID(i), Subscribed: sub})
		if i < o.deliver {
			if err := platform.SeedFan(appID, fake.Fan{OpenID: openID(i), Subscribed: sub}); err != nil {
				return nil, err
			}
		}
		if len(page) == cap(page) || i == o.members-1 {
			if err := store.UpsertFollowers(ctx, page); err != nil {
				return nil, err
			}
			page = page[:0]
		}
	}
	r.createMembers = time.Since(start)
	logf("%d members in %s", o.members, r.createMembers.Round(time.Millisecond))
	ids, err := store.SegmentMemberIDs(ctx, models.SegmentFilter{})
	if err != nil {
		return nil, err
	}
	// Writers: the fan wrote a minute ago, on the platform and in fivec, so
	// fivec picks the customer-service channel for them.
	writeEvery := 0
	if o.writers > 0 {
		writeEvery = int(1 / o.writers)
	}
	for i := 0; writeEvery > 0 && i < o.deliver; i += writeEvery {
		if _, err := platform.SendText(ctx, appID, openID(i), "hi"); err != nil {
			return nil, err
		}
		if _, _, _, err := store.RecordInbound(ctx, models.Inbound{DedupeKey: "bench" + openID(i), OpenID: openID(i), MsgType: "text", Content: "hi"}); err != nil {
			return nil, err
		}
	}

	// 2. Planning a million: by id list (with duplicates and unknown ids,
	// which the plan must report), then by segment. Both are scheduled a
	// year ahead, so they sit in the table while the worker delivers.
	if o.plan {
		later := time.Now().AddDate(1, 0, 0)
		list := append(append([]uint64(nil), ids...), ids[:1000]...)
		list = append(list, ids[len(ids)-1]+1, ids[len(ids)-1]+2)
		news := models.NewPush{Kind: "broadcast", Name: "bench: one million", Reply: models.TextReply("新品上市"),
			TemplateID: "TPL_BENCH", TemplateData: map[string]string{"thing1": "新品上市"}, ScheduledAt: &later}
		start = time.Now()
		if _, r.planIDsPlan, err = store.PlanPush(ctx, news, models.PushAudience{MemberIDs: list}); err != nil {
			return nil, err
		}
		r.planIDs = time.Since(start)
		logf("planned %d ids in %s: %+v", len(list), r.planIDs.Round(time.Millisecond), *r.planIDsPlan)
		start = time.Now()
		news.Name = "bench: one million by segment"
		if _, r.planSegPlan, err = store.PlanPush(ctx, news, models.PushAudience{Segment: &models.SegmentFilter{}}); err != nil {
			return nil, err
		}
		r.planSegment = time.Since(start)
		logf("planned the segment in %s: %+v", r.planSegment.Round(time.Millisecond), *r.planSegPlan)
	} else {
		r.planIDsPlan, r.planSegPlan = &models.PushPlan{}, &models.PushPlan{}
	}

	// 3. The delivered push: its text names it, so the fans' phones tell
	// its copies apart from anything else.
	marker := "bench push " + models.RandomToken(6)
	start = time.Now()
	push, err := store.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "bench: delivered", Reply: models.TextReply(marker),
		TemplateID: "TPL_BENCH", TemplateData: map[string]string{"thing1": marker}}, ids[:o.deliver])
	if err != nil {
		return nil, err
	}
	r.planDeliver = time.Since(start)

	var sends atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasSuffix(req.URL.Path, "/send") {
			sends.Add(1)
		}
		platform.ServeHTTP(w, req)
	}))
	defer api.Close()
	cfgPath := filepath.Join(dir, "deliver.yaml")
	if err := os.WriteFile(cfgPath, []byte("FIVEC_QUIET_HOURS: \"\"\nFIVEC_PUSH_CAP: 0\n"), 0o600); err != nil {
		return nil, err
	}
	env := append(os.Environ(), "FIVEC_DB_DRIVER="+driver, "FIVEC_DB_DSN="+dsn, "FIVEC_WECHAT_APPID="+appID,
		"FIVEC_WECHAT_APPSECRET=bench-secret", "FIVEC_WECHAT_TOKEN=benchtoken", "FIVEC_WECHAT_API_BASE="+api.URL, "FIVEC_REDIS_URL=")
	type proc struct {
		cmd  *exec.Cmd
		done chan error
	}
	started := 0
	// worker starts `fivec deliver` number slot of o.workers, with its share
	// of the rate.
	worker := func(slot int) (*proc, error) {
		started++
		lf, err := os.Create(filepath.Join(dir, fmt.Sprintf("worker%d.log", started)))
		if err != nil {
			return nil, err
		}
		args := []string{"deliver", "-config", cfgPath, "-lease", o.lease.String(), "-senders", fmt.Sprint(o.senders), "-every", "500ms"}
		if o.cpuProfile != "" {
			args = append(args, "-cpuprofile", fmt.Sprintf("%s.%d", o.cpuProfile, started))
		}
		share := o.rate / o.workers
		if slot == 0 {
			share += o.rate % o.workers
		}
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = append(env, fmt.Sprintf("FIVEC_DELIVERY_RATE=%d", share)), lf, lf
		if err := cmd.Start(); err != nil {
			lf.Close()
			return nil, err
		}
		p := &proc{cmd: cmd, done: make(chan error, 1)}
		go func() { p.done <- cmd.Wait(); lf.Close() }()
		return p, nil
	}

	// 4. Deliver, kill -9 worker 1 in the middle, restart it, finish.
	start = time.Now()
	procs := make([]*proc, o.workers)
	defer func() { // SIGTERM, as an operator would stop them
		for _, p := range procs {
			if p == nil {
				continue
			}
			p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(20 * time.Second):
				p.cmd.Process.Kill()
				<-p.done
			}
		}
	}()
	for i := range procs {
		if procs[i], err = worker(i); err != nil {
			return nil, err
		}
	}
	killAt := int64(o.killAt * float64(o.deliver) * (1 - o.unfollowed))
	var killTime time.Time
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
		for i, p := range procs {
			select {
			case err := <-p.done:
				procs[i] = nil
				return nil, fmt.Errorf("a worker exited: %v (logs in %s with -keep)", err, dir)
			default:
			}
		}
		if o.killAt > 0 && killTime.IsZero() && sends.Load() >= killAt {
			procs[0].cmd.Process.Kill() // SIGKILL: no clean-up at all
			<-procs[0].done
			killTime, r.sendsBeforeKill, r.killed = time.Now(), int(sends.Load()), true
			logf("SIGKILL after %d sends", r.sendsBeforeKill)
			if procs[0], err = worker(0); err != nil {
				return nil, err
			}
		}
		if !killTime.IsZero() || o.killAt == 0 {
			prog, err := store.PushProgress(ctx, push.ID)
			if err != nil {
				return nil, err
			}
			if prog[models.RcptQueued]+prog[models.RcptClaimed]+prog[models.RcptSending] == 0 {
				r.progress = prog
				break
			}
		}
	}
	r.deliveryWall = time.Since(start)

	// 5. Count from the fake's records.
	calls := platform.CallsFor(appID)
	var first, afterKill time.Time
	for _, c := range calls {
		if !strings.HasSuffix(c.Path, "/send") {
			continue
		}
		if c.ErrCode == 45011 {
			r.refused45011++
		}
		if c.ErrCode != 0 {
			continue
		}
		if first.IsZero() {
			first = c.Time
		}
		if !killTime.IsZero() && afterKill.IsZero() && c.Time.After(killTime) {
			afterKill = c.Time
		}
	}
	from, to := first.Add(time.Second), killTime
	if killTime.IsZero() {
		to = time.Now()
	}
	for _, c := range calls {
		if strings.HasSuffix(c.Path, "/send") && c.ErrCode == 0 && !c.Time.Before(from) && c.Time.Before(to) {
			r.rateSends++
		}
	}
	r.rateWindow = to.Sub(from)
	if !afterKill.IsZero() {
		r.restartGap = afterKill.Sub(killTime)
	}
	got := map[string]int{}
	for i := 0; i < o.deliver; i++ {
		for _, d := range platform.Inbox(appID, openID(i)) {
			if d.Direction == fake.DirOut && (d.Text == marker || d.TemplateData["thing1"] == marker) {
				got[openID(i)]++
				if d.Source == fake.SourceCustom {
					r.custom++
				} else {
					r.template++
				}
			}
		}
	}
	for _, n := range got {
		r.delivered++
		if n > 1 {
			r.duplicates++
		}
	}
	for after := uint64(0); ; {
		page, err := store.PushRecipients(ctx, push.ID, "", after, 5000)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for _, rc := range page {
			after = rc.ID
			n := got[rc.OpenID]
			delete(got, rc.OpenID)
			switch rc.State {
			case models.RcptSent:
				if n == 0 {
					r.sentButMissing++
				}
			case models.RcptUnknown:
				r.unknown++
				if n > 0 {
					r.unknownDelivered++
				}
			case models.RcptFailed, models.RcptSkipped:
			default:
				r.lost++ // still open after the push finished
			}
		}
	}
	r.extraFans = len(got) // reached but not planned
	r.lost += r.sentButMissing
	return r, nil
}

func logf(format string, a ...any) {
	slog.New(slog.NewTextHandler(os.Stderr, nil)).Info(fmt.Sprintf(format, a...))
}

func (r *results) print(w io.Writer, o options) {
	rate := float64(r.rateSends) / r.rateWindow.Seconds()
	ok := func(b bool) string {
		if b {
			return "yes"
		}
		return "NO"
	}
	if o.markdown {
		fmt.Fprintf(w, "| database | members | plan by ids (CreatePush) | plan by segment (PlanPush) | planned / skipped / duplicates / unknown | < 30 s |\n|---|---:|---:|---:|---|---|\n")
		p := r.planIDsPlan
		fmt.Fprintf(w, "| %s | %d | %.1f s (%.2f× the 30 s budget) | %.1f s (%.2f×) | %d / %d / %d / %d | %s |\n\n", r.driver, o.members,
			r.planIDs.Seconds(), r.planIDs.Seconds()/30, r.planSegment.Seconds(), r.planSegment.Seconds()/30,
			p.Queued, p.Skipped, p.Duplicates, len(p.Unknown), ok(r.planIDs < 30*time.Second && r.planSegment < 30*time.Second))
		fmt.Fprintf(w, "| database | workers | delivered push | configured rate | measured rate (window) | ratio | 45011 refusals | ≥ 90 %% |\n|---|---:|---:|---:|---:|---:|---:|---|\n")
		fmt.Fprintf(w, "| %s | %d | %d (%d custom, %d template) | %d/s | %.1f/s (%.1f s, %d sends) | %.3f | %d | %s |\n\n", r.driver, o.workers, o.deliver,
			r.custom, r.template, o.rate, rate, r.rateWindow.Seconds(), r.rateSends, rate/float64(o.rate), r.refused45011, ok(rate >= 0.9*float64(o.rate)))
		fmt.Fprintf(w, "| database | SIGKILL after | restart gap | states at the end | duplicates | lost | unknown (delivered per the fake) |\n|---|---:|---:|---|---:|---:|---:|\n")
		fmt.Fprintf(w, "| %s | %d sends | %.1f s | %s | %d | %d | %d (%d) |\n", r.driver, r.sendsBeforeKill, r.restartGap.Seconds(),
			states(r.progress), r.duplicates, r.lost, r.unknown, r.unknownDelivered)
		return
	}
	fmt.Fprintf(w, "database            %s, %d worker process(es)\n", r.driver, o.workers)
	fmt.Fprintf(w, "members             %d created in %s\n", o.members, r.createMembers.Round(time.Millisecond))
	fmt.Fprintf(w, "plan by ids         %s  %+v (unknown: %d)\n", r.planIDs.Round(time.Millisecond), *r.planIDsPlan, len(r.planIDsPlan.Unknown))
	fmt.Fprintf(w, "plan by segment     %s  %+v\n", r.planSegment.Round(time.Millisecond), *r.planSegPlan)
	fmt.Fprintf(w, "plan delivered push %s (%d ids)\n", r.planDeliver.Round(time.Millisecond), o.deliver)
	fmt.Fprintf(w, "delivery rate       %.1f/s over %.1f s (%d sends) = %.3f of the configured %d/s; 45011 refusals %d\n",
		rate, r.rateWindow.Seconds(), r.rateSends, rate/float64(o.rate), o.rate, r.refused45011)
	fmt.Fprintf(w, "channels            %d custom, %d template\n", r.custom, r.template)
	fmt.Fprintf(w, "kill -9             %v after %d sends; first send after restart %.1f s later\n", r.killed, r.sendsBeforeKill, r.restartGap.Seconds())
	fmt.Fprintf(w, "delivery wall time  %s\n", r.deliveryWall.Round(time.Millisecond))
	fmt.Fprintf(w, "states              %s\n", states(r.progress))
	fmt.Fprintf(w, "fans reached        %d\n", r.delivered)
	fmt.Fprintf(w, "duplicates          %d\n", r.duplicates)
	fmt.Fprintf(w, "lost                %d (of which marked sent but not on the phone: %d)\n", r.lost, r.sentButMissing)
	fmt.Fprintf(w, "unknown             %d (the fake delivered %d of them)\n", r.unknown, r.unknownDelivered)
	fmt.Fprintf(w, "reached, unplanned  %d\n", r.extraFans)
}

func states(p models.PushCounts) string {
	var parts []string
	for _, s := range []string{models.RcptSent, models.RcptUnknown, models.RcptFailed, models.RcptSkipped, models.RcptQueued, models.RcptClaimed, models.RcptSending} {
		if p[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, p[s]))
		}
	}
	return strings.Join(parts, ", ")
}
