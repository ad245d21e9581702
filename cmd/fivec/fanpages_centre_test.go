package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/fan"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// signedInFan is a fan who follows, with points, signed in to the member
// centre in a browser of their own.
func signedInFan(t *testing.T, c *crawler, openID string, points int64) (*fanBrowser, *models.Member) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.a.sandbox.fake.Follow(ctx, sandboxAppID, openID, ""); err != nil {
		t.Fatal(err)
	}
	m, err := c.a.store.FindMemberByOpenID(ctx, openID)
	if err != nil {
		t.Fatal(err)
	}
	if points > 0 {
		if _, _, err := c.a.store.Earn(ctx, m.ID, points, models.SourceWelcome, models.SystemReason(models.ReasonWelcome, "测试"), "welcome:"+openID, nil); err != nil {
			t.Fatal(err)
		}
	}
	b := newFanBrowser(t, c.router)
	b.phone(openID)
	b.signInStep("")
	return b, m
}

func mustGift(t *testing.T, s *models.Store, g models.Gift) *models.Gift {
	t.Helper()
	g.Active = true
	out, err := s.SaveGift(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// confirmForm opens a gift's confirmation page and returns its form.
func confirmForm(t *testing.T, b *fanBrowser, giftID uint64) url.Values {
	t.Helper()
	rec := b.do(http.MethodGet, fmt.Sprintf("%s/%d", fan.GiftsPath, giftID), nil)
	body := rec.Body.String()
	csrf, nonce := between(body, `name="csrf" value="`, `"`), between(body, `name="nonce" value="`, `"`)
	if rec.Code != 200 || csrf == "" || nonce == "" || !strings.Contains(body, "确认兑换") {
		t.Fatalf("confirmation page: %d\n%s", rec.Code, body)
	}
	return url.Values{"csrf": {csrf}, "nonce": {nonce}}
}

// TestFanRedeemsOnThePage: the catalogue and my coupons; redeeming asks
// first; the same form posted twice redeems once; not enough points and
// sold out are refused in Chinese with nothing spent; the chat's "兑换 N"
// goes through the same role method; another fan cannot open the coupon
// by its id; the member's log in the console shows the redemption.
func TestFanRedeemsOnThePage(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c := newCrawler(t, driver)
			ctx := context.Background()
			s := c.a.store
			cup := mustGift(t, s, models.Gift{Name: "咖啡券", Kind: models.GiftCoupon, Cost: 30, Stock: 5, ValidDays: 30})
			dear := mustGift(t, s, models.Gift{Name: "保温杯", Kind: models.GiftItem, Cost: 500, Stock: 5})
			gone := mustGift(t, s, models.Gift{Name: "帆布袋", Kind: models.GiftItem, Cost: 10, Stock: 1})
			if _, err := s.SaveGift(ctx, models.Gift{ID: gone.ID, Name: gone.Name, Kind: gone.Kind, Cost: gone.Cost, Stock: 0, Active: true}); err != nil {
				t.Fatal(err)
			}
			b, m := signedInFan(t, c, "o_fan_redeem", 100)

			rec := b.do(http.MethodGet, fan.GiftsPath, nil)
			body := rec.Body.String()
			if rec.Code != 200 || !strings.Contains(body, "咖啡券") || !strings.Contains(body, `href="/fan/me/gifts/`+fmt.Sprint(cup.ID)+`"`) ||
				!strings.Contains(body, "已兑完") || !strings.Contains(body, "积分不足") || !strings.Contains(body, `id="coupons-empty"`) {
				t.Fatalf("catalogue: %d\n%s", rec.Code, body)
			}

			form := confirmForm(t, b, cup.ID)
			first := b.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.GiftsPath, cup.ID), form)
			again := b.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.GiftsPath, cup.ID), form) // a double click
			loc1, loc2 := first.Header().Get("Location"), again.Header().Get("Location")
			if first.Code != http.StatusSeeOther || !strings.HasSuffix(loc1, "?done=new") || again.Code != http.StatusSeeOther ||
				!strings.HasSuffix(loc2, "?done=again") || strings.TrimSuffix(loc1, "new") != strings.TrimSuffix(loc2, "again") {
				t.Fatalf("redeem twice with one form: %d %s / %d %s", first.Code, loc1, again.Code, loc2)
			}
			if bal, _ := s.Balance(ctx, m.ID); bal != 70 {
				t.Fatalf("balance after one redemption: %d", bal)
			}
			rec = b.open(http.MethodGet, loc1, nil)
			reds, _ := s.Redemptions(ctx, m.ID)
			if len(reds) != 1 || rec.Code != 200 || !strings.Contains(rec.Body.String(), reds[0].Code) || !strings.Contains(rec.Body.String(), "兑换成功") ||
				!strings.Contains(rec.Body.String(), "可使用") || !strings.Contains(rec.Body.String(), "有效期至") {
				t.Fatalf("coupon page (%d redemptions): %d\n%s", len(reds), rec.Code, rec.Body)
			}
			if body := b.do(http.MethodGet, loc2, nil).Body.String(); !strings.Contains(body, "没有重复扣积分") {
				t.Errorf("the second submit's page:\n%s", body)
			}

			// Refusals: in Chinese, nothing spent.
			for _, tc := range []struct {
				gift uint64
				want string
			}{{dear.ID, "积分不足：兑换「保温杯」需要 500 积分，您现在有 70 积分"}, {gone.ID, "已经兑完"}, {999999, "没有这个礼品"}} {
				f := url.Values{"csrf": form["csrf"], "nonce": {models.RandomToken(16)}}
				rec := b.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.GiftsPath, tc.gift), f)
				if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), tc.want) || !strings.Contains(rec.Body.String(), "兑换失败") {
					t.Errorf("redeem %d: %d\n%s", tc.gift, rec.Code, rec.Body)
				}
			}
			if rec := b.do(http.MethodGet, fmt.Sprintf("%s/%d", fan.GiftsPath, dear.ID), nil); !strings.Contains(rec.Body.String(), "还差 430 积分") ||
				strings.Contains(rec.Body.String(), `id="confirm-redeem"`) {
				t.Errorf("confirmation of a gift too dear:\n%s", rec.Body)
			}
			if rec := b.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.GiftsPath, cup.ID), url.Values{"csrf": {"forged"}, "nonce": {models.RandomToken(16)}}); rec.Code != http.StatusForbidden {
				t.Errorf("a forged form token: %d", rec.Code)
			}
			if rec := b.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.GiftsPath, cup.ID), url.Values{"csrf": form["csrf"]}); rec.Code != http.StatusBadRequest ||
				!strings.Contains(rec.Body.String(), "没有扣除积分") {
				t.Errorf("no nonce: %d\n%s", rec.Code, rec.Body)
			}
			if bal, _ := s.Balance(ctx, m.ID); bal != 70 {
				t.Fatalf("balance after refusals: %d", bal)
			}

			// The chat redeems through the same role method.
			d, err := c.a.sandbox.fake.SendText(ctx, sandboxAppID, "o_fan_redeem", fmt.Sprintf("兑换 %d", cup.ID))
			if err != nil || d == nil || !strings.Contains(d.Text, "兑换成功") {
				t.Fatalf("chat redeem: %+v %v", d, err)
			}
			d, err = c.a.sandbox.fake.SendText(ctx, sandboxAppID, "o_fan_redeem", fmt.Sprintf("兑换 %d", gone.ID))
			if err != nil || d == nil || !strings.Contains(d.Text, "兑换失败：这个礼品已经兑完了") {
				t.Fatalf("chat redeem sold out: %+v %v", d, err)
			}
			if body := b.do(http.MethodGet, fan.GiftsPath, nil).Body.String(); strings.Count(body, `href="/fan/me/coupons/`) != 2 || !strings.Contains(body, `id="balance">40<`) {
				t.Errorf("my coupons after page and chat:\n%s", body)
			}

			// Another fan cannot read this coupon by its id.
			other, _ := signedInFan(t, c, "o_fan_redeem_other", 0)
			rec = other.do(http.MethodGet, fmt.Sprintf("%s/%d", fan.CouponsPath, reds[0].ID), nil)
			if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), reds[0].Code) || !strings.Contains(rec.Body.String(), "找不到这张券") {
				t.Errorf("another fan's coupon: %d\n%s", rec.Code, rec.Body)
			}
			// Without a session outside WeChat: the page says where to open it.
			stranger := newFanBrowser(t, c.router)
			stranger.ua = "Mozilla/5.0"
			if rec := stranger.do(http.MethodGet, fmt.Sprintf("%s/%d", fan.CouponsPath, reds[0].ID), nil); rec.Code != 200 ||
				!strings.Contains(rec.Body.String(), "请在微信中打开") || strings.Contains(rec.Body.String(), reds[0].Code) {
				t.Errorf("a coupon opened outside WeChat: %d\n%s", rec.Code, rec.Body)
			}

			// The member's log in the console.
			cookie, _ := c.session("admin")
			con := c.serve(httptest.NewRequest(http.MethodGet, "/console/members/o_fan_redeem", nil), who{cookie: cookie})
			if con.Code != 200 || strings.Count(con.Body.String(), "兑换 咖啡券") < 2 {
				t.Errorf("console member page: %d\n%.3000s", con.Code, con.Body)
			}
		})
	}
}

// TestFanRedeemRaceLastCoupon: eight fans redeem the last coupon at the
// same moment through the router: one wins, seven are told it is sold out,
// and only the winner's points are spent.
func TestFanRedeemRaceLastCoupon(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c := newCrawler(t, driver)
			ctx := context.Background()
			last := mustGift(t, c.a.store, models.Gift{Name: "最后一张券", Kind: models.GiftCoupon, Cost: 20, Stock: 1, ValidDays: 7})
			type racer struct {
				b    *fanBrowser
				m    *models.Member
				form url.Values
			}
			var racers []racer
			for i := range 8 {
				b, m := signedInFan(t, c, fmt.Sprintf("o_fan_race_%d", i), 50)
				racers = append(racers, racer{b, m, confirmForm(t, b, last.ID)})
			}
			codes := make([]int, len(racers))
			bodies := make([]string, len(racers))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, r := range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					rec := r.b.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.GiftsPath, last.ID), r.form)
					codes[i], bodies[i] = rec.Code, rec.Body.String()
				}()
			}
			close(start)
			wg.Wait()
			won := 0
			for i, r := range racers {
				bal, err := c.a.store.Balance(ctx, r.m.ID)
				if err != nil {
					t.Fatal(err)
				}
				switch codes[i] {
				case http.StatusSeeOther:
					won++
					if bal != 30 {
						t.Errorf("the winner's balance: %d", bal)
					}
				case http.StatusConflict:
					if !strings.Contains(bodies[i], "已经兑完") || bal != 50 {
						t.Errorf("a loser: balance %d\n%s", bal, bodies[i])
					}
				default:
					t.Errorf("racer %d: %d\n%s", i, codes[i], bodies[i])
				}
			}
			g, _ := c.a.store.FindGift(ctx, last.ID)
			if won != 1 || g.Stock != 0 {
				t.Fatalf("%d won, stock %d", won, g.Stock)
			}
		})
	}
}

// TestFanLeaderboardAndTopics: the leaderboard marks the fan's own line;
// a topic takes a text entry from the page (points once, whether the
// second comes from the page or the chat), refuses an empty one keeping
// nothing lost, and shows the featured wall without hidden entries.
func TestFanLeaderboardAndTopics(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c := newCrawler(t, driver)
			ctx := context.Background()
			s := c.a.store
			b, m := signedInFan(t, c, "o_fan_board", 40)
			_, _ = signedInFan(t, c, "o_fan_board_top", 90)

			rec := b.do(http.MethodGet, fan.LeaderboardPath, nil)
			body := rec.Body.String()
			if rec.Code != 200 || !strings.Contains(body, `id="rank-me"><span class="rank">2</span><span class="grow">我</span><b>40 分`) ||
				!strings.Contains(body, "o_fa…_top") || strings.Contains(body, "o_fan_board_top") {
				t.Fatalf("leaderboard: %d\n%s", rec.Code, body)
			}

			now := time.Now()
			tp, err := s.SaveTopic(ctx, models.Topic{Keyword: "美食", Title: "最爱的餐厅", Prompt: "说说您最爱的餐厅", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(24 * time.Hour), Points: 5})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SaveTopic(ctx, models.Topic{Keyword: "旧话题", Title: "已结束的话题", StartsAt: now.Add(-48 * time.Hour), EndsAt: now.Add(-time.Hour)}); err != nil {
				t.Fatal(err)
			}
			page := b.do(http.MethodGet, fan.TopicsPath, nil).Body.String()
			csrf := between(page, `name="csrf" value="`, `"`)
			if csrf == "" || !strings.Contains(page, "最爱的餐厅") || strings.Contains(page, "已结束的话题") || !strings.Contains(page, "暂不支持图片") {
				t.Fatalf("topics page:\n%s", page)
			}
			target := fmt.Sprintf("%s/%d", fan.TopicsPath, tp.ID)
			rec = b.do(http.MethodPost, target, url.Values{"csrf": {csrf}, "text": {"   "}})
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "请先写下您的想法") {
				t.Errorf("empty entry: %d\n%s", rec.Code, rec.Body)
			}
			long := strings.Repeat("好", 1001)
			rec = b.do(http.MethodPost, target, url.Values{"csrf": {csrf}, "text": {long}})
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "最多 1000 字") || !strings.Contains(rec.Body.String(), long) {
				t.Errorf("a long entry is refused and kept in the box: %d", rec.Code)
			}
			rec = b.open(http.MethodPost, target, url.Values{"csrf": {csrf}, "text": {"巷口的面馆"}})
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "+5 积分") || !strings.Contains(rec.Body.String(), "巷口的面馆") {
				t.Fatalf("entry: %d %v\n%s", rec.Code, b.visited, rec.Body)
			}
			d, err := c.a.sandbox.fake.SendText(ctx, sandboxAppID, "o_fan_board", "美食 江边的烧烤")
			if err != nil || d == nil || !strings.Contains(d.Text, "感谢参与话题") || strings.Contains(d.Text, "积分") {
				t.Fatalf("chat entry after the page: %+v %v", d, err)
			}
			if bal, _ := s.Balance(ctx, m.ID); bal != 45 {
				t.Errorf("balance after two entries: %d (points once)", bal)
			}
			entries, err := s.TopicEntries(ctx, tp.ID, true)
			if err != nil || len(entries) != 2 {
				t.Fatalf("entries: %+v %v", entries, err)
			}
			// Another fan's entries: one featured, one featured then hidden.
			top, _ := s.FindMemberByOpenID(ctx, "o_fan_board_top")
			shown, _, _ := s.AddTopicEntry(ctx, tp, top, "山顶的茶馆")
			hidden, _, _ := s.AddTopicEntry(ctx, tp, top, "不该出现的内容")
			if err := s.MarkTopicEntry(ctx, shown.ID, true, false); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkTopicEntry(ctx, hidden.ID, true, true); err != nil {
				t.Fatal(err)
			}
			page = b.do(http.MethodGet, fan.TopicsPath, nil).Body.String()
			wall := between(page, "精选墙", "</section>")
			mine := between(page, "我的参与", "精选墙")
			if !strings.Contains(wall, "山顶的茶馆") || strings.Contains(page, "不该出现的内容") || strings.Contains(wall, "巷口的面馆") ||
				!strings.Contains(mine, "巷口的面馆") || !strings.Contains(mine, "江边的烧烤") {
				t.Errorf("topics page after moderation:\n%s", page)
			}
			// The member's log in the console.
			cookie, _ := c.session("admin")
			con := c.serve(httptest.NewRequest(http.MethodGet, "/console/members/o_fan_board", nil), who{cookie: cookie})
			if con.Code != 200 || !strings.Contains(con.Body.String(), "参与话题：最爱的餐厅") {
				t.Errorf("console member page: %d\n%.3000s", con.Code, con.Body)
			}
		})
	}
}

// TestFanInvitationQR: "my invitations" shows the fan's code and the QR
// code WeChat issued for the scene ref_<code> (the fake's qrcode API in the
// sandbox), issued once a day however often the page opens; a friend who
// follows through it shows as a pending reward; a fan without a session
// gets no code.
func TestFanInvitationQR(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c := newCrawler(t, driver)
			ctx := context.Background()
			b, m := signedInFan(t, c, "o_fan_invite", 0)
			rec := b.do(http.MethodGet, fan.InvitePath, nil)
			body := rec.Body.String()
			code := between(body, `id="invite-code">`, "<")
			if rec.Code != 200 || code == "" || !strings.Contains(body, `id="friends-empty"`) || !strings.Contains(body, `src="/fan/me/invite/qr.png"`) {
				t.Fatalf("invitations: %d\n%s", rec.Code, body)
			}
			rec = b.do(http.MethodGet, fan.InvitePath+"/qr.png", nil)
			if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
				t.Fatalf("QR code: %d %s %.200s", rec.Code, rec.Header(), rec.Body)
			}
			if _, err := png.Decode(bytes.NewReader(rec.Body.Bytes())); err != nil {
				t.Fatalf("QR image: %v", err)
			}
			var scenes []string
			for _, call := range c.a.sandbox.fake.Calls() {
				if strings.HasSuffix(call.Path, "/cgi-bin/qrcode/create") {
					scenes = append(scenes, call.Body)
				}
			}
			if len(scenes) != 1 || !strings.Contains(scenes[0], models.ReferralScenePrefix+code) {
				t.Fatalf("qrcode/create calls: %v", scenes)
			}
			// Drawn once a day: reopening does not issue another code.
			b.do(http.MethodGet, fan.InvitePath+"/qr.png", nil)
			n := 0
			for _, call := range c.a.sandbox.fake.Calls() {
				if strings.HasSuffix(call.Path, "/cgi-bin/qrcode/create") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("qrcode/create after reopening: %d calls", n)
			}

			if _, err := c.a.sandbox.fake.Follow(ctx, sandboxAppID, "o_fan_invited", models.ReferralScenePrefix+code); err != nil {
				t.Fatal(err)
			}
			body = b.do(http.MethodGet, fan.InvitePath, nil).Body.String()
			if !strings.Contains(body, `id="pending">100<`) || !strings.Contains(body, "待发放") || !strings.Contains(body, `id="paid">0<`) {
				t.Errorf("after a friend followed:\n%s", body)
			}
			if n, _ := c.a.store.CountReferrals(ctx, m.ID); n != 1 {
				t.Errorf("referrals: %d", n)
			}
			stranger := newFanBrowser(t, c.router)
			if rec := stranger.do(http.MethodGet, fan.InvitePath+"/qr.png", nil); rec.Code != http.StatusUnauthorized {
				t.Errorf("a QR code without a session: %d", rec.Code)
			}
		})
	}
}
