package fake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/customerservice"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

func TestMessageWindow(t *testing.T) {
	t.Parallel()
	const app = "wx-custom-48h"
	// No CallbackURL: no server needed. A year-long token keeps the SDK's
	// cached token valid across the clock jumps.
	s, clk := newFake(t, Options{TokenTTL: 365 * 24 * time.Hour}, Account{AppID: app})
	ctx := context.Background()
	if err := s.SeedFan(app, Fan{OpenID: "fan", Subscribed: true}); err != nil {
		t.Fatal(err)
	}
	cs := sdk(t, s, app).GetCustomerMessageManager()
	send := func(text string) error { return cs.Send(message.NewCustomerTextMessage("fan", text)) }

	// A follower who never wrote has no window.
	wantErrCode(t, send("hello?"), 45015)

	if _, err := s.SendText(ctx, app, "fan", "hi"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if err := send("reply"); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	wantErrCode(t, send("sixth"), 45047)
	if f := s.Fans(app)[0]; f.MessageWindowLeft != 0 || f.MessageWindowEnds.IsZero() {
		t.Fatalf("window after 5 sends: %+v", f)
	}

	// A new message from the fan opens a fresh window with a fresh quota.
	clk.Advance(47 * time.Hour)
	if _, err := s.SendText(ctx, app, "fan", "still there?"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if err := send("again"); err != nil {
			t.Fatalf("send %d after reset: %v", i, err)
		}
	}
	wantErrCode(t, send("too many"), 45047)
	if got := len(outbox(s, app, "fan", SourceCustom)); got != 10 {
		t.Fatalf("custom messages in inbox: %d, want 10", got)
	}

	// 48 h after the last message the window is closed.
	if _, err := s.SendText(ctx, app, "fan", "last"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(48 * time.Hour)
	wantErrCode(t, send("late"), 45015)

	// Unfollowing closes every window at once.
	if _, err := s.SendText(ctx, app, "fan", "bye"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unfollow(ctx, app, "fan"); err != nil {
		t.Fatal(err)
	}
	wantErrCode(t, send("come back"), 45015)
	if _, err := s.SendText(ctx, app, "fan", "ghost"); !errors.Is(err, ErrNotFollowing) {
		t.Fatalf("message from an unfollowed fan: %v", err)
	}
	wantErrCode(t, cs.Send(message.NewCustomerTextMessage("stranger", "x")), 45015)
}

func TestEventWindow(t *testing.T) {
	t.Parallel()
	const app = "wx-custom-event"
	s, clk := newFake(t, Options{}, Account{AppID: app})
	ctx := context.Background()
	cs := sdk(t, s, app).GetCustomerMessageManager()
	send := func() error { return cs.Send(message.NewCustomerTextMessage("fan", "welcome")) }

	if _, err := s.Follow(ctx, app, "fan", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Follow(ctx, app, "fan", ""); !errors.Is(err, ErrAlreadyFollowing) {
		t.Fatalf("second follow: %v", err)
	}
	for i := 1; i <= 3; i++ {
		if err := send(); err != nil {
			t.Fatalf("send %d after follow: %v", i, err)
		}
	}
	wantErrCode(t, send(), 45047)
	clk.Advance(time.Minute)
	wantErrCode(t, send(), 45015)

	// A menu click opens another 1-minute window.
	if _, err := s.Click(ctx, app, "fan", "MENU_HELP"); err != nil {
		t.Fatal(err)
	}
	if err := send(); err != nil {
		t.Fatalf("send after click: %v", err)
	}
	// With both windows open, each send uses the one with most left (ties:
	// the one open longest): 5+2 → 4+2 → 3+2 → 2+2 → 1+2 → 1+1.
	if _, err := s.SendText(ctx, app, "fan", "question"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := send(); err != nil {
			t.Fatalf("send %d with both windows: %v", i, err)
		}
	}
	f := s.Fans(app)[0]
	if f.MessageWindowLeft != 1 || f.EventWindowLeft != 1 {
		t.Fatalf("windows: message left %d, event left %d; want 1 and 1", f.MessageWindowLeft, f.EventWindowLeft)
	}
	for i := 0; i < 2; i++ {
		if err := send(); err != nil {
			t.Fatalf("last sends: %v", err)
		}
	}
	wantErrCode(t, send(), 45047)
}

func TestCustomContentRules(t *testing.T) {
	t.Parallel()
	const app = "wx-custom-content"
	s, _ := newFake(t, Options{}, Account{AppID: app})
	if _, err := s.Follow(context.Background(), app, "fan", ""); err != nil {
		t.Fatal(err)
	}
	cs := sdk(t, s, app).GetCustomerMessageManager()

	long := strings.Repeat("字", 683) // 2049 bytes
	wantErrCode(t, cs.Send(message.NewCustomerTextMessage("fan", long)), 45002)
	two := &message.CustomerMessage{ToUser: "fan", Msgtype: message.MsgTypeNews, News: &message.MediaNews{
		Articles: []message.MediaArticles{{Title: "a"}, {Title: "b"}}}}
	wantErrCode(t, cs.Send(two), 45008)
	one := &message.CustomerMessage{ToUser: "fan", Msgtype: message.MsgTypeNews, News: &message.MediaNews{
		Articles: []message.MediaArticles{{Title: "Spring offer", URL: "https://example.com/a"}}}}
	if err := cs.Send(one); err != nil {
		t.Fatal(err)
	}
	got := outbox(s, app, "fan", SourceCustom)
	if len(got) != 1 || got[0].Kind != "news" || got[0].Articles[0].Title != "Spring offer" {
		t.Fatalf("inbox: %+v", got)
	}
	tok := fetchToken(t, s, app)
	wantCode(t, post(t, "/cgi-bin/message/custom/send", tok, `{"touser":"fan","msgtype":"text"`), 47001)
	wantCode(t, post(t, "/cgi-bin/message/custom/send", tok, map[string]any{"touser": "fan", "msgtype": "hologram"}), 40008)
	wantCode(t, post(t, "/cgi-bin/message/custom/send", tok, ""), 44002)
}

func TestTyping(t *testing.T) {
	t.Parallel()
	const app = "wx-custom-typing"
	s, clk := newFake(t, Options{}, Account{AppID: app})
	if _, err := s.SendText(context.Background(), app, "fan", "x"); !errors.Is(err, ErrNotFollowing) {
		t.Fatalf("message before follow: %v", err)
	}
	if _, err := s.Follow(context.Background(), app, "fan", ""); err != nil {
		t.Fatal(err)
	}
	csm := sdk(t, s, app).GetCustomerServiceManager()
	if err := csm.SendTypingStatus("fan", customerservice.Typing); err != nil {
		t.Fatalf("typing right after follow: %v", err)
	}
	if until := s.Fans(app)[0].TypingUntil; !until.Equal(clk.Now().Add(15 * time.Second)) {
		t.Fatalf("TypingUntil = %v", until)
	}
	clk.Advance(31 * time.Second)
	err := csm.SendTypingStatus("fan", customerservice.Typing)
	if err == nil || !strings.Contains(err.Error(), "45015") {
		t.Fatalf("typing 31 s later: %v, want 45015", err)
	}
}

func TestTemplateSend(t *testing.T) {
	t.Parallel()
	const app, plain = "wx-template", "wx-template-unverified"
	s, _ := newFake(t, Options{DisableJobEvents: true}, Account{AppID: app, Verified: true}, Account{AppID: plain})
	ctx := context.Background()
	for _, id := range []string{"fan", "gone"} {
		if _, err := s.Follow(ctx, app, id, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Unfollow(ctx, app, "gone"); err != nil {
		t.Fatal(err)
	}
	tpl := sdk(t, s, app).GetTemplate()
	msg := func(to, id string) *message.TemplateMessage {
		return &message.TemplateMessage{ToUser: to, TemplateID: id, URL: "https://example.com/order/1",
			Data: map[string]*message.TemplateDataItem{
				"first":        {Value: "not shown"},
				"thing1":       {Value: "订单已发货"},
				"time2":        {Value: "2030-03-04 10:00"},
				"remark":       {Value: "not shown either"},
				"phrase3":      {Value: "已发货"},
				"amount4":      {Value: "¥12.00"},
				"character_s5": {Value: "x"},
			}}
	}
	_, err := tpl.Send(msg("gone", "TPL1"))
	wantErrCode(t, err, 43004)
	_, err = tpl.Send(msg("nobody", "TPL1"))
	wantErrCode(t, err, 40003)
	_, err = tpl.Send(msg("fan", ""))
	wantErrCode(t, err, 40037)
	tooLong := msg("fan", "TPL1")
	tooLong.Data["thing1"] = &message.TemplateDataItem{Value: strings.Repeat("长", 21)}
	_, err = tpl.Send(tooLong)
	wantErrCode(t, err, 47003)

	id, err := tpl.Send(msg("fan", "TPL1"))
	if err != nil || id == 0 {
		t.Fatalf("send: id %d, err %v", id, err)
	}
	got := outbox(s, app, "fan", SourceTemplate)
	if len(got) != 1 {
		t.Fatalf("template deliveries: %+v", got)
	}
	d := got[0]
	if d.MsgID != id || d.TemplateID != "TPL1" || d.TemplateData["thing1"] != "订单已发货" {
		t.Fatalf("delivery: %+v", d)
	}
	if _, shown := d.TemplateData["first"]; shown {
		t.Fatal("first is no longer shown to fans")
	}

	_, err = sdk(t, s, plain).GetTemplate().Send(msg("fan", "TPL1"))
	wantErrCode(t, err, 48001)
}

// TestTemplateBlockedByFan: a fan who turned the account's template
// messages off (BlockTemplates) does not get them; the send is still
// accepted with a msgid, and TEMPLATESENDJOBFINISH reports
// "failed:user block" for it ("success" once the fan turns them on again).
func TestTemplateBlockedByFan(t *testing.T) {
	t.Parallel()
	const app = "wx-template-block"
	events := make(chan *message.MixMessage, 4)
	acct := Account{AppID: app, Token: "t", Verified: true}
	cs := newCallbackServer(t, acct, func(m *message.MixMessage) *message.Reply {
		if m.Event == message.EventTemplateSendJobFinish {
			events <- m
		}
		return nil
	})
	acct.CallbackURL = cs.URL
	s, _ := newFake(t, Options{}, acct)
	if err := s.SeedFan(app, Fan{OpenID: "fan", Subscribed: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.BlockTemplates(app, "nobody", true); err == nil {
		t.Fatal("blocking for an unknown fan: no error")
	}
	if err := s.BlockTemplates(app, "fan", true); err != nil {
		t.Fatal(err)
	}
	if !s.Fans(app)[0].BlocksTemplates {
		t.Fatal("the fan's choice is not in the snapshot")
	}
	tpl := sdk(t, s, app).GetTemplate()
	send := func() int64 {
		t.Helper()
		id, err := tpl.Send(&message.TemplateMessage{ToUser: "fan", TemplateID: "TPL",
			Data: map[string]*message.TemplateDataItem{"thing1": {Value: "订单已发货"}}})
		if err != nil || id == 0 {
			t.Fatalf("template send: %d %v", id, err)
		}
		return id
	}
	wait := func(id int64, status string) {
		t.Helper()
		select {
		case ev := <-events:
			if ev.TemplateMsgID != id || ev.Status != status || string(ev.FromUserName) != "fan" {
				t.Fatalf("TEMPLATESENDJOBFINISH %+v, want msgid %d status %q", ev, id, status)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no TEMPLATESENDJOBFINISH")
		}
	}
	wait(send(), TemplateBlocked)
	if got := outbox(s, app, "fan", SourceTemplate); len(got) != 0 {
		t.Fatalf("a fan who blocked template messages got %+v", got)
	}
	if err := s.BlockTemplates(app, "fan", false); err != nil {
		t.Fatal(err)
	}
	wait(send(), "success")
	if got := outbox(s, app, "fan", SourceTemplate); len(got) != 1 {
		t.Fatalf("after unblocking the fan has %d template messages, want 1", len(got))
	}
}
