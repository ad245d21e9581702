package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/fan"
	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// openLuckyDraw is the marketer's console form: a draw open from an hour
// ago for the next hour.
func openLuckyDraw(t *testing.T, c *crawler, title string, cost, winners int) *models.LuckyDraw {
	t.Helper()
	cookie, csrf := c.session("marketer")
	loc, now := web.DefaultLoc(), time.Now()
	rec := c.doForm(http.MethodPost, "/console/lucky-draws", who{cookie: cookie, csrf: csrf}, url.Values{
		"title": {title}, "prize": {"保温杯"}, "cost": {fmt.Sprint(cost)}, "winners": {fmt.Sprint(winners)},
		"starts_at": {now.Add(-time.Hour).In(loc).Format("2006-01-02T15:04")}, "ends_at": {now.Add(time.Hour).In(loc).Format("2006-01-02T15:04")}})
	if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "crm.flash.lucky") {
		t.Fatalf("open a lucky draw: %d %s\n%.2000s", rec.Code, rec.Header(), rec.Body)
	}
	list, err := c.a.store.LuckyDraws(context.Background(), 10)
	if err != nil || len(list) == 0 || list[0].Title != title {
		t.Fatalf("lucky draws: %+v %v", list, err)
	}
	return &list[0]
}

// drawCSRF reads the csrf token of a draw's confirmation page.
func drawCSRF(t *testing.T, b *fanBrowser, id uint64) string {
	t.Helper()
	rec := b.do(http.MethodGet, fmt.Sprintf("%s/%d", fan.DrawsPath, id), nil)
	csrf := between(rec.Body.String(), `name="csrf" value="`, `"`)
	if rec.Code != 200 || csrf == "" {
		t.Fatalf("draws page: %d\n%s", rec.Code, rec.Body)
	}
	return csrf
}

// TestFanEntersLuckyDraw, through the real router: the marketer opens a
// draw in the console (a bad form is refused in Chinese); a fan enters from
// the member centre after the confirmation, twice, and is entered once and
// charged once; 8 entries at once by another fan make one; a fan without
// the points is refused in Chinese with nothing spent; no fan sees another
// fan's entry; the marketer draws twice (and twice at once) and one draw
// is recorded, among the entrants only; the fans see their results;
// entering afterwards is refused; the winners are told through the draw's
// notify path.
func TestFanEntersLuckyDraw(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c := newCrawler(t, driver)
			ctx := context.Background()
			s := c.a.store

			cookie, csrf := c.session("marketer")
			bad := c.doForm(http.MethodPost, "/console/lucky-draws", who{cookie: cookie, csrf: csrf}, url.Values{
				"title": {"坏的"}, "prize": {"杯子"}, "winners": {"1"}, "starts_at": {"2026-12-08T10:00"}, "ends_at": {"2026-12-08T09:00"}})
			if bad.Code != http.StatusBadRequest || !strings.Contains(bad.Body.String(), "报名截止时间要晚于开始时间") || !strings.Contains(bad.Body.String(), `value="坏的"`) {
				t.Fatalf("a window ending before it starts: %d\n%.3000s", bad.Code, bad.Body)
			}
			d := openLuckyDraw(t, c, "周年庆抽奖", 5, 1)

			a, ma := signedInFan(t, c, "o_draw_a", 20)
			page := a.do(http.MethodGet, fan.DrawsPath, nil).Body.String()
			if !strings.Contains(page, "周年庆抽奖") || !strings.Contains(page, fmt.Sprintf(`href="/fan/me/draws/%d"`, d.ID)) || !strings.Contains(page, "报名中") {
				t.Fatalf("draws page:\n%s", page)
			}
			confirm := a.do(http.MethodGet, fmt.Sprintf("%s/%d", fan.DrawsPath, d.ID), nil).Body.String()
			if !strings.Contains(confirm, "报名将消耗 <b>5</b> 积分") || !strings.Contains(confirm, "报名后剩 15") {
				t.Fatalf("confirmation:\n%s", confirm)
			}
			form := url.Values{"csrf": {drawCSRF(t, a, d.ID)}}
			first := a.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.DrawsPath, d.ID), form)
			again := a.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.DrawsPath, d.ID), form)
			if first.Code != http.StatusSeeOther || !strings.Contains(first.Header().Get("Location"), "done=new") ||
				again.Code != http.StatusSeeOther || !strings.Contains(again.Header().Get("Location"), "done=again") {
				t.Fatalf("enter twice: %d %s / %d %s", first.Code, first.Header().Get("Location"), again.Code, again.Header().Get("Location"))
			}
			if bal, _ := s.Balance(ctx, ma.ID); bal != 15 {
				t.Fatalf("balance after entering twice: %d, want 15", bal)
			}
			if body := a.open(http.MethodGet, again.Header().Get("Location"), nil).Body.String(); !strings.Contains(body, "没有重复扣积分") ||
				!strings.Contains(body, fmt.Sprintf(`id="entered-%d"`, d.ID)) {
				t.Errorf("after the second entry:\n%s", body)
			}
			if rec := a.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.DrawsPath, d.ID), url.Values{"csrf": {"forged"}}); rec.Code != http.StatusForbidden {
				t.Errorf("a forged form token: %d", rec.Code)
			}

			// 8 entries at once by one fan: one entry, charged once.
			b, mb := signedInFan(t, c, "o_draw_b", 5)
			bf := url.Values{"csrf": {drawCSRF(t, b, d.ID)}}
			var wg sync.WaitGroup
			codes := make([]int, 8)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = b.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.DrawsPath, d.ID), bf).Code
				}()
			}
			wg.Wait()
			for _, code := range codes {
				if code != http.StatusSeeOther {
					t.Fatalf("concurrent entries: %v", codes)
				}
			}
			if n, _ := s.LuckyDrawEntryCount(ctx, d.ID); n != 2 {
				t.Fatalf("entries after 8 concurrent ones by b: %d, want 2 (a and b)", n)
			}
			if bal, _ := s.Balance(ctx, mb.ID); bal != 0 {
				t.Fatalf("b's balance: %d, want 0", bal)
			}

			// Not enough points: refused in Chinese, nothing spent.
			p, mp := signedInFan(t, c, "o_draw_poor", 3)
			free := openLuckyDraw(t, c, "免费抽奖", 0, 1)
			pf := url.Values{"csrf": {between(p.do(http.MethodGet, fan.DrawsPath, nil).Body.String(), `name="csrf" value="`, `"`)}}
			if dear := p.do(http.MethodGet, fmt.Sprintf("%s/%d", fan.DrawsPath, d.ID), nil).Body.String(); strings.Contains(dear, `id="confirm-enter"`) ||
				!strings.Contains(dear, "还差 2 积分") {
				t.Errorf("confirmation for a fan without the points:\n%s", dear)
			}
			rec := p.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.DrawsPath, d.ID), pf)
			if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "积分不足：参加「周年庆抽奖」需要 5 积分，您现在有 3 积分") {
				t.Errorf("entry without the points: %d\n%s", rec.Code, rec.Body)
			}
			if bal, _ := s.Balance(ctx, mp.ID); bal != 3 {
				t.Errorf("the poor fan's balance: %d", bal)
			}
			// A fan sees only their own entry.
			if rec := a.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.DrawsPath, free.ID), url.Values{"csrf": {drawCSRF(t, a, d.ID)}}); rec.Code != http.StatusSeeOther {
				t.Fatalf("free entry: %d\n%s", rec.Code, rec.Body)
			}
			if body := p.do(http.MethodGet, fan.DrawsPath, nil).Body.String(); strings.Contains(body, fmt.Sprintf(`id="entered-%d"`, free.ID)) ||
				!strings.Contains(body, fmt.Sprintf(`id="enter-%d"`, free.ID)) {
				t.Errorf("another fan's free entry shows on p's page:\n%s", body)
			}
			if body := p.do(http.MethodGet, fan.DrawsPath, nil).Body.String(); strings.Contains(body, fmt.Sprintf(`id="entered-%d"`, d.ID)) ||
				!strings.Contains(body, "还差 2 积分") {
				t.Errorf("the poor fan's page shows someone else's entry or no shortfall:\n%s", body)
			}
			// The fan's cookie is no console session.
			for _, ck := range a.jar.Cookies(mustURL(fanSite + "/console/")) {
				if ck.Name == fan.SessionCookie {
					t.Errorf("the fan session cookie is sent to the console")
				}
			}

			// Draw twice at once, then once more: one draw recorded.
			var locs [2]string
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ck, cs := c.session("marketer")
					locs[i] = c.doForm(http.MethodPost, fmt.Sprintf("/console/lucky-draws/%d/draw", d.ID), who{cookie: ck, csrf: cs}, url.Values{}).Header().Get("Location")
				}()
			}
			wg.Wait()
			third := c.doForm(http.MethodPost, fmt.Sprintf("/console/lucky-draws/%d/draw", d.ID), who{cookie: cookie, csrf: csrf}, url.Values{})
			draws, _ := s.ListDraws(ctx, 10)
			got, _ := s.FindLuckyDraw(ctx, d.ID)
			if len(draws) != 1 || got.DrawID == nil || got.State != models.LuckyDrawDrawn || third.Code != http.StatusSeeOther ||
				!strings.Contains(third.Header().Get("Location"), "crm.flash.lucky_again") {
				t.Fatalf("drawn %d times (%v, third %d %s)", len(draws), locs, third.Code, third.Header().Get("Location"))
			}
			rec2, _ := s.FindDraw(ctx, *got.DrawID)
			winners, _ := rec2.WinnerIDs()
			if len(winners) != 1 || (winners[0] != ma.ID && winners[0] != mb.ID) {
				t.Fatalf("winners %v are not among the entrants %d, %d", winners, ma.ID, mb.ID)
			}
			if _, same, err := rec2.Replay(); !same || err != nil {
				t.Fatalf("replay: %v %v", same, err)
			}
			for _, f := range []struct {
				b  *fanBrowser
				id uint64
			}{{a, ma.ID}, {b, mb.ID}} {
				body := f.b.do(http.MethodGet, fan.DrawsPath, nil).Body.String()
				want := "很遗憾，这次没有中奖"
				if f.id == winners[0] {
					want = "恭喜您中奖了！奖品：保温杯"
				}
				if !strings.Contains(body, want) || !strings.Contains(body, "已开奖") {
					t.Errorf("member %d's result, want %q:\n%s", f.id, want, body)
				}
			}
			if body := p.do(http.MethodGet, fan.DrawsPath, nil).Body.String(); strings.Contains(body, "中奖") {
				t.Errorf("a fan who did not enter sees a result:\n%s", body)
			}
			late := p.do(http.MethodPost, fmt.Sprintf("%s/%d", fan.DrawsPath, d.ID), pf)
			if late.Code != http.StatusConflict || !strings.Contains(late.Body.String(), "已经截止报名") {
				t.Errorf("entry after the draw: %d\n%s", late.Code, late.Body)
			}

			// The console: the list shows the draw done, and the winners are
			// told through the draw's notify path.
			list := c.doForm(http.MethodGet, "/console/draws", who{cookie: cookie}, nil)
			if !strings.Contains(list.Body.String(), "已开奖") || !strings.Contains(list.Body.String(), fmt.Sprintf(`id="lucky-record-%d"`, d.ID)) {
				t.Errorf("console draws page:\n%.4000s", list.Body)
			}
			notify := c.doForm(http.MethodPost, fmt.Sprintf("/console/draws/%d/notify", rec2.ID), who{cookie: cookie, csrf: csrf}, url.Values{"text": {"恭喜中奖！"}})
			notices, _ := s.DrawNotices(ctx, rec2.ID)
			if notify.Code != http.StatusOK || len(notices) != 1 || notices[0].MemberID != winners[0] {
				t.Errorf("notify: %d %+v", notify.Code, notices)
			}
		})
	}
}
