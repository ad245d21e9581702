package api_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
)

// TestBroadcastStatusAPI: the API says what the console says. Scheduling
// into quiet hours answers a warning and when sending starts; a run held
// by them is "waiting" with resume_at; a run where every send failed is
// "failed", its failures by errcode in words; the plan lists why fans
// cannot be reached and what would reach them.
func TestBroadcastStatusAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		cst := time.FixedZone("CST", 8*3600)
		var mu sync.Mutex
		now := time.Date(2026, 12, 8, 0, 59, 0, 0, cst)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		s.Now = clock
		pol := models.BroadcastPolicy{Loc: cst, AccountType: models.AccountService, QuietFrom: "22:00", QuietTo: "08:00"}
		e, h := crmEnv(t, s, func(h *api.Handler) { h.Policy, h.Loc, h.Now = pol, cst, clock })
		mia := e.token("mia", "marketer")
		for _, id := range []string{"apA", "apB"} {
			follow(t, s, id, "")
			if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "w" + id, OpenID: id, MsgType: "text", Content: "在吗"}); err != nil {
				t.Fatal(err)
			}
		}
		// apSilent followed two minutes ago and never wrote: outside the
		// window (a follow allows replies for one minute only).
		mu.Lock()
		now = now.Add(-2 * time.Minute)
		mu.Unlock()
		follow(t, s, "apSilent", "")
		mu.Lock()
		now = now.Add(2 * time.Minute)
		mu.Unlock()
		e.run(t, []check{
			{name: "plan with reasons", token: mia, method: "POST", path: "/api/v1/broadcasts/plan", body: `{"kind":"text","audience":"openids","openids":["apA","apSilent"],"channel":"direct"}`,
				status: 200, contains: `"outside_window":1,"over_cap":0,"unknown_openids":0,"unreachable_reasons":[{"reason":"window_closed","count":1,"why":"no interaction in 48 hours (customer-service window closed) and no template message set","next":"Set a template ID to reach them by template message, or use a mass send.","why_zh":"48 小时内没有互动`},
			{name: "create", token: mia, method: "POST", path: "/api/v1/broadcasts", body: `{"name":"晚安","kind":"text","text":"晚安","audience":"openids","openids":["apA","apB"],"channel":"direct"}`, status: 201},
			{name: "schedule into quiet hours", token: mia, method: "POST", path: "/api/v1/broadcasts/1/schedule", body: `{"at":"2026-12-08T23:30:00+08:00"}`,
				status: 200, contains: `"warning":"2026-12-08 23:30 falls in quiet hours (22:00–08:00, CST): sending starts when they end, at 2026-12-09 08:00","warning_zh":"所选时间 2026-12-08 23:30 处于免打扰时段（22:00–08:00），消息会在 2026-12-09 08:00 免打扰结束后才开始发送。","starts_at":"2026-12-09T08:00:00+08:00"`},
			{name: "pause", token: mia, method: "POST", path: "/api/v1/broadcasts/1/pause", status: 200},
			{name: "schedule by day: no warning", token: mia, method: "POST", path: "/api/v1/broadcasts/1/schedule", body: `{"at":"2026-12-08T10:00:00+08:00"}`, status: 200, contains: `"state":"scheduled"`},
			{name: "pause again", token: mia, method: "POST", path: "/api/v1/broadcasts/1/pause", status: 200},
			{name: "send at once, at night", token: mia, method: "POST", path: "/api/v1/broadcasts/1/schedule", body: `{"at":"2026-12-08T01:00:00+08:00"}`, status: 200, contains: `"starts_at":"2026-12-08T08:00:00+08:00"`},
		})
		if r := e.call(mia, "POST", "/api/v1/broadcasts/1/schedule", `{"at":"2026-12-08T10:00:00+08:00"}`); r.status == 200 {
			t.Fatalf("rescheduling a scheduled broadcast: %d", r.status)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		eng := &delivery.Engine{Store: s, Sender: &wechat.Sender{Store: s, WX: h.WX, Log: log}, Log: log, Worker: "w",
			Limiter: rate.NewLimiter(rate.Inf, 1), Batch: 10, Lease: time.Minute, Loc: cst, QuietFrom: "22:00", QuietTo: "08:00",
			Window: models.DefaultWindowRules, MaxAttempts: 3, Now: clock}
		jobs := &delivery.Broadcasts{Store: s, Log: log, Policy: pol, Delivery: eng, Now: clock}
		tick := func() {
			mu.Lock()
			now = now.Add(2 * time.Minute)
			mu.Unlock()
			for _, f := range []func(context.Context) error{jobs.RunOnce, func(ctx context.Context) error { _, err := eng.RunOnce(ctx); return err }, jobs.RunOnce} {
				if err := f(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		tick() // 01:01: the run starts and waits
		e.run(t, []check{
			{name: "waiting in the list", token: mia, method: "GET", path: "/api/v1/broadcasts", status: 200, contains: `"status":"waiting","waiting":2,"resume_at":"2026-12-08T08:00:00+08:00"`},
			{name: "waiting on the broadcast", token: mia, method: "GET", path: "/api/v1/broadcasts/1", status: 200, contains: `"sent":0,"failed":0,`},
		})
		mu.Lock()
		now = time.Date(2026, 12, 8, 8, 0, 0, 0, cst)
		mu.Unlock()
		tick()
		e.run(t, []check{
			{name: "failed in the list", token: mia, method: "GET", path: "/api/v1/broadcasts", status: 200, contains: `"sent":0,"failed":2,`},
			{name: "failed report in words", token: mia, method: "GET", path: "/api/v1/broadcasts/1/runs/1", status: 200,
				contains: `"status":"failed","waiting":0,`},
			{name: "failure reasons", token: mia, method: "GET", path: "/api/v1/broadcasts/1/runs/1", status: 200,
				contains: `"failures":[{"errcode":45015,"count":2,"why":"outside the 48-hour reply window, or the fan unfollowed","next":"Reply after the fan writes again; for urgent matters send a template message.","why_zh":"超出 48 小时回复时限，或粉丝已取消关注"`},
		})
	})
}
