package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestPointsAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		e := newEnv(t, s)
		mia, alex := e.token("mia", "marketer"), e.token("alex", "agent")
		e.run(t, []check{
			{name: "agent may not add", token: alex, method: "POST", path: "/api/v1/gifts", body: `{"name":"x","kind":"gift","cost":1,"stock":1}`, status: 403, code: "forbidden"},
			{name: "bad kind", token: mia, method: "POST", path: "/api/v1/gifts", body: `{"name":"x","kind":"cash","cost":1,"stock":1}`, status: 400, code: "invalid"},
			{name: "zero cost", token: mia, method: "POST", path: "/api/v1/gifts", body: `{"name":"x","kind":"gift","cost":0,"stock":1}`, status: 400, code: "invalid"},
			{name: "create coupon", token: mia, method: "POST", path: "/api/v1/gifts", body: `{"name":"咖啡券","kind":"coupon","cost":10,"stock":5,"valid_days":7}`, status: 201, contains: `"valid_days":7,"active":true`},
			{name: "create gift", token: mia, method: "POST", path: "/api/v1/gifts", body: `{"name":"帆布袋","kind":"gift","cost":50,"stock":1,"active":false}`, status: 201, contains: `"active":false`},
			{name: "active only", token: alex, method: "GET", path: "/api/v1/gifts?active=true", status: 200, contains: `咖啡券`},
			{name: "missing", token: alex, method: "GET", path: "/api/v1/gifts/999", status: 404, code: "not_found"},
			{name: "update missing", token: mia, method: "PUT", path: "/api/v1/gifts/999", body: `{"name":"x","kind":"gift","cost":1,"stock":1}`, status: 404, code: "not_found"},
			{name: "empty code", token: mia, method: "POST", path: "/api/v1/coupons/use", body: `{"code":" "}`, status: 400, code: "invalid"},
			{name: "unknown code", token: mia, method: "POST", path: "/api/v1/coupons/use", body: `{"code":"NOPE"}`, status: 404, code: "not_found"},
			{name: "bad period", token: alex, method: "GET", path: "/api/v1/leaderboard?period=year", status: 400, code: "invalid"},
			{name: "bad limit", token: alex, method: "GET", path: "/api/v1/leaderboard?limit=500", status: 400, code: "invalid"},
		})
		var gifts api.List[api.Gift]
		e.call(alex, "GET", "/api/v1/gifts", "").decode(t, &gifts)
		if len(gifts.Items) != 2 {
			t.Fatalf("gifts %+v", gifts)
		}
		if r := e.call(alex, "GET", "/api/v1/gifts?active=true", ""); strings.Contains(r.body, "帆布袋") {
			t.Fatal("inactive gift listed as active")
		}
		coupon := gifts.Items[0]
		if r := e.call(mia, "PUT", fmt.Sprintf("/api/v1/gifts/%d", coupon.ID), `{"name":"咖啡券","kind":"coupon","cost":10,"stock":9,"valid_days":7}`); r.status != 200 || !strings.Contains(r.body, `"stock":9`) {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		m := follow(t, s, "oFan", "")
		s.Earn(ctx, m.ID, 100, models.SourceSignIn, "签到", "k", nil)
		red, err := s.Redeem(ctx, m.ID, coupon.ID, "r")
		if err != nil {
			t.Fatal(err)
		}
		body := `{"code":"` + strings.ToLower(red.Code) + `"}`
		e.run(t, []check{
			{name: "agent may not use", token: alex, method: "POST", path: "/api/v1/coupons/use", body: body, status: 403, code: "forbidden"},
			{name: "use", token: mia, method: "POST", path: "/api/v1/coupons/use", body: body, status: 200, contains: `"openid":"oFan"`},
			{name: "used", token: mia, method: "POST", path: "/api/v1/coupons/use", body: body, status: 409, code: "conflict", contains: "already used"},
			{name: "week", token: alex, method: "GET", path: "/api/v1/leaderboard", status: 200, contains: `"period":"week","since":"`},
			{name: "month", token: alex, method: "GET", path: "/api/v1/leaderboard?period=month", status: 200, contains: `{"rank":1,"openid":"oFan","points":100}`},
			{name: "all", token: alex, method: "GET", path: "/api/v1/leaderboard?period=all", status: 200, contains: `{"rank":1,"openid":"oFan","points":90}`},
		})
		var lb api.Leaderboard
		e.call(alex, "GET", "/api/v1/leaderboard?period=week", "").decode(t, &lb)
		if lb.Since == nil || lb.Since.After(time.Now()) || time.Since(*lb.Since) > 8*24*time.Hour || len(lb.Items) != 1 {
			t.Fatalf("week board %+v", lb)
		}
	})
}
