package fake

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

const testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

// echoHandler welcomes followers and echoes texts, like a minimal account.
func echoHandler(m *message.MixMessage) *message.Reply {
	switch {
	case m.MsgType == message.MsgTypeEvent && m.Event == message.EventSubscribe:
		return textReply("欢迎关注 " + m.EventKey)
	case m.MsgType == message.MsgTypeText:
		return textReply("你说：" + m.Content)
	}
	return nil
}

func TestFanSidePlainAndSafe(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct{ name, key string }{{"plain", ""}, {"safe", testAESKey}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			acct := Account{AppID: "wx-fans-" + mode.name, Token: "tok-" + mode.name, EncodingAESKey: mode.key}
			cs := newCallbackServer(t, acct, echoHandler)
			acct.CallbackURL = cs.URL + "/wechat/callback?account=1"
			s, _ := newFake(t, Options{}, acct)
			ctx := context.Background()
			if err := s.VerifyCallback(ctx, acct.AppID); err != nil {
				t.Fatalf("verify: %v", err)
			}

			d, err := s.Follow(ctx, acct.AppID, "fan-1", "poster")
			if err != nil {
				t.Fatalf("follow: %v", err)
			}
			if d == nil || d.Text != "欢迎关注 qrscene_poster" || d.Source != SourcePassive {
				t.Fatalf("follow reply: %+v", d)
			}
			d, err = s.SendText(ctx, acct.AppID, "fan-1", "价格多少？")
			if err != nil {
				t.Fatalf("send text: %v", err)
			}
			if d == nil || d.Text != "你说：价格多少？" {
				t.Fatalf("text reply: %+v", d)
			}
			// A nil reply ("success") shows nothing.
			if d, err := s.Click(ctx, acct.AppID, "fan-1", "K1"); err != nil || d != nil {
				t.Fatalf("click: %+v, %v", d, err)
			}

			got := cs.messages()
			if len(got) != 3 { // the verify GET carries no message
				t.Fatalf("server got %d messages, want 3", len(got))
			}
			if got[0].Event != message.EventSubscribe || got[1].Content != "价格多少？" || got[1].MsgID == 0 ||
				string(got[1].FromUserName) != "fan-1" || got[2].EventKey != "K1" {
				t.Fatalf("server saw %+v / %+v / %+v", got[0], got[1], got[2])
			}
			cs.mu.Lock()
			body, query := cs.rawBody[1], cs.rawQuery[1]
			cs.mu.Unlock()
			encrypted := strings.Contains(body, "<Encrypt>")
			if encrypted != (mode.key != "") || (mode.key != "") == strings.Contains(body, "价格") {
				t.Fatalf("%s mode body: %s", mode.name, body)
			}
			if (mode.key != "") != strings.Contains(query, "msg_signature=") || !strings.Contains(query, "account=1") {
				t.Fatalf("%s mode query: %s", mode.name, query)
			}

			inbox := s.Inbox(acct.AppID, "fan-1")
			var kinds []string
			for _, d := range inbox {
				kinds = append(kinds, d.Direction+":"+d.Kind)
			}
			want := "in:event out:text in:text out:text in:event"
			if strings.Join(kinds, " ") != want {
				t.Fatalf("inbox %q, want %q", strings.Join(kinds, " "), want)
			}
			fans := s.Fans(acct.AppID)
			if len(fans) != 1 || fans[0].Scene != "ADD_SCENE_QR_CODE" || fans[0].QRScene != "poster" {
				t.Fatalf("fans: %+v", fans)
			}
		})
	}
}

func TestFanSideServerFailures(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	t.Cleanup(broken.Close)
	acct := Account{AppID: "wx-fans-broken", Token: "t", CallbackURL: broken.URL}
	s, _ := newFake(t, Options{CallbackTimeout: time.Second}, acct)

	d, err := s.SendText(context.Background(), acct.AppID, "fan", "hi")
	if !errors.Is(err, ErrNotFollowing) || d != nil {
		t.Fatalf("stranger: %v", err)
	}
	d, err = s.Follow(context.Background(), acct.AppID, "fan", "")
	var cerr *CallbackError
	if !errors.As(err, &cerr) || cerr.Attempts != 3 || cerr.StatusCode != 500 {
		t.Fatalf("follow on a broken server: %v", err)
	}
	if hits.Load() != 3 {
		t.Fatalf("attempts: %d, want 3 (WeChat retries)", hits.Load())
	}
	if d == nil || d.Text != UnavailableText || d.Source != SourcePlatform {
		t.Fatalf("fan saw %+v", d)
	}
	if !s.Fans(acct.AppID)[0].Subscribed {
		t.Fatal("the follow happened even though the server failed")
	}
}

func TestFanSideBadReplies(t *testing.T) {
	t.Parallel()
	acct := Account{AppID: "wx-fans-bad", Token: "t"}
	news := func(n int) *message.Reply {
		var arts []*message.Article
		for i := 0; i < n; i++ {
			arts = append(arts, message.NewArticle("t", "d", "https://p", "https://u"))
		}
		return &message.Reply{MsgType: message.MsgTypeNews, MsgData: message.NewNews(arts)}
	}
	cs := newCallbackServer(t, acct, func(m *message.MixMessage) *message.Reply {
		if m.MsgType == message.MsgTypeEvent {
			return news(8) // up to 8 after an event
		}
		return news(2) // only 1 after a message
	})
	acct.CallbackURL = cs.URL
	s, _ := newFake(t, Options{}, acct)
	d, err := s.Follow(context.Background(), acct.AppID, "fan", "")
	if err != nil || len(d.Articles) != 8 {
		t.Fatalf("8 articles after follow: %+v, %v", d, err)
	}
	d, err = s.SendText(context.Background(), acct.AppID, "fan", "hi")
	if !errors.Is(err, ErrBadReply) || d.Text != UnavailableText {
		t.Fatalf("2 articles after a message: %+v, %v", d, err)
	}
}

func TestBuildCallbackAndParseReply(t *testing.T) {
	t.Parallel()
	acct := Account{AppID: "wx-build", Token: "tk", EncodingAESKey: testAESKey, OriginalID: "gh_1"}
	msg := CallbackMessage{ToUserName: "gh_1", FromUserName: "o1", CreateTime: 1700000000, MsgType: "location",
		LocationX: 23.13, LocationY: 113.26, Scale: 15, Label: "广州 & <塔>", MsgID: 42}
	q, body, err := BuildCallback(acct, msg, "1700000000", "n1")
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("signature") != util.Signature("tk", "1700000000", "n1") || q.Get("encrypt_type") != "aes" {
		t.Fatalf("query: %v", q)
	}
	plain := Account{AppID: "wx-build", Token: "tk"}
	_, pbody, _ := BuildCallback(plain, msg, "1700000000", "n1")
	for _, want := range []string{"<Location_X>23.13</Location_X>", "<![CDATA[广州 & <塔>]]>", "<MsgId>42</MsgId>"} {
		if !strings.Contains(string(pbody), want) {
			t.Fatalf("plain body lacks %s: %s", want, pbody)
		}
	}
	if strings.Contains(string(body), "广州") {
		t.Fatal("safe body carries plaintext")
	}

	// ParseReply: "success" and empty mean no reply; a reply in the wrong
	// mode or with a bad signature is refused.
	for _, b := range []string{"", "success", " success\n"} {
		if r, err := ParseReply(acct, q, []byte(b)); r != nil || err != nil {
			t.Fatalf("ParseReply(%q) = %v, %v", b, r, err)
		}
	}
	reply := `<xml><ToUserName><![CDATA[o1]]></ToUserName><FromUserName><![CDATA[gh_1]]></FromUserName>` +
		`<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[ok]]></Content></xml>`
	if _, err := ParseReply(acct, q, []byte(reply)); !errors.Is(err, ErrBadReply) {
		t.Fatalf("plaintext reply in safe mode: %v", err)
	}
	r, err := ParseReply(plain, nil, []byte(reply))
	if err != nil || r.Content != "ok" || r.ToUserName != "o1" {
		t.Fatalf("plain reply: %+v, %v", r, err)
	}
	enc, _ := util.EncryptMsg([]byte("0123456789abcdef"), []byte(reply), acct.AppID, acct.EncodingAESKey)
	envelope := func(sig string) []byte {
		return []byte("<xml><Encrypt><![CDATA[" + string(enc) + "]]></Encrypt><MsgSignature><![CDATA[" + sig +
			"]]></MsgSignature><TimeStamp>7</TimeStamp><Nonce><![CDATA[n]]></Nonce></xml>")
	}
	r, err = ParseReply(acct, q, envelope(util.Signature("tk", "7", "n", string(enc))))
	if err != nil || r.Content != "ok" {
		t.Fatalf("safe reply: %+v, %v", r, err)
	}
	if _, err := ParseReply(acct, q, envelope("forged")); !errors.Is(err, ErrBadReply) {
		t.Fatalf("forged MsgSignature: %v", err)
	}
}
