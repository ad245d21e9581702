package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// BlockTemplates lets the test phone's fan turn template messages off, as
// the sandbox's simulator does.
func (p phoneSim) BlockTemplates(_ context.Context, openID string, block bool) error {
	return platform.BlockTemplates(p.appID, openID, block)
}

var _ console.SimTemplates = phoneSim{}

// TestSimulatorFanBlocksTemplates plays it end to end in the sandbox: in the
// fan simulator the fan turns the account's template messages off; a
// template message to them is accepted by the fake WeChat, never reaches
// the phone, and its TEMPLATESENDJOBFINISH ("failed:user block") comes back
// through the real callback, so the member's log shows the send as failed,
// in words. The fan can turn them on again.
func TestSimulatorFanBlocksTemplates(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		appID := "wxsimtpl" + models.RandomToken(6)
		acct := fake.Account{AppID: appID, AppSecret: "secret-" + appID, Token: "tok" + appID, Verified: true}
		wx := wechat.NewClient(wechat.Account{AppID: acct.AppID, AppSecret: acct.AppSecret, Token: acct.Token}, wechat.NewMemoryCache(nil))
		sender := &wechat.Sender{Store: s, WX: wx, Log: log}
		cb := &callback.Handler{Store: s, WX: wx, Sender: sender, Deadline: 3 * time.Second, Log: log,
			Metrics: metrics.New(), Pipeline: &roles.Pipeline{Roles: []roles.Role{&roles.Center{Store: s, Log: log}}, Log: log}}
		con := &console.Handler{Store: s, Log: log, Sim: phoneSim{platformSim{appID}}, WX: wx}
		srv := &handlers.Server{Store: s, Callback: cb, Console: con, API: &api.Handler{Store: s, Log: log}, Metrics: metrics.New(), Log: log}
		a := &app{t: t, store: s, router: srv.Router(), now: time.Now()}
		web := httptest.NewServer(a.router)
		t.Cleanup(func() { cb.Wait(); web.Close() })
		acct.CallbackURL = web.URL + "/wechat"
		platform.AddAccount(acct)
		a.staff("ann", models.RoleAdmin)
		b := a.browser().login("ann")

		const fan = "oSimTplFan"
		page := "/console/simulator?openid=" + fan
		expect(t, b.submit(page, "/console/simulator/follow", url.Values{"openid": {fan}}), 303)
		expect(t, b.get(page), 200, `id="templates-toggle"`, "拒收模板消息")
		expect(t, b.submit(page, "/console/simulator/templates", url.Values{"openid": {fan}, "block": {"1"}}), 303)
		expect(t, b.get(page), 200, "已拒收模板消息", "恢复接收模板消息")

		if _, err := sender.SendTemplate(ctx, fan, "TPL", map[string]string{"thing1": "订单已发货"}); err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			msgs, err := s.Conversation(ctx, fan, 20)
			if err != nil {
				t.Fatal(err)
			}
			failed := false
			for _, m := range msgs {
				failed = failed || (m.Channel == models.ChannelTemplate && m.State == models.StateFailed)
			}
			if failed {
				break
			}
			if i > 50 {
				t.Fatalf("the refused template message is not marked failed: %+v", msgs)
			}
			time.Sleep(100 * time.Millisecond)
		}
		expect(t, b.get("/console/members/"+fan), 200, "粉丝已拒收本公众号的模板消息")
		for _, m := range platform.Inbox(appID, fan) {
			if m.Source == fake.SourceTemplate {
				t.Fatalf("the phone shows a template message the fan blocked: %+v", m)
			}
		}
		expect(t, b.submit(page, "/console/simulator/templates", url.Values{"openid": {fan}, "block": {"0"}}), 303)
		expect(t, b.get(page), 200, "拒收模板消息")
		if platform.Fans(appID)[0].BlocksTemplates {
			t.Error("the fan still blocks template messages")
		}
	})
}
