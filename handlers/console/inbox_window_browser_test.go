package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestBrowserInboxClosedWindow: in a real browser, an agent holding the chat
// of a fan who clicked a menu sees the card say what the click allows;
// three minutes later (the click's 1-minute window closed) the reply box
// and the send button are disabled and the reason and the template-message
// way out are shown, so nothing can be sent that WeChat would refuse.
func TestBrowserInboxClosedWindow(t *testing.T) {
	br := browsertest.New(t, 90*time.Second)
	s := modelstest.MustOpen(t, "sqlite")
	d := newDesk(t, s)
	d.staff("amy", models.RoleAgent)
	ctx := context.Background()
	if _, err := platform.Follow(ctx, d.acct.AppID, "oBrowserClick", ""); err != nil {
		t.Fatal(err)
	}
	d.advance(10 * time.Minute)
	if _, err := platform.Click(ctx, d.acct.AppID, "oBrowserClick", "MENU_HELP"); err != nil {
		t.Fatal(err)
	}
	m, err := s.FindMemberByOpenID(ctx, "oBrowserClick")
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := s.Escalate(ctx, m.ID, "oBrowserClick", "test")
	if err != nil {
		t.Fatal(err)
	}
	page := d.srv.URL + "/console/inbox/" + id(conv)
	a := br.Tab()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	br.Do(a, "log in", chromedp.Navigate(d.srv.URL+"/console/inbox"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "amy"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#inbox-list")))
	br.Do(a, "claim", chromedp.Navigate(page), chromedp.WaitVisible(css("#claim")), chromedp.Click(css("#claim")),
		chromedp.WaitVisible(css("#reply-form")))
	card, _ := chromedp.Run(a, chromedp.Text(css("#conv-window")))
	if !strings.Contains(card, "点击了菜单：1 分钟内可回复 3 条") {
		t.Fatalf("open card: %q", card)
	}
	br.Until(a, "the box is enabled", `!document.querySelector('#send').disabled && !document.querySelector('#reply-text').disabled`)

	d.advance(3 * time.Minute)
	br.Do(a, "reload", chromedp.Navigate(page), chromedp.WaitVisible(css("#reply-form")))
	br.Until(a, "the box is disabled", `document.querySelector('#send').disabled && document.querySelector('#reply-text').disabled`)
	why, _ := chromedp.Run(a, chromedp.Text(css("#reply-closed")))
	card, _ = chromedp.Run(a, chromedp.Text(css("#conv-window")))
	if !strings.Contains(why, "1 分钟内回复，这个窗口已关闭") || !strings.Contains(why, "请等粉丝再发消息后回复") {
		t.Fatalf("reason under the box: %q", why)
	}
	if !strings.Contains(card, "粉丝 3 分钟前点击了菜单") || !strings.Contains(card, "不可发送") {
		t.Fatalf("closed card: %q", card)
	}
}
