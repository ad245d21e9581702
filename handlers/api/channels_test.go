package api_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

func TestChannelsAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now()
		e, _ := crmEnv(t, s, func(h *api.Handler) {
			h.MaxPermanentQR = 1
			h.Now = func() time.Time { return now }
		})
		mia, alex := e.token("mia", "marketer"), e.token("alex", "agent")
		e.run(t, []check{
			{name: "agent may not create", token: alex, method: "POST", path: "/api/v1/channels", body: `{"name":"x","scene":"x","expire_seconds":600}`, status: 403, code: "forbidden"},
			{name: "bad scene", token: mia, method: "POST", path: "/api/v1/channels", body: `{"name":"x","scene":"a b","expire_seconds":600}`, status: 400, code: "invalid"},
			{name: "too long", token: mia, method: "POST", path: "/api/v1/channels", body: `{"name":"x","scene":"x","expire_seconds":2592001}`, status: 400, code: "invalid"},
			{name: "negative points", token: mia, method: "POST", path: "/api/v1/channels", body: `{"name":"x","scene":"x","expire_seconds":600,"welcome_points":-1}`, status: 400, code: "invalid"},
			{name: "temporary", token: mia, method: "POST", path: "/api/v1/channels", body: `{"name":"海报","scene":"poster","expire_seconds":3600,"welcome_points":5,"welcome_tags":["海报"]}`, status: 201, contains: `"expire_seconds":3600`},
			{name: "permanent", token: mia, method: "POST", path: "/api/v1/channels", body: `{"name":"官网","scene":"site","permanent":true}`, status: 201, contains: `"permanent":true`},
			{name: "over the cap", token: mia, method: "POST", path: "/api/v1/channels", body: `{"name":"x","scene":"site2","permanent":true}`, status: 409, code: "conflict"},
			{name: "scene taken", token: mia, method: "POST", path: "/api/v1/channels", body: `{"name":"x","scene":"poster","expire_seconds":600}`, status: 409, code: "conflict"},
			{name: "list", token: alex, method: "GET", path: "/api/v1/channels", status: 200, contains: `"welcome_tags":["海报"]`},
			{name: "unknown gift", token: mia, method: "POST", path: "/api/v1/channels", body: `{"name":"x","scene":"g","expire_seconds":600,"welcome_gift_id":99}`, status: 400, code: "invalid"},
			{name: "missing", token: alex, method: "GET", path: "/api/v1/channels/999", status: 404, code: "not_found"},
		})
		platform.InjectFault("/cgi-bin/qrcode/create", fake.Fault{ErrCode: 45009})
		if r := e.call(mia, "POST", "/api/v1/channels", `{"name":"x","scene":"quota","expire_seconds":600}`); r.status != 502 || r.errorCode() != "wechat" || !strings.Contains(r.body, "45009") {
			t.Fatalf("WeChat refusal: %d %s", r.status, r.body)
		}
		poster, _ := s.ChannelByScene(ctx, "poster")
		m := follow(t, s, "oPoster", "poster")
		s.RecordChannelEvent(ctx, poster.ID, m.ID, "follow")
		var ch api.Channel
		r := e.call(alex, "GET", fmt.Sprintf("/api/v1/channels/%d", poster.ID), "")
		r.decode(t, &ch)
		if ch.Stats.Follows != 1 || ch.Ticket == "" || ch.Expired || ch.ExpiresAt == nil {
			t.Fatalf("channel %+v", ch)
		}
		r = e.call(alex, "GET", fmt.Sprintf("/api/v1/channels/%d/qr", poster.ID), "")
		if r.status != 200 || r.header.Get("Content-Type") != "image/png" || !bytes.HasPrefix([]byte(r.body), []byte("\x89PNG")) {
			t.Fatalf("qr: %d %v", r.status, r.header)
		}
		if r := e.call(alex, "GET", fmt.Sprintf("/api/v1/channels/%d/qr", poster.ID+999), ""); r.status != 404 || r.errorCode() != "not_found" {
			t.Fatalf("unknown channel's qr: %d %s", r.status, r.body)
		}
		if r := e.call(alex, "GET", "/api/v1/channels/x/qr", ""); r.status != 404 || r.errorCode() != "not_found" {
			t.Fatalf("bad id's qr: %d %s", r.status, r.body)
		}
		now = now.Add(2 * time.Hour)
		// The same words as the console's (which translates them), with the
		// expiry in the account zone and its offset.
		expiry := poster.ExpiresAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04") + " +08:00"
		if r := e.call(alex, "GET", fmt.Sprintf("/api/v1/channels/%d/qr", poster.ID), ""); r.status != 404 || r.errorCode() != "not_found" ||
			!strings.Contains(r.body, "this QR code expired on "+expiry+"; create a new channel for a fresh code") {
			t.Fatalf("expired qr: %d %s", r.status, r.body)
		}
	})
}

func TestFollowerSyncAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		ann, alex := e.token("ann", "admin"), e.token("alex", "agent")
		e.run(t, []check{
			{name: "idle", token: alex, method: "GET", path: "/api/v1/sync/followers", status: 200, contains: `"running":false`},
			{name: "agent may not start", token: alex, method: "POST", path: "/api/v1/sync/followers", status: 403, code: "forbidden"},
			{name: "start", token: ann, method: "POST", path: "/api/v1/sync/followers", status: 202, contains: `"running":true`},
			{name: "again", token: ann, method: "POST", path: "/api/v1/sync/followers", status: 409, code: "conflict", contains: "already running"},
			{name: "running", token: alex, method: "GET", path: "/api/v1/sync/followers", status: 200, contains: `"running":true`},
		})
	})
}
