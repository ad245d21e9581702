package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
)

var cst = time.FixedZone("CST", 8*3600)

// quietRun is a console over the fake WeChat API with quiet hours
// 22:00-08:00 (Asia/Shanghai) and a clock at 00:59, plus the jobs that
// start and deliver broadcasts, as the server runs them.
type quietRun struct {
	*app
	jobs *delivery.Broadcasts
	pol  models.BroadcastPolicy
}

func newQuietRun(t *testing.T, s *models.Store) *quietRun {
	wx := wxClient()
	mass := wechat.NewMass(wx, 6000)
	pol := models.BroadcastPolicy{Loc: cst, AccountType: models.AccountService, QuietFrom: "22:00", QuietTo: "08:00"}
	a := newApp(t, s, false, func(a *app, h *console.Handler) {
		a.now = time.Date(2026, 12, 8, 0, 59, 0, 0, cst)
		h.Mass, h.Policy, h.Loc = mass, pol, cst
	})
	s.Now = a.clock
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := &delivery.Engine{Store: s, Sender: &wechat.Sender{Store: s, WX: wx, Log: log}, Log: log, Worker: "w",
		Limiter: rate.NewLimiter(rate.Inf, 1), Batch: 10, Lease: time.Minute, Loc: cst, QuietFrom: "22:00", QuietTo: "08:00",
		Window: models.DefaultWindowRules, MaxAttempts: 3, Now: a.clock}
	return &quietRun{app: a, pol: pol, jobs: &delivery.Broadcasts{Store: s, Mass: mass, Log: log, Policy: pol, Delivery: eng, Lease: time.Minute, Now: a.clock}}
}

// tick runs the broadcast job and the delivery engine once each.
func (q *quietRun) tick(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := q.jobs.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := q.jobs.Delivery.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.jobs.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestBroadcastStatusQuietHoursAndFailures: a broadcast sent at 00:59 says
// on its page and in the list that it waits for quiet hours to end, with
// the time it resumes, never 已发送; the schedule form warns before; once
// WeChat refuses every send (45015) the run is 失败 with the reason in
// Chinese on the page, the list and the report, never a bare errcode.
func TestBroadcastStatusQuietHoursAndFailures(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		q := newQuietRun(t, s)
		mia := q.staff("mia", models.RoleMarketer)
		// Fans fivec believes reachable (they wrote) whom WeChat does not
		// know: every customer-service message is refused with 45015.
		for _, id := range []string{"qzA", "qzB"} {
			follow(t, s, id, "")
			if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "w" + id, OpenID: id, MsgType: "text", Content: "在吗"}); err != nil {
				t.Fatal(err)
			}
		}
		follow(t, s, "qzSilent", "") // followed only: outside the window
		bc, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "晚安问候", Kind: models.BroadcastText, Text: "晚安", Audience: models.AudienceOpenIDs,
			OpenIDs: []string{"qzA", "qzB"}, Channel: models.BroadcastDirect}, mia.ID, q.pol)
		if err != nil {
			t.Fatal(err)
		}
		b := q.browser().login("mia")
		page := "/console/broadcasts/" + itoa(bc.ID)

		// Scheduling: the form checks the time live against quiet hours.
		r := b.get(page)
		expect(t, r, 200, `id="schedule-starts"`, `hx-post="/console/broadcasts/`+itoa(bc.ID)+`/starts"`, `id="send-now-held"`,
			"现在处于免打扰时段（22:00–08:00）：立即发送要到 12-08 08:00 才开始发出。")
		hx := map[string]string{"HX-Request": "true", "X-CSRF-Token": b.csrf(page)}
		starts := func(form url.Values) resp { return b.do("POST", page+"/starts", form, hx) }
		expect(t, starts(url.Values{"at": {"2026-12-08T23:30"}}), 200, `id="starts-held"`,
			"所选时间 12-08 23:30 处于免打扰时段（22:00–08:00），消息会在 12-09 08:00 免打扰结束后才开始发送。")
		if r := starts(url.Values{"at": {"2026-12-08T10:00"}}); r.Code != 200 || strings.Contains(r.body(), "starts-held") {
			t.Fatalf("10:00 is outside quiet hours: %d %s", r.Code, r.body())
		}
		expect(t, starts(url.Values{"cron": {"30 23 * * *"}}), 200, "所选时间 12-08 23:30 处于免打扰时段")
		expect(t, starts(url.Values{"cron": {"61 * * * *"}}), 200, `id="starts-error"`, "cron 表达式无效")

		// 立即发送 at 00:59: the broadcast starts, its run waits.
		expect(t, b.submit(page, page+"/schedule", url.Values{"now": {"1"}}), 303)
		expect(t, b.get(page), 200, `id="bc-next-held"`, "所选时间 12-08 00:59 处于免打扰时段")
		q.tick(t)
		r = b.get(page)
		expect(t, r, 200, `<span class="badge run-waiting">等待免打扰时段结束</span> <span class="bc-resume">12-08 08:00 恢复发送</span>`,
			"免打扰时段（22:00–08:00）内暂停推送：2 人等待，12-08 08:00 恢复发送。", `<span class="c-sent">已发送 0</span>`, `<span class="c-waiting">等待 2</span>`)
		title := r.body()[strings.Index(r.body(), "<h1>"):strings.Index(r.body(), "</h1>")]
		if strings.Contains(title, "已发送") {
			t.Fatalf("the title says 已发送 before anything was sent: %s", title)
		}
		list := b.get("/console/broadcasts")
		expect(t, list, 200, `id="status-`+itoa(bc.ID)+`"`, "等待免打扰时段结束", "12-08 08:00 恢复发送")
		if strings.Contains(list.body(), `badge state-sent`) {
			t.Fatal("the list says 已发送 before anything was sent")
		}

		// 08:01: every send is refused.
		q.advance(7*time.Hour + 2*time.Minute)
		q.tick(t)
		r = b.get(page)
		expect(t, r, 200, `<span class="badge run-failed">失败</span>`, `<span class="c-failed">失败 2</span>`, `<rect class="seg seg-failed" x="0" y="0" width="1000" height="10">`, "查看失败原因和处理办法")
		if strings.Contains(r.body(), "seg-sent") || strings.Contains(r.body(), "run-done") {
			t.Fatal("a run where every send failed shows sends or 已发送")
		}
		expect(t, b.get("/console/broadcasts"), 200, `<span class="badge run-failed">失败</span>`, `<span class="c-failed">失败 2</span>`)
		runs, _ := s.BroadcastRuns(ctx, bc.ID)
		rep := b.get(page + "/runs/" + itoa(runs[0].ID))
		expect(t, rep, 200, `id="rep-status"><span class="badge run-failed">失败</span>`, `id="rep-failed">2<`, `id="rep-sent">0<`,
			"超出 48 小时回复时限，或粉丝已取消关注", "微信错误码 45015", "粉丝再次发消息后才能回复", "这次发送没有送达任何人")
		if strings.Contains(rep.body(), "errcode 45015") || strings.Contains(rep.body(), "完成") {
			t.Fatal("the report shows a bare errcode or 完成")
		}

		// The estimate shows who cannot be reached, why, and what would; at
		// 08:01 it is no longer quiet, so send it at night again.
		q.advance(15 * time.Hour)
		b = q.browser().login("mia") // the session of the night before has expired
		hx = map[string]string{"HX-Request": "true", "X-CSRF-Token": b.csrf(page)}
		plan := b.do("POST", "/console/broadcasts/plan", url.Values{"kind": {"text"}, "audience": {"openids"}, "openids": {"qzA\nqzSilent"}, "channel": {"direct"}}, hx)
		expect(t, plan, 200, `id="plan-unreachable">1<`, `id="plan-why-window_closed"`, "48 小时内没有互动，客服消息窗口已关闭，且没有设置模板消息", "填写模板 ID 以模板消息触达，或改用群发",
			`id="plan-quiet"`, "现在处于免打扰时段（22:00–08:00）：立即发送要到 12-09 08:00 才开始发出。")
	})
}
