package roles_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// growth is an env with the full chain: Close Service → Consulting → Client.
type growth struct {
	*desk
	client *roles.Client
	clock  time.Time
}

func newGrowth(t *testing.T, s *models.Store) *growth {
	d := newDesk(t, s, nil)
	g := &growth{desk: d, clock: time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)}
	g.client = &roles.Client{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Loc: shanghai,
		Now: func() time.Time { return g.clock }, Rules: roles.DefaultClientRules, Referrals: d.Handler.WX}
	d.Handler.Pipeline.Roles = append(d.Handler.Pipeline.Roles, g.client)
	return g
}

func TestChannelAttributionAndWelcomeGifts(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		g := newGrowth(t, s)
		ctx := context.Background()
		qr, err := g.Handler.WX.CreateQR(ctx, "poster2026", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "海报", Scene: "poster2026", ExpireSeconds: 86400, WelcomePoints: 20, WelcomeTags: []string{"海报"}}, qr.Ticket, qr.URL, qr.ExpireSeconds)
		if err != nil {
			t.Fatal(err)
		}
		// The image URL serves a PNG whose ticket maps back to the scene.
		resp, err := http.Get(g.Handler.WX.QRImageURL(qr.Ticket))
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("QR image: %v %v", resp, err)
		}
		resp.Body.Close()
		if scene, ok := platform.SceneForTicket(qr.Ticket); !ok || scene != "poster2026" {
			t.Fatalf("ticket → scene: %q %v", scene, ok)
		}
		if _, err := platform.Follow(ctx, g.Acct.AppID, "c1", "poster2026"); err != nil {
			t.Fatal(err)
		}
		if _, err := platform.Scan(ctx, g.Acct.AppID, "c1", "poster2026"); err != nil {
			t.Fatal(err)
		}
		m := g.member("c1")
		if m.Points != 20 || m.SubscribeScene != "poster2026" {
			t.Fatalf("welcome gift: %+v", m)
		}
		if tags, _ := s.MemberTags(ctx, m.ID); len(tags) != 1 || tags[0] != "海报" {
			t.Fatalf("welcome tags: %v", tags)
		}
		// Unfollow and follow again through the same code: attributed, but
		// no second gift.
		platform.Unfollow(ctx, g.Acct.AppID, "c1")
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
		platform.Follow(ctx, g.Acct.AppID, "c1", "poster2026")
		if m := g.member("c1"); m.Points != 20 {
			t.Fatalf("gift given twice: %d", m.Points)
		}
		st, err := s.ChannelStatsFor(ctx, ch.ID)
		if err != nil || st.Scans != 1 || st.Follows != 2 || st.Unfollow1 != 1 {
			t.Fatalf("channel stats: %+v %v", st, err)
		}
		if _, err := s.CreateChannel(ctx, models.NewChannel{Name: "x", Scene: "poster2026", ExpireSeconds: 60}, "t", "u", 60); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("duplicate scene: %v", err)
		}
		for _, bad := range []models.NewChannel{
			{Name: "x", Scene: "ref_abc", ExpireSeconds: 60}, {Name: "x", Scene: "has space", ExpireSeconds: 60},
			{Name: "x", Scene: "ok", ExpireSeconds: 2592001}, {Name: "", Scene: "ok", Permanent: true},
		} {
			if _, err := s.CreateChannel(ctx, bad, "t", "u", 60); models.ErrorCode(err) != models.EINVALID {
				t.Errorf("%+v accepted: %v", bad, err)
			}
		}
	})
}

func TestSignInStreakPointsAndLeaderboard(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		g := newGrowth(t, s)
		g.Follow("s1")
		var last string
		for day := 0; day < 7; day++ {
			last = g.say("s1", "签到")
			if day == 0 && g.say("s1", "签到") != "今天已经签到过啦，已连续签到 1 天，当前积分 10。明天再来！" {
				t.Fatal("second sign-in on one day was not refused")
			}
			g.clock = g.clock.AddDate(0, 0, 1)
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
		}
		if last != "签到成功！+60 积分，已连续签到 7 天，当前积分 120。" {
			t.Fatalf("day 7: %q", last)
		}
		g.clock = g.clock.AddDate(0, 0, 1) // skipped a day: the streak restarts
		if got := g.say("s1", "签到"); !strings.Contains(got, "已连续签到 1 天") {
			t.Fatalf("after a gap: %q", got)
		}
		if got := g.say("s1", "积分"); !strings.HasPrefix(got, "您当前有 130 积分。已连续签到 1 天。") ||
			!strings.Contains(got, " 签到 20") || strings.Contains(got, "sys:") { // the ledger's reasons, in Chinese
			t.Fatalf("points: %q", got)
		}
		if got := g.say("s1", "排行榜"); !strings.Contains(got, "1. s1") {
			t.Fatalf("leaderboard: %q", got)
		}
		m := g.member("s1")
		if m.Level != models.LevelResponder {
			t.Fatalf("level after sign-ins: %s", m.Level)
		}
		hist, _ := s.MemberHistory(context.Background(), m.ID)
		if len(hist) != 2 || hist[0].To != models.LevelCurious || hist[1].To != models.LevelResponder {
			t.Fatalf("level history: %+v", hist)
		}
	})
}

func TestReferralChainRewardsAndReversal(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		g := newGrowth(t, s)
		ctx := context.Background()
		g.Follow("ref_a")
		got := g.say("ref_a", "推荐码")
		code, _ := s.ReferralCode(ctx, g.member("ref_a").ID)
		if !strings.Contains(got, code) || !strings.Contains(got, "showqrcode?ticket=") {
			t.Fatalf("referral reply: %q", got)
		}
		scene := models.ReferralScenePrefix + code
		platform.Follow(ctx, g.Acct.AppID, "ref_b", scene) // stays
		platform.Follow(ctx, g.Acct.AppID, "ref_c", scene) // leaves early
		b := g.member("ref_b")
		codeB, _ := s.ReferralCode(ctx, b.ID)
		platform.Follow(ctx, g.Acct.AppID, "ref_d", models.ReferralScenePrefix+codeB) // a's indirect referral
		// Self-referral and re-follows never link.
		codeA := code
		platform.Unfollow(ctx, g.Acct.AppID, "ref_a")
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
		platform.Follow(ctx, g.Acct.AppID, "ref_a", models.ReferralScenePrefix+codeA)
		if a := g.member("ref_a"); a.ReferrerID != nil {
			t.Fatal("self-referral linked")
		}
		a := g.member("ref_a")
		down, err := s.Downline(ctx, a.ID, 100)
		if err != nil || len(down) != 3 || down[2].Depth != 2 || down[2].Member.OpenID != "ref_d" {
			t.Fatalf("downline: %+v %v", down, err)
		}
		up, _ := s.Upline(ctx, g.member("ref_d").ID)
		if len(up) != 2 || up[0].OpenID != "ref_b" || up[1].OpenID != "ref_a" {
			t.Fatalf("upline: %+v", up)
		}
		if a.Level != models.LevelSpreader {
			t.Fatalf("referrer level: %s", a.Level)
		}
		platform.Unfollow(ctx, g.Acct.AppID, "ref_c")
		// Nothing is paid before the hold.
		if paid, _, _ := s.SettleReferralRewards(ctx, 10); paid != 0 {
			t.Fatalf("paid %d before the hold", paid)
		}
		real := s.Now
		s.Now = func() time.Time { return real().Add(8 * 24 * time.Hour) }
		paid, reversed, err := s.SettleReferralRewards(ctx, 1) // cap 1 a day
		if err != nil || paid != 2 || reversed != 1 {
			t.Fatalf("settle: paid %d reversed %d %v (b and d pay to different referrers; c reversed)", paid, reversed, err)
		}
		if bal, _ := s.Balance(ctx, a.ID); bal != 100 {
			t.Fatalf("referrer a balance %d, want 100", bal)
		}
		if paid, _, _ := s.SettleReferralRewards(ctx, 1); paid != 0 {
			t.Fatal("a reward was paid twice")
		}
	})
}

func TestTopicsRedeemAndProfileLink(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		g := newGrowth(t, s)
		g.client.PublicURL = "https://fivec.example.com"
		ctx := context.Background()
		now := g.clock
		if _, err := s.SaveTopic(ctx, models.Topic{Keyword: "美食", Title: "最爱的餐厅", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour), Points: 30}); err != nil {
			t.Fatal(err)
		}
		g.Follow("tp1")
		if got := g.say("tp1", "美食"); !strings.Contains(got, "回复“美食 + 您的想法”") {
			t.Fatalf("topic prompt: %q", got)
		}
		if got := g.say("tp1", "美食 楼下面馆的牛肉面"); got != "感谢参与话题「最爱的餐厅」！+30 积分。" {
			t.Fatalf("topic entry: %q", got)
		}
		if got := g.say("tp1", "美食 还有烧烤"); got != "感谢参与话题「最爱的餐厅」！" {
			t.Fatalf("second entry pays again: %q", got)
		}
		gift, _ := s.SaveGift(ctx, models.Gift{Name: "贴纸", Kind: models.GiftCoupon, Cost: 20, Stock: 1, ValidDays: 7, Active: true})
		if got := g.say("tp1", "兑换"); !strings.Contains(got, "贴纸 — 20 积分（剩 1）") {
			t.Fatalf("catalogue: %q", got)
		}
		got := g.say("tp1", fmt.Sprintf("兑换 %d", gift.ID))
		if !strings.HasPrefix(got, "兑换成功：贴纸，扣除 20 积分。兑换码：") {
			t.Fatalf("redeem: %q", got)
		}
		if got := g.say("tp1", fmt.Sprintf("兑换 %d", gift.ID)); !strings.Contains(got, "兑换失败") {
			t.Fatalf("out of stock: %q", got)
		}
		m := g.member("tp1")
		if m.Points != 10 || m.Stage != models.StageNew || m.Level != models.LevelResponder {
			t.Fatalf("member after topic and redemption: points %d stage %s level %s", m.Points, m.Stage, m.Level)
		}
		if got := g.say("tp1", "资料"); !strings.HasPrefix(got, "完善个人资料，获得更贴心的服务：https://fivec.example.com/profile/") {
			t.Fatalf("profile link: %q", got)
		}
	})
}

func TestWelcomeCouponPerChannel(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		g := newGrowth(t, s)
		ctx := context.Background()
		gift, _ := s.SaveGift(ctx, models.Gift{Name: "新人咖啡券", Kind: models.GiftCoupon, Cost: 1, Stock: 1, ValidDays: 7, Active: true})
		if _, err := s.CreateChannel(ctx, models.NewChannel{Name: "门店", Scene: "store9", Permanent: true, WelcomeGiftID: 999}, "t", "u", 0); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("unknown gift accepted: %v", err)
		}
		if _, err := s.CreateChannel(ctx, models.NewChannel{Name: "门店", Scene: "store9", Permanent: true, WelcomeGiftID: gift.ID}, "t", "u", 0); err != nil {
			t.Fatal(err)
		}
		platform.Follow(ctx, g.Acct.AppID, "wc1", "store9")
		g.Handler.Wait()
		var got string
		for _, x := range platform.Inbox(g.Acct.AppID, "wc1") {
			if x.Source == fake.SourceCustom {
				got = x.Text
			}
		}
		if !strings.HasPrefix(got, "关注礼：新人咖啡券，兑换码 ") {
			t.Fatalf("welcome coupon message: %q", got)
		}
		if r, _ := s.Redemptions(ctx, g.member("wc1").ID); len(r) != 1 || r[0].Points != 0 {
			t.Fatalf("grant: %+v", r)
		}
		// Out of stock: the second follower is welcomed without a coupon.
		d, err := platform.Follow(ctx, g.Acct.AppID, "wc2", "store9")
		if err != nil || d == nil {
			t.Fatalf("second follow: %v", err)
		}
		if r, _ := s.Redemptions(ctx, g.member("wc2").ID); len(r) != 0 {
			t.Fatalf("coupon given beyond stock: %+v", r)
		}
	})
}
