package console_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// platformSim is the console's Simulator over the package's fake platform
// for one account, as cmd/fivec wires the sandbox.
type platformSim struct{ appID string }

func (p platformSim) Follow(ctx context.Context, openID, scene string) error {
	_, err := platform.Follow(ctx, p.appID, openID, scene)
	return err
}

func (p platformSim) Unfollow(ctx context.Context, openID string) error {
	return platform.Unfollow(ctx, p.appID, openID)
}

func (p platformSim) SendText(ctx context.Context, openID, text string) error {
	_, err := platform.SendText(ctx, p.appID, openID, text)
	return err
}

func (p platformSim) Click(ctx context.Context, openID, key string) error {
	_, err := platform.Click(ctx, p.appID, openID, key)
	return err
}

func (p platformSim) Inbox(openID string) []console.SimMessage {
	var out []console.SimMessage
	for _, d := range platform.Inbox(p.appID, openID) {
		out = append(out, console.SimMessage{At: d.Time, FromFan: d.Direction == fake.DirIn, Kind: d.Kind, Source: d.Source, Text: d.Text})
	}
	return out
}

func (p platformSim) Fans() []console.SimFan {
	var out []console.SimFan
	for _, f := range platform.Fans(p.appID) {
		out = append(out, console.SimFan{OpenID: f.OpenID, Subscribed: f.Subscribed, BlocksTemplates: f.BlocksTemplates})
	}
	return out
}

// TestBrowserSandboxSignIn plays a fan in the sandbox simulator who follows
// and replies 签到, through the real callback and the Client role, then
// finds the points, the ledger entry and the level it earned on the
// member's page.
func TestBrowserSandboxSignIn(t *testing.T) {
	br := browsertest.New(t, 90*time.Second)
	sb := newSandbox(t, "wxsignin")
	appID := sb.appID
	client := &roles.Client{Store: sb.store, Log: sb.log, Loc: sb.loc, Now: time.Now, Rules: roles.DefaultClientRules}
	web := sb.serve(&console.Handler{}, client)
	sb.staff("ann", models.RoleAdmin)

	ctx := br.Tab()
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		br.Do(ctx, step, actions...)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do("log in", chromedp.Navigate(web.URL+"/console/simulator"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "ann"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#new-fan")))
	do("new fan", chromedp.Click(css("#new-fan button")), chromedp.WaitVisible(css("#follow")))
	do("follow", chromedp.Click(css("#follow")), chromedp.WaitVisible(css("#unfollow")))
	do("sign in", chromedp.SendKeys(css("#sim-text"), "签到"), chromedp.Click(css("#send")))
	br.Until(ctx, "the reply on the phone", `document.querySelector('#inbox').innerText.includes('签到成功')`)
	br.Shot(ctx, "crm-sandbox-signin")

	fans := platform.Fans(appID)
	if len(fans) != 1 {
		t.Fatalf("fans %+v", fans)
	}
	openID := fans[0].OpenID
	do("member page", chromedp.Navigate(web.URL+"/console/members/"+openID), chromedp.WaitVisible(css("#ledger")))
	want := strconv.FormatInt(roles.DefaultClientRules.SignIn.Base, 10)
	br.Until(ctx, "balance", `document.querySelector('#points-balance').innerText.trim() === '`+want+`'`)
	br.Until(ctx, "ledger entry", `document.querySelector('#ledger').innerText.includes('签到 ')`)
	br.Until(ctx, "level", `document.querySelector('#member-level').innerText.includes('参与者')`)
	br.Until(ctx, "history", `document.querySelector('#history').innerText.includes('每日签到')`)
	br.Until(ctx, "conversation", `document.querySelector('#conversation').innerText.includes('签到成功')`)
	br.Shot(ctx, "crm-sandbox-member")
}
