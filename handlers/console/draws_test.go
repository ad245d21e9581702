package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

func TestDrawsRunVerifyNotify(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		wx := wxClient()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		a := newApp(t, s, false, func(_ *app, h *console.Handler) {
			h.Service = &roles.Service{Store: s, Log: log, Sender: &wechat.Sender{Store: s, WX: wx, Log: log}}
		})
		a.staff("mia", models.RoleMarketer)
		a.staff("alex", models.RoleAgent)
		// oWrote wrote recently (window open), oQuiet never did, oGone unfollowed.
		for _, id := range []string{"oWrote", "oQuiet", "oGone"} {
			follow(t, s, id, "")
			if err := platform.SeedFan(wx.Account.AppID, fake.Fan{OpenID: id, Subscribed: id != "oGone"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := platform.SendText(ctx, wx.Account.AppID, "oWrote", "我想参加抽奖"); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "gone", OpenID: "oGone", MsgType: "event", Event: "unsubscribe", Unsubscribe: true}); err != nil {
			t.Fatal(err)
		}
		sg, _ := s.SaveSegment(ctx, 0, "全部", models.SegmentFilter{})

		b := a.browser().login("mia")
		expect(t, b.get("/console/draws?segment="+itoa(sg.ID)), 200, "还没有抽奖", `<option value="`+itoa(sg.ID)+`" selected>全部</option>`)
		run := func(form url.Values) resp { return b.submit("/console/draws", "/console/draws", form) }
		expect(t, run(url.Values{"name": {"周年抽奖"}, "segment": {itoa(sg.ID)}, "winners": {"0"}}), 400, "1 to 1000", `value="周年抽奖"`)
		expect(t, run(url.Values{"name": {"周年抽奖"}, "segment": {""}, "winners": {"2"}}), 400, "choose a segment")
		expect(t, run(url.Values{"name": {" "}, "segment": {itoa(sg.ID)}, "winners": {"2"}}), 400, "needs a name")
		empty, _ := s.SaveSegment(ctx, 0, "空", models.SegmentFilter{Stages: []string{"loyal"}})
		expect(t, run(url.Values{"name": {"空抽"}, "segment": {itoa(empty.ID)}, "winners": {"1"}}), 400, "no members")
		r := run(url.Values{"name": {"周年抽奖"}, "segment": {itoa(sg.ID)}, "winners": {"3"}})
		expect(t, r, 303)
		page := strings.Split(r.Header().Get("Location"), "?")[0]
		r = b.get(r.Header().Get("Location"))
		expect(t, r, 200, "抽奖完成", `id="draw-entrants">3<`, `id="winner-oWrote"`, `id="winner-oQuiet"`, `id="winner-oGone"`, `id="notify-form"`)
		seed := regexp.MustCompile(`id="draw-seed">([0-9a-f]{64})<`).FindStringSubmatch(r.body())
		if seed == nil {
			t.Fatal("seed not shown")
		}
		expect(t, b.get(page+"?verify=1"), 200, "核验通过")
		expect(t, b.get("/console/draws"), 200, "周年抽奖", `<td class="num" data-label="参与人数">3</td>`)

		// Notify: one goes out, the others fail visibly with the reason.
		notify := func(text string) resp { return b.submit(page, page+"/notify", url.Values{"text": {text}}) }
		expect(t, notify("  "), 400, "请填写消息内容")
		r = notify("恭喜中奖！")
		// Queued for the delivery engine; the unfollowed winner is skipped at once.
		expect(t, r, 200, "排队发送中", "unfollowed")
		deliverPushes(t, s, wx)
		r = b.get(page)
		expect(t, r, 200, "✓ 已发送", "errcode 45015", "unfollowed")
		if n := strings.Count(r.body(), "outcome-fail"); n != 2 {
			t.Fatalf("%d failures shown, want 2", n)
		}
		got := func(openID string) int {
			n := 0
			for _, d := range platform.Inbox(wx.Account.AppID, openID) {
				if d.Direction == fake.DirOut && d.Text == "恭喜中奖！" {
					n++
				}
			}
			return n
		}
		if got("oWrote") != 1 || got("oQuiet") != 0 {
			t.Fatalf("deliveries: wrote %d, quiet %d", got("oWrote"), got("oQuiet"))
		}
		// The quiet fan writes; pressing again tells only those not yet told.
		platform.SendText(ctx, wx.Account.AppID, "oQuiet", "我在")
		expect(t, notify("恭喜中奖！"), 200)
		deliverPushes(t, s, wx)
		r = b.get(page)
		if n := strings.Count(r.body(), "✓ 已发送"); n != 2 || got("oWrote") != 1 || got("oQuiet") != 1 {
			t.Fatalf("retry: %d sent, wrote %d, quiet %d", n, got("oWrote"), got("oQuiet"))
		}

		ag := a.browser().login("alex")
		r = ag.get(page)
		expect(t, r, 200, "周年抽奖", "✓ 已发送")
		if strings.Contains(r.body(), `id="notify-form"`) {
			t.Fatal("agent sees the notify form")
		}
		expect(t, ag.submit(page, page+"/notify", url.Values{"text": {"x"}}), 403)
		expect(t, ag.submit("/console/draws", "/console/draws", url.Values{"name": {"x"}}), 403)
		expect(t, b.get("/console/draws/999"), 404)

		entries, _, _ := s.ListAudit(ctx, 20, 0)
		var acts []string
		for i := len(entries) - 1; i >= 0; i-- {
			if strings.HasPrefix(entries[i].Action, "draw.") {
				acts = append(acts, entries[i].Action+" "+entries[i].Detail)
			}
		}
		want := "draw.run id=1 winners=3 seed=" + seed[1] + "|draw.notify id=1 sent=0 queued=2 of 3|draw.notify id=1 sent=1 queued=1 of 3"
		if strings.Join(acts, "|") != want {
			t.Fatalf("audited\n%s\nwant\n%s", strings.Join(acts, "|"), want)
		}
	})
}

// deliverPushes runs the delivery engine once, as the server's job does.
func deliverPushes(t *testing.T, s *models.Store, wx *wechat.Client) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := &delivery.Engine{Store: s, Sender: &wechat.Sender{Store: s, WX: wx, Log: log}, Log: log, Worker: "test",
		Limiter: rate.NewLimiter(rate.Inf, 1), Batch: 50, Lease: time.Minute, Loc: time.UTC,
		Window: models.DefaultWindowRules, MaxAttempts: 1, Now: s.Now}
	if _, err := d.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}
