package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// follow records a subscribe from openID through scene.
func follow(t *testing.T, s *models.Store, openID, scene string) *models.Member {
	t.Helper()
	_, m, _, err := s.RecordInbound(context.Background(), models.Inbound{DedupeKey: "f-" + openID, OpenID: openID,
		MsgType: "event", Event: "subscribe", Subscribe: true, Scene: scene})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMemberCRMAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		e := newEnv(t, s)
		mia, alex := e.token("mia", "marketer"), e.token("alex", "agent")
		top, mid := follow(t, s, "oTop", ""), follow(t, s, "oMid", "poster")
		follow(t, s, "oOther", "shop")
		if ok, err := s.LinkReferral(ctx, mid.ID, top.ID, 100, time.Hour); !ok || err != nil {
			t.Fatal(ok, err)
		}
		gift, _ := s.SaveGift(ctx, models.Gift{Name: "杯子", Kind: models.GiftItem, Cost: 10, Stock: 3, Active: true})
		s.Earn(ctx, mid.ID, 15, models.SourceSignIn, "签到", "seed", nil)
		s.Redeem(ctx, mid.ID, gift.ID, "r1")

		base := "/api/v1/members/oMid"
		e.run(t, []check{
			{name: "list by channel", token: alex, method: "GET", path: "/api/v1/members?channel=poster", status: 200, contains: `"total":1`},
			{name: "list by stage", token: alex, method: "GET", path: "/api/v1/members?stage=prospect&level=follower", status: 200, contains: `"total":3`},
			{name: "bad stage", token: alex, method: "GET", path: "/api/v1/members?stage=vip", status: 400, code: "invalid"},
			{name: "member has CRM fields", token: alex, method: "GET", path: base, status: 200, contains: `"stage":"prospect","level":"follower","points":5`},
			{name: "no profile", token: alex, method: "GET", path: base + "/profile", status: 404, code: "not_found"},
			{name: "referrals", token: alex, method: "GET", path: "/api/v1/members/oTop/referrals", status: 200, contains: `"depth":1`},
			{name: "upline", token: alex, method: "GET", path: base + "/referrals", status: 200, contains: `"upline":[{"openid":"oTop"`},
			{name: "redemptions", token: alex, method: "GET", path: base + "/redemptions", status: 200, contains: `"gift_name":"杯子"`},
			{name: "completeness", token: alex, method: "GET", path: "/api/v1/profiles/completeness", status: 200, contains: `"members":3`},
			{name: "agent may not mark", token: alex, method: "PUT", path: base + "/stage", body: `{"stage":"loyal","reason":"x"}`, status: 403, code: "forbidden"},
			{name: "agent may not tag", token: alex, method: "POST", path: base + "/tags", body: `{"name":"vip"}`, status: 403, code: "forbidden"},
			{name: "no reason", token: mia, method: "PUT", path: base + "/stage", body: `{"stage":"loyal"}`, status: 400, code: "invalid", contains: "reason"},
			{name: "unknown stage", token: mia, method: "PUT", path: base + "/stage", body: `{"stage":"vip","reason":"x"}`, status: 400, code: "invalid"},
			{name: "unknown field", token: mia, method: "PUT", path: base + "/level", body: `{"lvl":"x","reason":"x"}`, status: 400, code: "invalid"},
			{name: "mark stage", token: mia, method: "PUT", path: base + "/stage", body: `{"stage":"loyal","reason":"老顾客"}`, status: 200, contains: `"stage":"loyal"`},
			{name: "mark again", token: mia, method: "PUT", path: base + "/stage", body: `{"stage":"loyal","reason":"老顾客"}`, status: 200, contains: `"changed":false`},
			{name: "mark level", token: mia, method: "PUT", path: base + "/level", body: `{"level":"key_person","reason":"店长"}`, status: 200, contains: `"changed":true`},
			{name: "history", token: alex, method: "GET", path: base + "/history", status: 200, contains: `"from":"follower","to":"key_person","reason":"店长"`},
			{name: "tag", token: mia, method: "POST", path: base + "/tags", body: `{"name":" vip "}`, status: 200, contains: `{"items":["vip"]}`},
			{name: "bad tag", token: mia, method: "POST", path: base + "/tags", body: `{"name":""}`, status: 400, code: "invalid"},
			{name: "untag", token: mia, method: "DELETE", path: base + "/tags/vip", status: 204},
			{name: "tags", token: alex, method: "GET", path: base + "/tags", status: 200, contains: `{"items":[]}`},
			{name: "no key", token: mia, method: "POST", path: base + "/points", body: `{"delta":5,"reason":"x"}`, status: 400, code: "invalid", contains: "idempotency_key"},
			{name: "zero", token: mia, method: "POST", path: base + "/points", body: `{"delta":0,"reason":"x","idempotency_key":"z"}`, status: 400, code: "invalid"},
			{name: "overdraw", token: mia, method: "POST", path: base + "/points", body: `{"delta":-99,"reason":"x","idempotency_key":"o"}`, status: 400, code: "invalid", contains: "not enough"},
			{name: "adjust", token: mia, method: "POST", path: base + "/points", body: `{"delta":50,"reason":"补发","idempotency_key":"k1"}`, status: 201, contains: `"balance":55`},
			{name: "adjust repeat", token: mia, method: "POST", path: base + "/points", body: `{"delta":50,"reason":"补发","idempotency_key":"k1"}`, status: 200, contains: `"duplicate":true`},
			{name: "ledger", token: alex, method: "GET", path: base + "/points?limit=2", status: 200, contains: `"balance":55,"entries":[{`},
			{name: "bad limit", token: alex, method: "GET", path: base + "/points?limit=0", status: 400, code: "invalid"},
			{name: "unknown member", token: mia, method: "POST", path: "/api/v1/members/oNobody/tags", body: `{"name":"x"}`, status: 404, code: "not_found"},
		})
		// The header carries the key just as well.
		r := e.callHeader(mia, "POST", base+"/points", `{"delta":-5,"reason":"更正"}`, map[string]string{"Idempotency-Key": "h1"})
		if r.status != 201 {
			t.Fatalf("header key: %d %s", r.status, r.body)
		}
		var res api.AdjustResult
		r.decode(t, &res)
		if res.Entry.Balance != 50 || res.Entry.Source != "staff" || res.Entry.StaffID == nil {
			t.Fatalf("adjust result %+v", res)
		}
		if bal, _ := s.Balance(ctx, mid.ID); bal != 50 {
			t.Fatalf("balance %d", bal)
		}
		s.SaveProfile(ctx, mid.ID, models.ProfileInput{Name: "小美", Consent: true})
		if r := e.call(alex, "GET", base+"/profile", ""); r.status != 200 || !strings.Contains(r.body, `"name":"小美","consent_at":"`) {
			t.Fatalf("profile: %d %s", r.status, r.body)
		}
		entries, _, _ := s.ListAudit(ctx, 100, 0)
		var got []string
		for i := len(entries) - 1; i >= 0; i-- {
			if strings.HasPrefix(entries[i].Action, "member.") {
				got = append(got, entries[i].Action)
				if !strings.HasSuffix(entries[i].Detail, "via API") || entries[i].Username != "mia" {
					t.Fatalf("audit %+v", entries[i])
				}
			}
		}
		if strings.Join(got, " ") != "member.stage member.level member.tag member.untag member.points member.points" {
			t.Fatalf("audited %v", got)
		}
	})
}
