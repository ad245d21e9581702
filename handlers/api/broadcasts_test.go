package api_test

import (
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

func TestBroadcastsAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e, h := crmEnv(t, s, func(h *api.Handler) {
			h.Mass = wechat.NewMass(h.WX, 6000)
			h.Policy = models.BroadcastPolicy{Loc: time.UTC, AccountType: models.AccountSubscription, Approval: true}
		})
		mia, alex, ada := e.token("mia", "marketer"), e.token("alex", "agent"), e.token("ada", "admin")
		for _, id := range []string{"aA", "aB"} {
			follow(t, s, id, "")
			platform.SeedFan(h.WX.Account.AppID, fake.Fan{OpenID: id, Subscribed: true})
		}
		body := `{"name":"周末","kind":"text","text":"周末快乐","audience":"all"}`
		at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		e.run(t, []check{
			{name: "agent may not compose", token: alex, method: "POST", path: "/api/v1/broadcasts", body: body, status: 403, code: "forbidden"},
			{name: "bad kind", token: mia, method: "POST", path: "/api/v1/broadcasts", body: `{"name":"x","kind":"video","audience":"all"}`, status: 400, code: "invalid"},
			{name: "unknown field", token: mia, method: "POST", path: "/api/v1/broadcasts", body: `{"name":"x","bogus":1}`, status: 400, code: "invalid"},
			{name: "list by openid on a 订阅号", token: mia, method: "POST", path: "/api/v1/broadcasts", body: `{"name":"x","kind":"text","text":"x","audience":"openids","openids":["aA","aB"],"channel":"mass"}`, status: 400, code: "invalid"},
			{name: "estimate before saving", token: mia, method: "POST", path: "/api/v1/broadcasts/plan", body: `{"kind":"text","audience":"openids","openids":["aA","ghost"],"channel":"direct"}`, status: 200, contains: `{"total":1,"mass":0,`},
			{name: "estimate an incomplete audience", token: mia, method: "POST", path: "/api/v1/broadcasts/plan", body: `{"kind":"text","audience":"tag"}`, status: 400, code: "invalid"},
			{name: "agent may not estimate", token: alex, method: "POST", path: "/api/v1/broadcasts/plan", body: body, status: 403, code: "forbidden"},
			{name: "create", token: mia, method: "POST", path: "/api/v1/broadcasts", body: body, status: 201, contains: `"channel":"mass"`},
			{name: "list", token: alex, method: "GET", path: "/api/v1/broadcasts", status: 200, contains: `{"items":[{"id":1,"name":"周末"`},
			{name: "get with plan", token: alex, method: "GET", path: "/api/v1/broadcasts/1", status: 200, contains: `"mass":2`},
			{name: "preview", token: mia, method: "POST", path: "/api/v1/broadcasts/1/preview", body: `{"openids":["aA","ghost"]}`, status: 200, contains: `{"items":[{"openid":"aA","sent":true},{"openid":"ghost","sent":false,"errcode":40003`},
			{name: "preview nobody", token: mia, method: "POST", path: "/api/v1/broadcasts/1/preview", body: `{"openids":[]}`, status: 400, code: "invalid"},
			{name: "hourly on a 订阅号", token: mia, method: "POST", path: "/api/v1/broadcasts/1/schedule", body: `{"cron":"0 * * * *"}`, status: 400, code: "invalid"},
			{name: "schedule", token: mia, method: "POST", path: "/api/v1/broadcasts/1/schedule", body: `{"at":"` + at + `"}`, status: 200, contains: `"state":"pending_approval"`},
			{name: "marketer may not approve", token: mia, method: "POST", path: "/api/v1/broadcasts/1/approve", status: 403, code: "forbidden"},
			{name: "approve", token: ada, method: "POST", path: "/api/v1/broadcasts/1/approve", status: 200, contains: `"state":"scheduled"`},
			{name: "edit while scheduled", token: mia, method: "PUT", path: "/api/v1/broadcasts/1", body: body, status: 409, code: "conflict"},
			{name: "pause", token: mia, method: "POST", path: "/api/v1/broadcasts/1/pause", status: 200, contains: `"state":"paused"`},
			{name: "resume", token: mia, method: "POST", path: "/api/v1/broadcasts/1/resume", status: 200, contains: `"state":"scheduled"`},
			{name: "cancel", token: mia, method: "POST", path: "/api/v1/broadcasts/1/cancel", status: 200, contains: `"state":"cancelled"`},
			{name: "cancel twice", token: mia, method: "POST", path: "/api/v1/broadcasts/1/cancel", status: 409, code: "conflict"},
			{name: "no run", token: alex, method: "GET", path: "/api/v1/broadcasts/1/runs/5", status: 404, code: "not_found"},
			{name: "list", token: alex, method: "GET", path: "/api/v1/broadcasts", status: 200, contains: `"name":"周末"`},
		})
		if got := platform.Inbox(h.WX.Account.AppID, "aA"); len(got) == 0 || got[len(got)-1].Source != fake.SourcePreview {
			t.Fatalf("aA's phone: %+v", got)
		}
	})
}
