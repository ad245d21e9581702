package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// TestBroadcastVariablesAPI: a mass broadcast with {{.Name}} is refused
// with the Chinese message saying what to do, and nothing is saved; an
// unknown variable is refused by name; a direct broadcast keeps its
// variables and its preview reaches the test fan with their own name.
func TestBroadcastVariablesAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e, h := crmEnv(t, s, func(h *api.Handler) {
			h.Mass = wechat.NewMass(h.WX, 6000)
			h.Policy = models.BroadcastPolicy{Loc: time.UTC, AccountType: models.AccountService}
		})
		mia := e.token("mia", "marketer")
		follow(t, s, "aVar", "")
		platform.SeedFan(h.WX.Account.AppID, fake.Fan{OpenID: "aVar", Subscribed: true})
		m, err := s.FindMemberByOpenID(context.Background(), "aVar")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveProfile(context.Background(), m.ID, models.ProfileInput{Name: "李雷", Consent: true}); err != nil {
			t.Fatal(err)
		}
		e.run(t, []check{
			{name: "mass with a variable", token: mia, method: "POST", path: "/api/v1/broadcasts",
				body: `{"name":"会员日","kind":"text","text":"{{.Name}}您好","audience":"all"}`, status: 400, code: "invalid", contains: models.ErrMassVariables},
			{name: "the refusal says what to do", token: mia, method: "POST", path: "/api/v1/broadcasts",
				body: `{"name":"会员日","kind":"text","text":"{{.Name}}您好","audience":"tag","audience_ref":"vip","channel":"mass"}`, status: 400, code: "invalid", contains: "请删除变量，或把发送方式改为「直发（客服 / 模板）」"},
			{name: "nothing saved", token: mia, method: "GET", path: "/api/v1/broadcasts", status: 200, contains: `{"items":[]`},
			{name: "unknown variable", token: mia, method: "POST", path: "/api/v1/broadcasts",
				body: `{"name":"会员日","kind":"text","text":"{{.Nickname}}您好","audience":"all","channel":"direct"}`, status: 400, code: "invalid", contains: "{{.Nickname}}"},
			{name: "direct keeps variables", token: mia, method: "POST", path: "/api/v1/broadcasts",
				body: `{"name":"会员日","kind":"text","text":"{{.Name}}您好","audience":"all","channel":"direct"}`, status: 201, contains: `"channel":"direct"`},
			{name: "preview", token: mia, method: "POST", path: "/api/v1/broadcasts/1/preview", body: `{"openids":["aVar"]}`, status: 200, contains: `{"openid":"aVar","sent":true}`},
		})
		got := platform.Inbox(h.WX.Account.AppID, "aVar")
		if len(got) == 0 || got[len(got)-1].Source != fake.SourcePreview || got[len(got)-1].Text != "李雷您好" {
			t.Fatalf("aVar's phone: %+v", got)
		}
	})
}
