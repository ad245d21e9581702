package fake

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// TestFakeStateSurvivesRestart: the sandbox restarted on the same database
// found a platform that had forgotten every fan, follow and phone, and
// whose MsgIds started again from the same number, so fivec's dedupe
// answered new messages with old answers. With Options.State everything
// the platform keeps is saved on every change (no shutdown needed: the
// first platform is never closed before the second opens, as after a
// SIGKILL), and MsgIds continue from the saved counter.
func TestFakeStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	const app = "wx-state-restart"
	path := filepath.Join(t.TempDir(), "fivec.db-sandbox.json")
	clk := newClock()
	acct := Account{AppID: app, AppSecret: "secret-1", Token: "token-restart", Verified: true}
	cb := newCallbackServer(t, acct, func(m *message.MixMessage) *message.Reply {
		if m.MsgType == message.MsgTypeText {
			return textReply("echo " + m.Content)
		}
		return nil
	})
	acct.CallbackURL = cb.URL
	open := func(secret string) *Server {
		t.Helper()
		s, err := Open(Options{Now: clk.Now, State: FileState{Path: path}, TokenTTL: 365 * 24 * time.Hour,
			StateError: func(err error) { t.Errorf("save state: %v", err) }})
		if err != nil {
			t.Fatal(err)
		}
		a := acct
		a.AppSecret = secret
		s.AddAccount(a) // new secrets (the sandbox makes new ones), same state
		registry.Store(app, s)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	t.Cleanup(func() { registry.Delete(app) })
	ctx := context.Background()

	s1 := open("secret-1")
	tok := fetchToken(t, s1, app)
	tagID := post(t, "/cgi-bin/tags/create", tok, map[string]any{"tag": map[string]string{"name": "VIP"}})["tag"].(map[string]any)["id"]
	wantCode(t, post(t, "/cgi-bin/menu/create", tok, map[string]any{"button": []map[string]string{{"type": "click", "name": "优惠", "key": "DEALS"}}}), 0)
	qr := post(t, "/cgi-bin/qrcode/create", tok, map[string]any{"action_name": "QR_LIMIT_STR_SCENE",
		"action_info": map[string]any{"scene": map[string]string{"scene_str": "poster"}}})
	ticket, _ := qr["ticket"].(string)
	if _, err := s1.Follow(ctx, app, "fan-a", "poster"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, post(t, "/cgi-bin/tags/members/batchtagging", tok, map[string]any{"openid_list": []string{"fan-a"}, "tagid": tagID}), 0)
	if _, err := s1.SendText(ctx, app, "fan-a", "你好"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, post(t, "/cgi-bin/message/custom/send", tok, map[string]any{"touser": "fan-a", "msgtype": "text",
		"text": map[string]string{"content": "客服来了"}}), 0)
	if err := s1.SeedFan(app, Fan{OpenID: "fan-b", Subscribed: true}); err != nil {
		t.Fatal(err)
	}
	fans, inbox, menu := s1.Fans(app), s1.Inbox(app, "fan-a"), s1.Menu(app)
	lastMsgID := inbox[len(inbox)-3].MsgID // 你好, then its echo, then the custom message

	// Restart: a second platform on the same file, the first never closed.
	s2 := open("secret-2")
	if got, want := jsonOf(t, s2.Fans(app)), jsonOf(t, fans); got != want {
		t.Errorf("fans after restart:\n%s\nwant\n%s", got, want)
	}
	if got, want := jsonOf(t, s2.Inbox(app, "fan-a")), jsonOf(t, inbox); got != want {
		t.Errorf("phone after restart:\n%s\nwant\n%s", got, want)
	}
	if got, want := jsonOf(t, s2.Menu(app)), jsonOf(t, menu); got != want || len(menu) != 1 {
		t.Errorf("menu after restart: %s, want %s", got, want)
	}
	if q, ok := s2.LookupTicket(ticket); !ok || q.Scene != "poster" {
		t.Errorf("QR ticket after restart: %+v %v", q, ok)
	}
	if _, err := s2.Follow(ctx, app, "fan-a", ""); !errors.Is(err, ErrAlreadyFollowing) {
		t.Errorf("follow of a follower after restart: %v", err)
	}
	tok2 := fetchToken(t, s2, app)
	tags := get(t, "/cgi-bin/tags/get", map[string][]string{"access_token": {tok2}})
	if list, _ := tags["tags"].([]any); len(list) != 2 { // 星标组 and VIP
		t.Errorf("tags after restart: %v", tags)
	}
	ids := post(t, "/cgi-bin/tags/getidlist", tok2, map[string]string{"openid": "fan-a"})
	if list, _ := ids["tagid_list"].([]any); len(list) != 1 {
		t.Errorf("fan's tags after restart: %v", ids)
	}
	// The fan's 48 h window is still open: a direct send is delivered.
	wantCode(t, post(t, "/cgi-bin/message/custom/send", tok2, map[string]any{"touser": "fan-a", "msgtype": "text",
		"text": map[string]string{"content": "重启后"}}), 0)
	// A new message gets a MsgId never used before, and its own answer.
	d, err := s2.SendText(ctx, app, "fan-a", "今天天气")
	if err != nil || d == nil || d.Text != "echo 今天天气" {
		t.Fatalf("reply after restart: %+v %v", d, err)
	}
	in := s2.Inbox(app, "fan-a")
	if got := in[len(in)-2].MsgID; got <= lastMsgID {
		t.Errorf("MsgId after restart %d, not above %d", got, lastMsgID)
	}

	// Even a lost state file does not bring old MsgIds back: the sequence
	// never starts below the clock.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	s3 := open("secret-3")
	if err := s3.SeedFan(app, Fan{OpenID: "fan-a", Subscribed: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3.SendText(ctx, app, "fan-a", "again"); err != nil {
		t.Fatal(err)
	}
	if in3 := s3.Inbox(app, "fan-a"); in3[0].MsgID <= in[len(in)-2].MsgID {
		t.Errorf("MsgId %d after losing the state, already used up to %d", in3[0].MsgID, in[len(in)-2].MsgID)
	}
	if left, _ := filepath.Glob(path + ".tmp*"); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
