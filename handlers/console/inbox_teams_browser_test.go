package console_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
)

// TestBrowserTeamQueues: two agents in two teams each open 排队中 in a real
// browser (zh-CN, 1280 and 390 px wide) and see their team's queue with
// its badge and the general queue, never the other team's chat.
// FIVEC_SCREENSHOTS=<dir> keeps the screenshots.
func TestBrowserTeamQueues(t *testing.T) {
	br := browsertest.New(t, 90*time.Second)
	s := modelstest.MustOpen(t, "sqlite")
	d := newDesk(t, s, func(svc *roles.Service) { svc.Keywords = []string{"人工", "客服", "转人工"} })
	ann := d.staff("ann", models.RoleAgent)
	bob := d.staff("bob", models.RoleAgent)
	ctx := context.Background()
	vip, err := s.CreateTeam(ctx, "VIP客户", 10)
	if err != nil {
		t.Fatal(err)
	}
	after, err := s.CreateTeam(ctx, "售后", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		s.SetTeamMembers(ctx, vip.ID, []uint64{ann.ID}),
		s.SetTeamMembers(ctx, after.ID, []uint64{bob.ID}),
		s.SetTeamRoutes(ctx, vip.ID, []models.TeamRoute{{Kind: models.RouteKeyword, Value: "客服"}}),
		s.SetTeamRoutes(ctx, after.ID, []models.TeamRoute{{Kind: models.RouteKeyword, Value: "转人工"}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	d.fan("oFanVip", "客服")
	d.fan("oFanAfter", "转人工")
	d.fan("oFanAny", "人工")

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	a := br.Tab()
	for i, u := range []struct {
		ctx        context.Context
		user, team string
		sees, not  string
	}{{a, "ann", "VIP客户", "oFanVip", "oFanAfter"}, {nil, "bob", "售后", "oFanAfter", "oFanVip"}} {
		if i > 0 {
			u.ctx = br.Session(a) // a second set of cookies, once the browser runs
		}
		br.Do(u.ctx, "open the queue as "+u.user, chromedp.EmulateViewport(1280, 900),
			chromedp.Navigate(d.srv.URL+"/console/inbox?filter=waiting"), chromedp.WaitVisible(css("#username")),
			chromedp.SendKeys(css("#username"), u.user), chromedp.SendKeys(css("#password"), password),
			chromedp.Click(css("#login")), chromedp.WaitVisible(css("#inbox-list")))
		br.Until(u.ctx, u.user+" sees the team's chat and the general one",
			`document.querySelector('#conversations').textContent.includes('`+u.sees+`') && document.querySelector('#conversations').textContent.includes('oFanAny')`)
		br.Until(u.ctx, u.user+"'s 排队中 counts 2", `[...document.querySelectorAll('a, span')].some(e => /排队中\s*2$/.test(e.textContent.trim()))`)
		br.Until(u.ctx, u.user+" sees the team badge", `[...document.querySelectorAll('#conversations .badge.team')].some(e => e.textContent === '`+u.team+`')`)
		br.Until(u.ctx, u.user+" does not see the other team's chat", `!document.querySelector('#conversations').textContent.includes('`+u.not+`')`)
		br.Shot(u.ctx, "teams-"+u.user+"-1280")
		br.Do(u.ctx, "phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(css("#conversations")))
		br.Shot(u.ctx, "teams-"+u.user+"-390")
	}
}
