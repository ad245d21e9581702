package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// seedCRM makes 12 members with varied stages, levels, tags, points,
// channels and profiles; every filter below has a known answer.
func seedCRM(t *testing.T, s *models.Store) []*models.Member {
	t.Helper()
	ctx := context.Background()
	var out []*models.Member
	for i := 0; i < 12; i++ {
		scene := []string{"", "poster", "shop"}[i%3]
		_, m, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: fmt.Sprintf("crm%d", i), OpenID: fmt.Sprintf("crm%02d", i),
			MsgType: "event", Event: "subscribe", Subscribe: true, Scene: scene})
		if err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 {
			s.TagMember(ctx, m.ID, "vip")
		}
		if i%2 == 0 {
			s.Earn(ctx, m.ID, int64(100*i), models.SourceRule, "seed", fmt.Sprintf("seed%d", i), nil)
		}
		if i >= 8 {
			s.AdvanceStage(ctx, m.ID, models.StageNew, "seed")
		}
		if i == 11 {
			s.RaiseLevel(ctx, m.ID, models.LevelSpreader, "seed")
		}
		if i%3 == 0 {
			s.SaveProfile(ctx, m.ID, models.ProfileInput{Region: "广东 深圳", Interests: "美食", Phone: "13800138000", Consent: true})
		}
		out = append(out, m)
	}
	return out
}

func TestSegmentFiltersSameOnEveryDatabase(t *testing.T) {
	yes, no := true, false
	p500 := int64(500)
	cases := []struct {
		name string
		f    models.SegmentFilter
		want []string
	}{
		{"all", models.SegmentFilter{}, nil},
		{"vip", models.SegmentFilter{TagsAny: []string{"vip"}}, []string{"crm00", "crm04", "crm08"}},
		{"not vip, new", models.SegmentFilter{TagsNone: []string{"vip"}, Stages: []string{"new"}}, []string{"crm09", "crm10", "crm11"}},
		{"points ≥ 500", models.SegmentFilter{MinPoints: &p500}, []string{"crm06", "crm08", "crm10"}},
		{"poster channel", models.SegmentFilter{Channels: []string{"poster"}}, []string{"crm01", "crm04", "crm07", "crm10"}},
		{"spreaders", models.SegmentFilter{Levels: []string{"spreader"}}, []string{"crm11"}},
		{"region 深圳 with phone", models.SegmentFilter{Region: "深圳", HasPhone: &yes}, []string{"crm00", "crm03", "crm06", "crm09"}},
		{"no phone, subscribed", models.SegmentFilter{HasPhone: &no, Subscribed: &yes}, []string{"crm01", "crm02", "crm04", "crm05", "crm07", "crm08", "crm10", "crm11"}},
		{"active today", models.SegmentFilter{ActiveWithinDays: 1, Channels: []string{"shop"}}, []string{"crm02", "crm05", "crm08", "crm11"}},
		{"inactive 30 days", models.SegmentFilter{InactiveForDays: 30}, []string{}},
	}
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seedCRM(t, s)
		for _, c := range cases {
			n, err := s.CountSegment(ctx, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			members, err := s.SegmentMembers(ctx, c.f, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range members {
				got = append(got, m.OpenID)
			}
			if c.want == nil {
				if n != 12 {
					t.Errorf("%s: %d members, want 12", c.name, n)
				}
				continue
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) || n != int64(len(c.want)) {
				t.Errorf("%s: got %v (count %d), want %v", c.name, got, n, c.want)
			}
		}
		if _, err := s.CountSegment(ctx, models.SegmentFilter{Stages: []string{"gold"}}); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("bad stage: %v", err)
		}
		sg, err := s.SaveSegment(ctx, 0, "VIP", models.SegmentFilter{TagsAny: []string{"vip"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveSegment(ctx, 0, "VIP", models.SegmentFilter{}); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("duplicate segment name: %v", err)
		}
		got, _ := s.FindSegment(ctx, sg.ID)
		if f, _ := got.Decode(); len(f.TagsAny) != 1 {
			t.Fatalf("segment round trip: %+v", f)
		}
	})
}

func TestRedeemStockRaceAndCoupons(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		members := seedCRM(t, s) // members 6, 8, 10 have ≥ 600 points
		g, err := s.SaveGift(ctx, models.Gift{Name: "咖啡券", Kind: models.GiftCoupon, Cost: 500, Stock: 2, ValidDays: 7, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, out := 0, 0
		for _, i := range []int{6, 8, 10, 6, 8, 10} {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := s.Redeem(ctx, members[i].ID, g.ID, fmt.Sprintf("r-%d-%d", i, time.Now().UnixNano()))
				mu.Lock()
				defer mu.Unlock()
				switch models.ErrorCode(err) {
				case "internal":
					if err == nil {
						ok++
						return
					}
					t.Error(err)
				case models.ECONFLICT, models.EINVALID:
					out++
				}
			}(i)
		}
		wg.Wait()
		if ok != 2 || out != 4 {
			t.Fatalf("redemptions: %d ok, %d refused; want 2 and 4", ok, out)
		}
		gifts, _ := s.ListGifts(ctx, false)
		if gifts[0].Stock != 0 {
			t.Fatalf("stock %d, want 0", gifts[0].Stock)
		}
		// Every point spent matches a redemption.
		var spent int64
		for _, i := range []int{6, 8, 10} {
			bal, _ := s.Balance(ctx, members[i].ID)
			spent += int64(100*i) - bal
		}
		if spent != 1000 {
			t.Fatalf("points spent %d, want 1000", spent)
		}
		// Idempotent repeat and coupon use.
		g2, _ := s.SaveGift(ctx, models.Gift{Name: "贴纸", Kind: models.GiftItem, Cost: 10, Stock: 5, Active: true})
		if _, _, err := s.Earn(ctx, members[10].ID, 50, models.SourceRule, "top up", "top-up", nil); err != nil {
			t.Fatal(err)
		}
		r1, err := s.Redeem(ctx, members[10].ID, g2.ID, "same-key")
		if err != nil {
			t.Fatal(err)
		}
		r2, _ := s.Redeem(ctx, members[10].ID, g2.ID, "same-key")
		if r1.ID != r2.ID {
			t.Fatal("repeated key redeemed twice")
		}
		if _, err := s.Redeem(ctx, members[1].ID, g2.ID, "poor"); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("redeem without points: %v", err)
		}
		if _, err := s.MarkCouponUsed(ctx, r1.Code, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.MarkCouponUsed(ctx, r1.Code, 1); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("coupon used twice: %v", err)
		}
		if _, err := s.MarkCouponUsed(ctx, "NOPE", 1); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("unknown coupon: %v", err)
		}
	})
}

func TestTopicsAndVerifiableDraws(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		members := seedCRM(t, s)
		now := time.Now()
		tp, err := s.SaveTopic(ctx, models.Topic{Keyword: "美食", Title: "最爱的餐厅", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour), Points: 30})
		if err != nil {
			t.Fatal(err)
		}
		found, _ := s.ActiveTopicFor(ctx, "美食 楼下的面馆，汤好")
		if found == nil || found.ID != tp.ID {
			t.Fatal("topic not found by keyword")
		}
		_, paid1, _ := s.AddTopicEntry(ctx, found, members[1], "楼下的面馆")
		_, paid2, _ := s.AddTopicEntry(ctx, found, members[1], "还有烧烤")
		if paid1 != 30 || paid2 != 0 {
			t.Fatalf("topic points paid %d then %d, want 30 then 0", paid1, paid2)
		}
		entries, _ := s.TopicEntries(ctx, tp.ID, false)
		s.MarkTopicEntry(ctx, entries[1].ID, false, true)
		if visible, _ := s.TopicEntries(ctx, tp.ID, false); len(visible) != 1 {
			t.Fatalf("hidden entry still listed: %d", len(visible))
		}
		d, winners, err := s.RunDraw(ctx, "十位幸运会员", models.SegmentFilter{Stages: []string{"new"}}, 2, 1)
		if err != nil || len(winners) != 2 {
			t.Fatalf("draw: %v %v", winners, err)
		}
		for _, w := range winners {
			if w < members[8].ID {
				t.Fatalf("winner %d is not in the segment", w)
			}
		}
		if ok, err := s.VerifyDraw(ctx, d.ID); !ok || err != nil {
			t.Fatalf("verify: %v %v", ok, err)
		}
		// The pick is a pure function of entrants and seed.
		a := models.PickWinners([]uint64{1, 2, 3, 4, 5}, "seed", 3)
		b := models.PickWinners([]uint64{1, 2, 3, 4, 5}, "seed", 3)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatal("PickWinners is not deterministic")
		}
		if _, _, err := s.RunDraw(ctx, "空", models.SegmentFilter{Stages: []string{"loyal"}}, 1, 1); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("draw on empty segment: %v", err)
		}
		c, _ := s.Completeness(ctx)
		if c.Members != 12 || c.Profiles != 4 || c.Phone != 4 || c.Name != 0 {
			t.Fatalf("completeness: %+v", c)
		}
	})
}
