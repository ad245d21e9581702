package fake

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/broadcast"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

func TestMassSend(t *testing.T) {
	t.Parallel()
	const app = "wx-mass"
	events := make(chan *message.MixMessage, 8)
	acct := Account{AppID: app, Token: "t", Verified: true}
	cs := newCallbackServer(t, acct, func(m *message.MixMessage) *message.Reply {
		if m.Event == message.EventMassSendJobFinish {
			events <- m
		}
		return nil
	})
	acct.CallbackURL = cs.URL
	s, _ := newFake(t, Options{}, acct)
	for _, id := range []string{"a", "b", "c"} {
		if err := s.SeedFan(app, Fan{OpenID: id, Subscribed: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SeedFan(app, Fan{OpenID: "gone"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SeedMedia(app, "MEDIA_1", "news"); err != nil { // a draft the account has
		t.Fatal(err)
	}
	bc := broadcast.NewBroadcast(sdk(t, s, app).GetContext())

	_, err := bc.SendText(&broadcast.User{OpenID: []string{"a"}}, "solo")
	wantErrCode(t, err, 40130)

	res, err := bc.SendText(&broadcast.User{OpenID: []string{"a", "gone", "nobody"}}, "春季活动")
	if err != nil || res.MsgID == 0 {
		t.Fatalf("mass/send: %+v, %v", res, err)
	}
	if got := outbox(s, app, "a", SourceMass); len(got) != 1 || got[0].Text != "春季活动" || got[0].MsgID != res.MsgID {
		t.Fatalf("a's inbox: %+v", got)
	}
	if got := s.Inbox(app, "gone"); len(got) != 0 {
		t.Fatalf("an unsubscribed fan received %+v", got)
	}
	select {
	case ev := <-events:
		if ev.TemplateMsgID != res.MsgID || ev.TotalCount != 3 || ev.FilterCount != 1 || ev.SentCount != 1 {
			t.Fatalf("MASSSENDJOBFINISH: %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no MASSSENDJOBFINISH event")
	}

	// sendall to everyone, then mass/get and delete of an mpnews job.
	all, err := bc.SendNews(nil, "MEDIA_1", false)
	if err != nil {
		t.Fatalf("sendall: %v", err)
	}
	st, err := bc.GetMassStatus(fmt.Sprint(all.MsgID))
	if err != nil || st.MsgStatus != "SEND_SUCCESS" {
		t.Fatalf("mass/get: %+v, %v", st, err)
	}
	if err := bc.Delete(all.MsgID, 0); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if st, _ := bc.GetMassStatus(fmt.Sprint(all.MsgID)); st.MsgStatus != "DELETE" {
		t.Fatalf("status after delete: %+v", st)
	}
	got := outbox(s, app, "c", SourceMass)
	if len(got) != 1 || got[0].Kind != "mpnews" || !got[0].Deleted {
		t.Fatalf("c's mass inbox: %+v", got)
	}
	wantErrCode(t, bc.Delete(res.MsgID, 0), 40035) // text jobs cannot be deleted

	// Preview goes to one follower only.
	if _, err := broadcast.NewBroadcast(sdk(t, s, app).GetContext()).Preview().
		SendText(&broadcast.User{OpenID: []string{"b"}}, "预览"); err != nil {
		t.Fatalf("preview: %v", err)
	}
	if got := outbox(s, app, "b", SourcePreview); len(got) != 1 || got[0].Text != "预览" {
		t.Fatalf("preview inbox: %+v", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMassClientMsgIDAndQuotas(t *testing.T) {
	t.Parallel()
	const svc, sub = "wx-mass-svc", "wx-mass-sub"
	s, clk := newFake(t, Options{}, Account{AppID: svc, Verified: true}, Account{AppID: sub})
	for _, app := range []string{svc, sub} {
		for _, id := range []string{"a", "b"} {
			if err := s.SeedFan(app, Fan{OpenID: id, Subscribed: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	tok := fetchToken(t, s, svc)
	send := func(clientID string) map[string]any {
		return post(t, "/cgi-bin/message/mass/send", tok, map[string]any{"touser": []string{"a", "b"},
			"msgtype": "text", "text": map[string]string{"content": "hi"}, "clientmsgid": clientID})
	}
	first := send("campaign-7")
	wantCode(t, first, 0)
	again := send("campaign-7")
	wantCode(t, again, 45065)
	if again["msg_id"] != first["msg_id"] {
		t.Fatalf("45065 must carry the first msg_id: %v vs %v", again, first)
	}
	clk.Advance(24 * time.Hour)
	tok = fetchToken(t, s, svc)
	wantCode(t, send("campaign-7"), 0) // the key lasts 24 h

	// A service account's fan receives at most 4 mass messages a month.
	wantCode(t, send(""), 0)
	wantCode(t, send(""), 0)
	fifth := send("")
	wantCode(t, fifth, 0)
	if n := len(outbox(s, svc, "a", SourceMass)); n != 4 {
		t.Fatalf("a received %d mass messages this month, want 4", n)
	}
	wantCode(t, post(t, "/cgi-bin/message/mass/send", tok, map[string]any{"touser": make([]string, 10001),
		"msgtype": "text", "text": map[string]string{"content": "x"}}), 40032)

	// A subscription account may start one sendall a day; no mass/send.
	stok := fetchToken(t, s, sub)
	toAll := map[string]any{"filter": map[string]any{"is_to_all": true}, "msgtype": "text",
		"text": map[string]string{"content": "daily"}}
	wantCode(t, post(t, "/cgi-bin/message/mass/sendall", stok, toAll), 0)
	wantCode(t, post(t, "/cgi-bin/message/mass/sendall", stok, toAll), 45028)
	wantCode(t, post(t, "/cgi-bin/message/mass/send", stok, map[string]any{"touser": []string{"a", "b"},
		"msgtype": "text", "text": map[string]string{"content": "x"}}), 48001)
	clk.Advance(24 * time.Hour)
	wantCode(t, post(t, "/cgi-bin/message/mass/sendall", fetchToken(t, s, sub), toAll), 0)
}

func TestMassByTag(t *testing.T) {
	t.Parallel()
	const app = "wx-mass-tag"
	s, _ := newFake(t, Options{}, Account{AppID: app, Verified: true})
	tok := fetchToken(t, s, app)
	tag := post(t, "/cgi-bin/tags/create", tok, map[string]any{"tag": map[string]string{"name": "VIP"}})
	id, _ := tag["tag"].(map[string]any)["id"].(json.Number).Int64()
	for _, f := range []Fan{{OpenID: "vip", Subscribed: true, Tags: []int{int(id)}}, {OpenID: "plain", Subscribed: true}} {
		if err := s.SeedFan(app, f); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, post(t, "/cgi-bin/message/mass/sendall", tok, map[string]any{
		"filter": map[string]any{"is_to_all": false, "tag_id": id}, "msgtype": "text",
		"text": map[string]string{"content": "for VIPs"}}), 0)
	if len(outbox(s, app, "vip", SourceMass)) != 1 || len(outbox(s, app, "plain", SourceMass)) != 0 {
		t.Fatal("sendall by tag reached the wrong fans")
	}
	wantCode(t, post(t, "/cgi-bin/message/mass/sendall", tok, map[string]any{
		"filter": map[string]any{"tag_id": 999}, "msgtype": "text", "text": map[string]string{"content": "x"}}), 45159)
}
