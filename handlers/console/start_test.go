package console_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestLandingAndGettingStarted: agents land on the inbox after login, the
// others on the members list; a new account (no rules, no members) gets a
// card pointing to 规则 and the 粉丝模拟器, which goes once a fan exists; a
// member's 关注渠道 names the channel, not its scene value.
func TestLandingAndGettingStarted(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s := modelstest.MustOpen(t, driver)
			a := newApp(t, s, true)
			a.staff("ann", models.RoleAdmin)
			a.staff("amy", models.RoleAgent)

			for user, home := range map[string]string{"ann": "/console/members", "amy": "/console/inbox"} {
				b := a.browser()
				r := b.tryLogin(user, password)
				if got := r.Header().Get("Location"); got != home {
					t.Fatalf("%s lands on %q, want %q", user, got, home)
				}
				if got := b.get("/console/").Header().Get("Location"); got != home {
					t.Fatalf("%s: /console/ goes to %q, want %q", user, got, home)
				}
			}
			b := a.browser().login("ann")
			expect(t, b.get("/console/members"), 200, `id="getting-started"`, `href="/console/rules" id="start-rules"`,
				`href="/console/simulator" id="start-simulator"`, "从这里开始")
			// The navigation groups pages by the five roles.
			expect(t, b.get("/console/members"), 200, `id="nav-service"`, `aria-label="贴身客服"`, `id="nav-care"`,
				`id="nav-consulting"`, `id="nav-client"`, `id="nav-center"`)

			ctx := context.Background()
			if _, err := s.CreateChannel(ctx, models.NewChannel{Name: "门店海报", Scene: "shopposter", Permanent: true}, "t", "http://weixin.qq.com/q/x", 0); err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "st1", OpenID: "oStartFan", MsgType: "event", Event: "subscribe",
				EventKey: "qrscene_shopposter", Subscribe: true, Scene: "shopposter"}); err != nil {
				t.Fatal(err)
			}
			r := b.get("/console/members")
			expect(t, r, 200, "门店海报")
			if strings.Contains(r.body(), `id="getting-started"`) {
				t.Fatal("the getting-started card stays once a fan exists")
			}
			expect(t, b.get("/console/members/oStartFan"), 200, `<dd id="member-channel"><span title="shopposter">门店海报</span></dd>`)
			// A filtered, empty list is not a new account.
			if r := b.get("/console/members?" + url.Values{"q": {"nobody"}}.Encode()); strings.Contains(r.body(), `id="getting-started"`) {
				t.Fatal("a search with no result shows the getting-started card")
			}
		})
	}
}

// TestBrowserGettingStarted shows the first page of a new account and the
// role-grouped navigation at desktop and phone width (screenshots with
// FIVEC_SCREENSHOTS), and follows the card to the simulator.
func TestBrowserGettingStarted(t *testing.T) {
	br := browsertest.New(t, 60*time.Second)
	s := modelstest.MustOpen(t, "sqlite")
	a := newApp(t, s, true)
	a.staff("ann", models.RoleAdmin)
	srv := httptest.NewServer(a.router)
	defer srv.Close()
	ctx := br.Tab()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	br.Do(ctx, "log in", chromedp.Navigate(srv.URL+"/console/login"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "ann"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#getting-started")))
	br.Shot(ctx, "start-1280")
	br.Do(ctx, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	br.Shot(ctx, "start-390")
	br.Do(ctx, "open the menu", chromedp.Click(css(".nav-burger")), chromedp.WaitVisible(css("#nav-center")))
	br.Until(ctx, "role headings in the narrow menu", `getComputedStyle(document.querySelector('#nav-client .nav-role')).display === 'block'`)
	br.Shot(ctx, "start-390-menu")
	br.Do(ctx, "desktop", chromedp.EmulateViewport(1280, 900))
	br.Do(ctx, "to the simulator", chromedp.Click(css("#start-simulator")), chromedp.WaitVisible(css("#new-fan")))
}
