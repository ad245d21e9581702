package console_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestBrowserSimulator logs in with a real browser, opens the members list
// and the simulator, sends a message and waits for it (and the fake's
// answer) on the phone. Set FIVEC_SCREENSHOTS=<dir> to keep screenshots of
// the pages, desktop and phone-sized.
func TestBrowserSimulator(t *testing.T) {
	br := browsertest.New(t, 60*time.Second)
	s := modelstest.MustOpen(t, "sqlite")
	a := newApp(t, s, true)
	a.staff("ann", models.RoleAdmin)
	seedConversation(t, s)
	srv := httptest.NewServer(a.router)
	defer srv.Close()

	ctx := br.Tab()
	shot := func(name string) { br.Shot(ctx, name) }
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		br.Do(ctx, step, actions...)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	do("open login", chromedp.Navigate(srv.URL+"/console/members"), chromedp.WaitVisible(css("#username")))
	shot("login")
	do("log in",
		chromedp.SendKeys(css("#username"), "ann"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("table#members")))
	text, err := chromedp.Run(ctx, chromedp.Text(css("table#members")))
	if err != nil || !strings.Contains(text, "oBrowserFan") {
		t.Fatalf("members table: %q %v", text, err)
	}
	shot("members")
	do("open member", chromedp.Click(css(`a[href="/console/members/oBrowserFan"]`)), chromedp.WaitVisible(css("#conversation")))
	shot("member")

	do("open simulator", chromedp.Navigate(srv.URL+"/console/simulator"), chromedp.WaitVisible(css("#new-fan")))
	do("new fan", chromedp.Click(css("#new-fan button")), chromedp.WaitVisible(css("#follow")))
	do("follow", chromedp.SendKeys(css(`#follow-form input[name="scene"]`), "poster"),
		chromedp.Click(css("#follow")), chromedp.WaitVisible(css("#unfollow")))
	do("send text", chromedp.SendKeys(css("#sim-text"), "你好，浏览器"), chromedp.Click(css("#send")))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`document.querySelector('#inbox').innerText.includes('收到：你好，浏览器')`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the phone never showed the answer: %v", err)
	}
	// The composer is cleared for the next message.
	if v, _ := chromedp.Run(ctx, chromedp.Value(css("#sim-text"))); v != "" {
		t.Fatalf("composer still holds %q", v)
	}
	// A message that arrives later (a customer-service push) shows up by polling.
	a.sim.Click(context.Background(), a.sim.Fans()[0].OpenID, "LATE")
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`document.querySelector('#inbox').innerText.includes('菜单 LATE')`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("polling never showed the pushed message: %v", err)
	}
	shot("simulator")

	// The account menu holds staff admin, audit, API tokens, language and
	// log out, closed until its summary is clicked.
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#account').open`)); v {
		t.Fatal("the account menu starts open")
	}
	do("open account menu", chromedp.Click(css("#account summary")), chromedp.WaitVisible(css(`#account a[href="/console/staff"]`)))
	shot("account-menu")
	do("staff from the menu", chromedp.Click(css(`#account a[href="/console/staff"]`)), chromedp.WaitVisible(css("table#staff")))
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#account summary').classList.contains('active')`)); !v {
		t.Fatal("on the staff page the account menu is not marked active")
	}
	do("english", chromedp.Click(css("#account summary")), chromedp.Click(css(`#account button[name="lang"]`)),
		chromedp.WaitReady(css(`#account button[value="zh"]`)))
	if v, _ := chromedp.Run(ctx, chromedp.Text(css(".nav"))); !strings.Contains(v, "Members") {
		t.Fatalf("nav after switching to English: %q", v)
	}
	shot("english")
	do("chinese again", chromedp.Click(css("#account summary")), chromedp.Click(css(`#account button[name="lang"]`)),
		chromedp.WaitReady(css(`#account button[value="en"]`)))

	if br.Shots() {
		for _, p := range []string{"staff", "audit", "tokens"} {
			do("open "+p, chromedp.Navigate(srv.URL+"/console/"+p), chromedp.WaitVisible(css("main")))
			shot(p)
		}
		do("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
			chromedp.Navigate(srv.URL+"/console/members"), chromedp.WaitVisible(css("table#members")))
		shot("mobile-members")
		do("phone menu", chromedp.Click(css(".nav-burger")), chromedp.WaitVisible(css(".nav")))
		shot("mobile-menu")
		do("phone staff", chromedp.Navigate(srv.URL+"/console/staff"), chromedp.WaitVisible(css("table#staff")))
		shot("mobile-staff")
		do("phone simulator", chromedp.Navigate(srv.URL+"/console/simulator?openid="+a.sim.Fans()[0].OpenID),
			chromedp.WaitVisible(css("#inbox")))
		shot("mobile-simulator")
		do("desktop size", chromedp.EmulateViewport(1280, 900))
	}
	do("log out", chromedp.Navigate(srv.URL+"/console/members"), chromedp.Click(css("#account summary")),
		chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#username")))
}

// seedConversation gives the members list and member page something to show.
func seedConversation(t *testing.T, s *models.Store) {
	ctx := context.Background()
	for i, in := range []models.Inbound{
		{DedupeKey: "b0", OpenID: "oBrowserFan", MsgType: "event", Event: "subscribe", EventKey: "qrscene_poster", Subscribe: true, Scene: "poster"},
		{DedupeKey: "b1", OpenID: "oBrowserFan", UnionID: "uBrowser", MsgType: "text", Content: "请问营业时间？"},
		{DedupeKey: "b2", OpenID: "oOtherFan", MsgType: "text", Content: "hi"},
	} {
		msg, _, _, err := s.RecordInbound(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		reply := []models.Reply{models.TextReply("感谢关注！回复任意问题，我们会尽快为您解答。")}
		if i == 1 {
			reply = []models.Reply{models.TextReply("每天 9:00–21:00 营业。")}
		}
		if err := s.FinishInbound(ctx, msg.ID, models.Answer{State: models.StateReplied, Replies: reply}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.LogOutbound(ctx, models.Outbound{OpenID: "oBrowserFan", Channel: models.ChannelCustom,
		Reply: models.TextReply("本周末全场八折，欢迎光临！")}); err != nil {
		t.Fatal(err)
	}
}
