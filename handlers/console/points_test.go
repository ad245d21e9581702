package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestPointsGiftsCouponsLeaderboards(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var skew time.Duration
		s.Now = func() time.Time { return time.Now().Add(skew) }
		a := newApp(t, s, false)
		a.staff("mia", models.RoleMarketer)
		a.staff("alex", models.RoleAgent)
		b := a.browser().login("mia")
		expect(t, b.get("/console/points"), 200, "礼品目录是空的", `id="gift-form"`, `id="coupon-form"`, "本周", "本月", "总榜")

		add := func(form url.Values) resp { return b.submit("/console/points", "/console/points/gifts", form) }
		expect(t, add(url.Values{"name": {"咖啡券"}, "kind": {"coupon"}, "cost": {"abc"}, "stock": {"5"}, "valid_days": {"1"}, "active": {"1"}}),
			400, "cost must be a whole number", `value="咖啡券"`, `value="abc"`)
		expect(t, add(url.Values{"name": {"咖啡券"}, "kind": {"voucher"}, "cost": {"10"}, "stock": {"5"}}), 400, "kind must be")
		expect(t, add(url.Values{"name": {"咖啡券"}, "kind": {"coupon"}, "cost": {"10"}, "stock": {"5"}, "valid_days": {"1"}, "active": {"1"}}), 303)
		expect(t, add(url.Values{"name": {"帆布袋"}, "kind": {"gift"}, "cost": {"50"}, "stock": {"2"}, "active": {"1"}}), 303)
		expect(t, add(url.Values{"name": {"草稿礼品"}, "kind": {"gift"}, "cost": {"999"}, "stock": {"1"}}), 303) // not active
		if active, _ := s.ListGifts(ctx, true); len(active) != 2 {
			t.Fatalf("active gifts %+v: an unticked box must create an inactive gift", active)
		}
		gifts, _ := s.ListGifts(ctx, false)
		if len(gifts) != 3 || gifts[0].Name != "咖啡券" || gifts[0].ValidDays != 1 || !gifts[0].Active {
			t.Fatalf("gifts %+v", gifts)
		}
		bag := "/console/points/gifts/" + itoa(gifts[1].ID)
		expect(t, b.get(bag), 200, `value="帆布袋"`, `value="2"`)
		expect(t, b.submit(bag, bag, url.Values{"name": {"帆布袋"}, "kind": {"gift"}, "cost": {"50"}, "stock": {"-1"}}), 400, "must not be negative", `value="-1"`)
		expect(t, b.submit(bag, bag, url.Values{"name": {"帆布袋"}, "kind": {"gift"}, "cost": {"60"}, "stock": {"0"}}), 303)
		r := b.get("/console/points?ok=crm.flash.gift")
		expect(t, r, 200, "礼品已保存", "已兑完", "已下架", "咖啡券")
		expect(t, b.get("/console/points/gifts/999"), 404)

		// A fan redeems a coupon; staff accept it once, never twice.
		m := follow(t, s, "oCoupon", "")
		s.Earn(ctx, m.ID, 100, models.SourceSignIn, "签到", "c1", nil)
		red, err := s.Redeem(ctx, m.ID, gifts[0].ID, "red1")
		if err != nil {
			t.Fatal(err)
		}
		skew = -48 * time.Hour // redeemed two days ago, valid for one
		red2, _ := s.Redeem(ctx, m.ID, gifts[0].ID, "red2")
		skew = 0
		use := func(code string) resp {
			return b.submit("/console/points", "/console/points/coupons", url.Values{"code": {code}})
		}
		expect(t, use(strings.ToLower(red.Code)), 200, "核销成功", red.Code, "oCoupon")
		expect(t, use(red.Code), 409, "这张券已于", "核销过，不能重复核销", `value="`+red.Code+`"`)
		expect(t, use("NOSUCHCODE"), 404, "没有这个券码", `value="NOSUCHCODE"`)
		expect(t, use(" "), 400, "请输入券码")
		expect(t, use(red2.Code), 409, "过期，不能核销")

		// Leaderboards: this week, this month, all time.
		other := follow(t, s, "oTopFan", "")
		s.Earn(ctx, other.ID, 300, models.SourceSignIn, "签到", "t1", nil)
		r = b.get("/console/points")
		body := r.body()
		if i, j := strings.Index(body, "oTopFan"), strings.Index(body, "oCoupon"); i < 0 || j < 0 || i > j {
			t.Fatalf("leaderboard order wrong:\n%s", body)
		}
		if n := strings.Count(body, `href="/console/members/oTopFan"`); n != 3 {
			t.Fatalf("oTopFan on %d boards, want 3", n)
		}

		ag := a.browser().login("alex")
		r = ag.get("/console/points")
		expect(t, r, 200, "只能查看")
		if strings.Contains(r.body(), `id="gift-form"`) || strings.Contains(r.body(), `id="coupon-form"`) {
			t.Fatal("agent sees edit forms")
		}
		expect(t, ag.submit("/console/points", "/console/points/coupons", url.Values{"code": {red2.Code}}), 403)
		expect(t, ag.submit("/console/points", "/console/points/gifts", url.Values{"name": {"x"}}), 403)

		entries, _, _ := s.ListAudit(ctx, 20, 0)
		var got []string
		for i := len(entries) - 1; i >= 0; i-- {
			if e := entries[i]; e.Action == "gift.create" || e.Action == "gift.update" || e.Action == "coupon.use" {
				got = append(got, e.Action+" "+e.Target)
			}
		}
		if strings.Join(got, "|") != "gift.create 咖啡券|gift.create 帆布袋|gift.create 草稿礼品|gift.update 帆布袋|coupon.use "+red.Code {
			t.Fatalf("audited %v", got)
		}
	})
}
