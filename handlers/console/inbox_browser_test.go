package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestBrowserInbox runs the handoff in a real browser with two staff
// sessions (two browser contexts, so two sets of cookies): a fan asks for a
// person, the chat appears live in Amy's inbox, Amy claims it and answers
// with a canned reply, transfers it to Ben, whose inbox shows it live, and
// Ben resolves it; the fan gets the reply and the satisfaction question.
// FIVEC_SCREENSHOTS=<dir> keeps screenshots, desktop and phone-sized.
func TestBrowserInbox(t *testing.T) {
	br := browsertest.New(t, 120*time.Second, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	s := modelstest.MustOpen(t, "sqlite")
	d := newDesk(t, s)
	d.staff("root", models.RoleAdmin) // renaming staff needs an admin to remain
	amy := d.staff("amy", models.RoleAgent)
	ben := d.staff("ben", models.RoleAgent)
	ctx := context.Background()
	for _, u := range []struct {
		id   uint64
		name string
	}{{amy.ID, "Amy"}, {ben.ID, "Ben"}} {
		if _, err := s.UpdateStaff(ctx, u.id, models.StaffUpdate{DisplayName: ptr(u.name)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateCanned(ctx, amy.ID, models.NewCanned{Code: "hi", Title: "问候", Text: "您好，我是{{.Agent}}，请问有什么可以帮您？", Shared: true}); err != nil {
		t.Fatal(err)
	}

	a := br.Tab()
	shot := br.Shot
	do := br.Do
	until := br.Until
	waitPhone := func(openID, want string) {
		t.Helper()
		for range 100 {
			if strings.Contains(d.phone(openID), want) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("the fan never saw %q:\n%s", want, d.phone(openID))
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	login := func(ctx context.Context, user, page string) {
		t.Helper()
		do(ctx, "open "+page+" as "+user, chromedp.Navigate(d.srv.URL+page), chromedp.WaitVisible(css("#username")),
			chromedp.SendKeys(css("#username"), user), chromedp.SendKeys(css("#password"), password),
			chromedp.Click(css("#login")), chromedp.WaitVisible(css("#inbox-list")))
		// The stream's first event has arrived once the tab knows the count.
		until(ctx, user+"'s live inbox", `sessionStorage.getItem('fivec.waiting') !== null`)
	}

	login(a, "amy", "/console/inbox?filter=waiting")
	b := br.Session(a)
	login(b, "ben", "/console/inbox?filter=mine")

	// The fan follows from a poster and asks for a person.
	if _, err := platform.Follow(ctx, d.acct.AppID, "oBrowserChat", "poster"); err != nil {
		t.Fatal(err)
	}
	if _, err := platform.SendText(ctx, d.acct.AppID, "oBrowserChat", "人工"); err != nil {
		t.Fatal(err)
	}
	conv := d.escalated("oBrowserChat")
	link := fmt.Sprintf(`#conversations a[href="/console/inbox/%d"]`, conv.ID)
	until(a, "the chat appears in Amy's inbox", fmt.Sprintf(`document.querySelector('%s') !== null`, link))
	until(a, "the badge and title count it", `document.getElementById('inbox-badge').textContent === '1' && document.title.startsWith('(1)')`)
	shot(a, "inbox")

	do(a, "open the chat", chromedp.Click(css(link)), chromedp.WaitVisible(css("#claim")))
	do(a, "claim", chromedp.Click(css("#claim")), chromedp.WaitVisible(css("#reply-text")))
	do(a, "type /", chromedp.SendKeys(css("#reply-text"), "/h"), chromedp.WaitVisible(css(".canned-item")))
	shot(a, "canned-picker")
	do(a, "pick the canned reply", chromedp.Click(css(".canned-item")))
	if v, _ := chromedp.Run(a, chromedp.Value(css("#reply-text"))); v != "您好，我是Amy，请问有什么可以帮您？" {
		t.Fatalf("the reply box holds %q", v)
	}
	do(a, "send", chromedp.Click(css("#send")))
	until(a, "sent", `document.getElementById('reply-result').innerText.includes('已发送')`)
	waitPhone("oBrowserChat", "您好，我是Amy")
	until(a, "the reply shows in the history", `document.getElementById('conversation').innerText.includes('您好，我是Amy')`)
	if v, _ := chromedp.Run(a, chromedp.Value(css("#reply-text"))); v != "" {
		t.Fatalf("the reply box was not cleared: %q", v)
	}
	do(a, "note", chromedp.SendKeys(css(`#note-form textarea`), "要退款"), chromedp.Click(css("#add-note")))
	until(a, "the note shows", `document.getElementById('notes').innerText.includes('要退款')`)
	// Signed with the name colleagues know, not the login name.
	until(a, "the note's author", `document.querySelector('#notes .meta').innerText.startsWith('Amy ·')`)
	// A fan message arrives by itself.
	if _, err := platform.SendText(ctx, d.acct.AppID, "oBrowserChat", "订单 12345 要退款"); err != nil {
		t.Fatal(err)
	}
	until(a, "the fan's new message shows", `document.getElementById('conversation').innerText.includes('订单 12345')`)
	shot(a, "conversation")

	do(a, "transfer to Ben",
		chromedp.SetValue(css("#transfer-form select"), fmt.Sprint(ben.ID)),
		chromedp.SendKeys(css(`#transfer-form textarea`), "请处理退款"),
		chromedp.Click(css("#transfer")), chromedp.WaitVisible(css("#inbox-list")))
	until(b, "the chat appears in Ben's inbox", fmt.Sprintf(`document.querySelector('%s') !== null`, link))
	do(b, "Ben opens it", chromedp.Click(css(link)), chromedp.WaitVisible(css("#resolve")))
	text, _ := chromedp.Run(b, chromedp.Text(css("#notes")))
	if !strings.Contains(text, "转接给 Ben：请处理退款") {
		t.Fatalf("Ben's notes: %q", text)
	}
	do(b, "resolve", chromedp.Click(css("#resolve")), chromedp.WaitVisible(css("#pickup-again")))
	waitPhone("oBrowserChat", "请为本次服务打分")
	// The fan's rating shows on the conversation as it arrives.
	if _, err := platform.SendText(ctx, d.acct.AppID, "oBrowserChat", "5"); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		c, err := s.FindConversation(ctx, conv.ID)
		if err == nil && c.Satisfaction != nil {
			break
		}
		if i > 50 {
			t.Fatalf("never rated: %+v %v", c, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	until(b, "the rating shows", `(document.getElementById('conv-csat') || {}).innerText === '满意度 5/5'`)
	shot(b, "conversation-rated")

	if br.Shots() {
		do(b, "canned page", chromedp.Navigate(d.srv.URL+"/console/canned"), chromedp.WaitVisible(css("#canned")))
		shot(b, "canned")
		do(b, "metrics page", chromedp.Navigate(d.srv.URL+"/console/inbox/metrics"), chromedp.WaitVisible(css("#metrics-agents")))
		shot(b, "metrics")
		do(b, "resolved list", chromedp.Navigate(d.srv.URL+"/console/inbox?filter=resolved"), chromedp.WaitVisible(css("#conversations")))
		shot(b, "inbox-resolved")
		if _, err := s.UpdateStaff(ctx, ben.ID, models.StaffUpdate{Lang: ptr("en")}); err != nil {
			t.Fatal(err)
		}
		do(b, "english conversation", chromedp.Navigate(d.srv.URL+fmt.Sprintf("/console/inbox/%d", conv.ID)), chromedp.WaitVisible(css("#conversation")))
		shot(b, "en-conversation")
		do(b, "english inbox", chromedp.Navigate(d.srv.URL+"/console/inbox?filter=resolved"), chromedp.WaitVisible(css("#conversations")))
		shot(b, "en-inbox")
		do(a, "phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		do(a, "phone inbox", chromedp.Navigate(d.srv.URL+"/console/inbox?filter=resolved"), chromedp.WaitVisible(css("#conversations")))
		shot(a, "mobile-inbox")
		do(a, "phone conversation", chromedp.Navigate(d.srv.URL+fmt.Sprintf("/console/inbox/%d", conv.ID)), chromedp.WaitVisible(css("#conversation")))
		shot(a, "mobile-conversation")
		do(a, "phone canned", chromedp.Navigate(d.srv.URL+"/console/canned"), chromedp.WaitVisible(css("#canned")))
		shot(a, "mobile-canned")
		do(a, "phone metrics", chromedp.Navigate(d.srv.URL+"/console/inbox/metrics"), chromedp.WaitVisible(css("#metrics-agents")))
		shot(a, "mobile-metrics")
	}
}
