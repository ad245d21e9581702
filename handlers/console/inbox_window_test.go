package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestInboxWindowCardPerAction: the window card says what the fan's last
// action allows (a message: 5 in 48 h; a menu click, follow or scan: 3 in
// 1 minute, wechat-platform.md §2), and once the short window of a click
// has closed it says so (not "silent for 48 hours") and the reply box is
// disabled with the reason and the way out (a template message) before
// anything is sent.
func TestInboxWindowCardPerAction(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s)
		d.staff("ann", models.RoleAgent)
		a := d.browser().login("ann")
		open := func(openID string) string {
			t.Helper()
			m, err := s.FindMemberByOpenID(ctx, openID)
			if err != nil {
				t.Fatal(err)
			}
			conv, _, err := s.Escalate(ctx, m.ID, openID, "test")
			if err != nil {
				t.Fatal(err)
			}
			path := "/console/inbox/" + id(conv)
			if conv.State == models.ConvWaiting {
				expect(t, a.submit(path, path+"/claim", nil), 303)
			}
			return path
		}
		notClosed := func(path string) {
			t.Helper()
			body := a.get(path).Body.String()
			if strings.Contains(body, `id="reply-closed"`) || strings.Contains(body, `id="send" disabled`) {
				t.Fatalf("%s: the reply box is disabled while the window is open", path)
			}
		}

		// A text: 5 messages within 48 hours.
		d.fan("oWinText", "你好")
		p := open("oWinText")
		expect(t, a.get(p), 200, "粉丝 刚刚发来了消息：48 小时内可回复 5 条", "可发送")
		notClosed(p)

		// A follow: 3 messages within 1 minute.
		if _, err := platform.Follow(ctx, d.acct.AppID, "oWinFollow", ""); err != nil {
			t.Fatal(err)
		}
		p = open("oWinFollow")
		expect(t, a.get(p), 200, "粉丝 刚刚关注了公众号：1 分钟内可回复 3 条", "可发送")
		notClosed(p)

		// A menu click (by a fan who followed earlier): 3 within 1 minute.
		if _, err := platform.Follow(ctx, d.acct.AppID, "oWinClick", ""); err != nil {
			t.Fatal(err)
		}
		d.advance(10 * time.Minute)
		if _, err := platform.Click(ctx, d.acct.AppID, "oWinClick", "MENU_HELP"); err != nil {
			t.Fatal(err)
		}
		p = open("oWinClick")
		expect(t, a.get(p), 200, "粉丝 刚刚点击了菜单：1 分钟内可回复 3 条", "可发送")
		notClosed(p)

		// Three minutes after the click the window is closed: the card says
		// why, the reply box is disabled with the reason and what to do.
		d.advance(3 * time.Minute)
		r := a.get(p)
		expect(t, r, 200, "粉丝 3 分钟前点击了菜单：1 分钟内可回复 3 条", "不可发送",
			"粉丝关注、扫码或点击菜单后只能在 1 分钟内回复，这个窗口已关闭", `id="reply-closed"`, "请等粉丝再发消息后回复",
			`id="send" disabled`)
		body := r.body()
		if strings.Contains(body, "请改发模板消息") {
			t.Fatal("with no service template set, the page still tells the agent to send one")
		}
		if strings.Contains(body, "48 小时内没有发过消息") {
			t.Fatal("a fan who clicked 3 minutes ago is called silent for 48 hours")
		}
		if !strings.Contains(body, `data-typing="/console/inbox/`) || !strings.Contains(body, `disabled aria-describedby="reply-closed"`) {
			t.Fatal("the reply text box is not disabled")
		}
	})
}
