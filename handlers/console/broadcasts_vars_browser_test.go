package console_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// TestBrowserBroadcastVariables, in Chromium (zh-CN) at 1280 and 390 px:
// typing {{.Name}} into a broadcast to all fans (a mass send) shows the
// warning at once, and saving is refused with the message; switched to
// direct, the note says the variables are filled in per fan, the draft is
// saved, and its preview reaches the simulated fan with their own name. A
// mass broadcast stored with {{.Name}} before the check shows why it will
// not go out on its page.
func TestBrowserBroadcastVariables(t *testing.T) {
	br := browsertest.New(t, 120*time.Second)
	driver, dsn := modelstest.DSN(t, "sqlite")
	s, err := models.Open(context.Background(), driver, dsn, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	appID := "wxbcvar" + models.RandomToken(6)
	acct := fake.Account{AppID: appID, AppSecret: "secret-" + appID, Token: "tok" + appID, Verified: true}
	wx := wechat.NewClient(wechat.Account{AppID: acct.AppID, AppSecret: acct.AppSecret, Token: acct.Token}, wechat.NewMemoryCache(nil))
	pol := models.BroadcastPolicy{Loc: time.UTC, AccountType: models.AccountService}
	cb := &callback.Handler{Store: s, WX: wx, Sender: &wechat.Sender{Store: s, WX: wx, Log: log}, Deadline: 3 * time.Second, Log: log,
		Metrics: metrics.New(), Pipeline: &roles.Pipeline{Roles: []roles.Role{&roles.Center{Store: s, Log: log}}, Log: log}}
	con := &console.Handler{Store: s, Log: log, Loc: time.UTC, Now: time.Now, Sim: platformSim{appID}, WX: wx, Mass: wechat.NewMass(wx, 6000), Policy: pol}
	srv := &handlers.Server{Store: s, Callback: cb, Console: con, API: &api.Handler{Store: s, Log: log}, Metrics: metrics.New(), Log: log}
	web := httptest.NewServer(srv.Router())
	t.Cleanup(func() { cb.Wait(); web.Close() })
	acct.CallbackURL = web.URL + "/wechat"
	platform.AddAccount(acct)
	ctx0 := context.Background()
	if _, err := platform.Follow(ctx0, appID, "oZhang", ""); err != nil {
		t.Fatal(err)
	}
	m, err := s.FindMemberByOpenID(ctx0, "oZhang")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveProfile(ctx0, m.ID, models.ProfileInput{Name: "张三", Consent: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Earn(ctx0, m.ID, 120, "test", "测试", "bv", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateStaff(ctx0, models.NewStaff{Username: "mia", Password: password, Role: models.RoleMarketer}); err != nil {
		t.Fatal(err)
	}

	ctx := br.Tab()
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		br.Do(ctx, step, actions...)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	shown := func(sel string) string {
		return fmt.Sprintf(`(document.querySelector('%s') || {}).offsetParent != null`, sel)
	}
	do("log in", chromedp.Navigate(web.URL+"/console/broadcasts/new"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "mia"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#bc-form")))
	for _, w := range []int64{1280, 390} {
		do(fmt.Sprint("compose at ", w), chromedp.EmulateViewport(w, 900), chromedp.Navigate(web.URL+"/console/broadcasts/new"),
			chromedp.WaitVisible(css("#bc-form")), chromedp.SendKeys(css("#bc-name"), "会员日"))
		br.Until(ctx, "no warning before a variable", `document.querySelector('#bc-vars-warn').hidden`)
		// Everyone, automatic channel: a mass send.
		do("type a variable", chromedp.SendKeys(css("#bc-text"), "{{.Name}}您好，会员日全场八折"))
		br.Until(ctx, "live warning", shown("#bc-vars-warn")+` && document.querySelector('#bc-vars-warn').innerText.includes('无法为每位粉丝填入')`)
		br.Shot(ctx, fmt.Sprintf("broadcast-vars-warning-%d", w))
		do("save", chromedp.Click(css("#bc-save")), chromedp.WaitVisible(css("#bc-error")))
		br.Until(ctx, "refused with the message", `document.querySelector('#bc-error').innerText.includes('`+models.ErrMassVariables+`') && document.querySelector('#bc-error').innerText.includes('请删除变量')`)
		br.Until(ctx, "text kept", `document.querySelector('#bc-text').value === '{{.Name}}您好，会员日全场八折'`)
		br.Shot(ctx, fmt.Sprintf("broadcast-vars-refused-%d", w))
		if list, _ := s.ListBroadcasts(ctx0, 10); len(list) != 0 {
			t.Fatalf("a refused broadcast was saved: %+v", list)
		}
	}
	// Direct: each fan gets their own message.
	do("direct", chromedp.SetValue(css("#bc-channel"), "direct"))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#bc-channel').dispatchEvent(new Event('change', {bubbles: true}))`)); err != nil {
		t.Fatal(err)
	}
	br.Until(ctx, "per-fan note", shown("#bc-vars-hint")+` && document.querySelector('#bc-vars-warn').hidden`)
	br.Shot(ctx, "broadcast-vars-direct-390")
	do("save direct", chromedp.EmulateViewport(1280, 900), chromedp.Click(css("#bc-save")), chromedp.WaitVisible(css("#bc-plan")))
	do("preview", chromedp.SendKeys(css("#preview-to"), "oZhang"), chromedp.Click(css("#preview-send")), chromedp.WaitVisible(css("#preview-results")))
	br.Until(ctx, "preview sent", `document.querySelector('#preview-results').innerText.includes('预览已发送')`)
	do("the fan's phone", chromedp.Navigate(web.URL+"/console/simulator?openid=oZhang"), chromedp.WaitVisible(css("#inbox")))
	br.Until(ctx, "rendered with the fan's name", `document.querySelector('#inbox').innerText.includes('张三您好，会员日全场八折') && !document.querySelector('#inbox').innerText.includes('{{')`)
	for _, w := range []int64{1280, 390} {
		do("width", chromedp.EmulateViewport(w, 900))
		br.Shot(ctx, fmt.Sprintf("broadcast-vars-phone-%d", w))
	}

	// As stored before the check: the same broadcast as a mass send.
	list, _ := s.ListBroadcasts(ctx0, 10)
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE broadcasts SET channel = 'mass' WHERE id = ?", list[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, w := range []int64{1280, 390} {
		do("old mass broadcast", chromedp.EmulateViewport(w, 900), chromedp.Navigate(web.URL+fmt.Sprintf("/console/broadcasts/%d", list[0].ID)),
			chromedp.WaitVisible(css("#bc-content")))
		br.Until(ctx, "warning on its page", shown("#bc-vars-warn")+` && document.querySelector('#bc-vars-warn').innerText.includes('这条群发按现在的内容不会发出')`)
		br.Shot(ctx, fmt.Sprintf("broadcast-vars-old-%d", w))
	}
}
