package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

func TestDrawsAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		e, h := crmEnv(t, s, func(h *api.Handler) {
			h.Service = &roles.Service{Store: s, Log: log, Sender: &wechat.Sender{Store: s, WX: h.WX, Log: log}}
		})
		mia, alex := e.token("mia", "marketer"), e.token("alex", "agent")
		app := h.WX.Account.AppID
		for _, id := range []string{"oA", "oB"} {
			follow(t, s, id, "")
			platform.SeedFan(app, fake.Fan{OpenID: id, Subscribed: true})
		}
		platform.SendText(ctx, app, "oA", "hi") // only oA's window is open
		sg, _ := s.SaveSegment(ctx, 0, "all", models.SegmentFilter{})
		run := fmt.Sprintf(`{"name":"抽奖","segment_id":%d,"winners":2}`, sg.ID)
		e.run(t, []check{
			{name: "agent may not run", token: alex, method: "POST", path: "/api/v1/draws", body: run, status: 403, code: "forbidden"},
			{name: "no winners", token: mia, method: "POST", path: "/api/v1/draws", body: fmt.Sprintf(`{"name":"x","segment_id":%d,"winners":0}`, sg.ID), status: 400, code: "invalid"},
			{name: "no segment", token: mia, method: "POST", path: "/api/v1/draws", body: `{"name":"x","segment_id":999,"winners":1}`, status: 400, code: "invalid"},
			{name: "run", token: mia, method: "POST", path: "/api/v1/draws", body: run, status: 201, contains: `"entrants":2,"winners":2`},
			{name: "list", token: alex, method: "GET", path: "/api/v1/draws", status: 200, contains: `"name":"抽奖"`},
			{name: "verify", token: alex, method: "GET", path: "/api/v1/draws/1/verify", status: 200, contains: `"same":true`},
			{name: "missing", token: alex, method: "GET", path: "/api/v1/draws/9", status: 404, code: "not_found"},
			{name: "agent may not notify", token: alex, method: "POST", path: "/api/v1/draws/1/notify", body: `{"text":"x"}`, status: 403, code: "forbidden"},
			{name: "empty text", token: mia, method: "POST", path: "/api/v1/draws/1/notify", body: `{"text":""}`, status: 400, code: "invalid"},
		})
		r := e.call(mia, "POST", "/api/v1/draws/1/notify", `{"text":"恭喜中奖"}`)
		var notices api.List[models.DrawNotice]
		r.decode(t, &notices)
		if r.status != 200 || len(notices.Items) != 2 || notices.Items[0].State != models.RcptQueued {
			t.Fatalf("notify: %d %s", r.status, r.body)
		}
		// The delivery engine sends them, as the server's job does.
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
		engine := &delivery.Engine{Store: s, Sender: &wechat.Sender{Store: s, WX: h.WX, Log: log}, Log: log, Worker: "t",
			Limiter: rate.NewLimiter(rate.Inf, 1), Batch: 10, Lease: time.Minute, Loc: time.UTC,
			Window: models.DefaultWindowRules, MaxAttempts: 1, Now: time.Now}
		if _, err := engine.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		var d0 api.Draw
		r = e.call(alex, "GET", "/api/v1/draws/1", "")
		r.decode(t, &d0)
		notices.Items = d0.Notices
		byID := map[string]models.DrawNotice{}
		for _, n := range notices.Items {
			byID[n.OpenID] = n
		}
		if r.status != 200 || len(byID) != 2 || !byID["oA"].Sent || byID["oB"].Sent || byID["oB"].ErrCode != 45015 || byID["oB"].Error == "" {
			t.Fatalf("notify: %d %s", r.status, r.body)
		}
		var d api.Draw
		e.call(alex, "GET", "/api/v1/draws/1", "").decode(t, &d)
		if len(d.Winners) != 2 || len(d.Notices) != 2 || len(d.Seed) != 64 || !strings.Contains(string(d.Filter), "{") {
			t.Fatalf("draw %+v", d)
		}
	})
}
