package callback_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

func TestVerifyEchostr(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, false)
		sig := util.Signature(e.Acct.Token, "1700000000", "n1")
		cases := []struct {
			name, query string
			code        int
			body        string
		}{
			{"good", "signature=" + sig + "&timestamp=1700000000&nonce=n1&echostr=hello", 200, "hello"},
			{"bad signature", "signature=deadbeef&timestamp=1700000000&nonce=n1&echostr=hello", 403, "bad signature"},
			{"missing signature", "timestamp=1700000000&nonce=n1&echostr=hello", 403, "bad signature"},
		}
		for _, c := range cases {
			rec := e.Raw(http.MethodGet, "/wechat?"+c.query, nil)
			if rec.Code != c.code || rec.Body.String() != c.body {
				t.Errorf("%s: got %d %q, want %d %q", c.name, rec.Code, rec.Body.String(), c.code, c.body)
			}
		}
	})
}

func TestBadRequestsStoreNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		plain := newEnv(t, s, false)
		safe := newEnv(t, s, true)
		ts := "1700000000"
		good := func(e *env, msg fake.CallbackMessage) (url.Values, []byte) {
			msg.CreateTime = 1700000000
			q, b, err := fake.BuildCallback(e.Acct, msg, ts, "n")
			if err != nil {
				t.Fatal(err)
			}
			return q, b
		}
		text := fake.CallbackMessage{FromUserName: "o1", MsgType: "text", Content: "hi", MsgID: 1}
		sign := func(e *env) url.Values {
			return url.Values{"signature": {util.Signature(e.Acct.Token, ts, "n")}, "timestamp": {ts}, "nonce": {"n"}}
		}

		q, body := good(plain, text)
		forged := url.Values{}
		for k, v := range q {
			forged[k] = v
		}
		forged.Set("signature", strings.Repeat("0", 40))

		sq, sbody := good(safe, text)
		badMsgSig := url.Values{}
		for k, v := range sq {
			badMsgSig[k] = v
		}
		badMsgSig.Set("msg_signature", strings.Repeat("1", 40))
		safeQ := sign(safe)
		safeQ.Set("encrypt_type", "aes")
		// A correctly signed envelope around bytes that are not valid ciphertext.
		junk := "bm90IGNpcGhlcnRleHQ="
		junkQ := sign(safe)
		junkQ.Set("encrypt_type", "aes")
		junkQ.Set("msg_signature", util.Signature(safe.Acct.Token, ts, "n", junk))
		plainAES := sign(plain)
		plainAES.Set("encrypt_type", "aes")
		plainAES.Set("msg_signature", util.Signature(plain.Acct.Token, ts, "n", junk))

		cases := []struct {
			name string
			e    *env
			q    url.Values
			body []byte
			code int
		}{
			{"forged signature", plain, forged, body, 403},
			{"forged msg_signature", safe, badMsgSig, sbody, 403},
			{"not XML", plain, sign(plain), []byte("hello there"), 400},
			{"empty body", plain, sign(plain), nil, 400},
			{"XML without sender", plain, sign(plain), []byte("<xml><MsgType>text</MsgType></xml>"), 400},
			{"too large", plain, sign(plain), bytes.Repeat([]byte("a"), callback.MaxBody+1), 413},
			{"envelope not XML", safe, safeQ, []byte("{}"), 400},
			{"ciphertext garbage", safe, junkQ, []byte("<xml><Encrypt>" + junk + "</Encrypt></xml>"), 400},
			{"safe mode not configured", plain, plainAES, []byte("<xml><Encrypt>" + junk + "</Encrypt></xml>"), 400},
		}
		for _, c := range cases {
			rec := c.e.Raw(http.MethodPost, "/wechat?"+c.q.Encode(), c.body)
			if rec.Code != c.code {
				t.Errorf("%s: status %d (%q), want %d", c.name, rec.Code, rec.Body.String(), c.code)
			}
		}
		if n := plain.Inbound(); n != 0 {
			t.Fatalf("%d messages stored from bad requests, want 0", n)
		}
	})
}

func TestSubscribeWelcomesAndRecordsMember(t *testing.T) {
	for _, aes := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "safe"}[aes]
		t.Run(name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, s *models.Store) {
				e := newEnv(t, s, aes)
				rec, reply := e.Post(fake.CallbackMessage{FromUserName: "fan1", MsgType: "event", Event: "subscribe", EventKey: "qrscene_store42", Ticket: "T"})
				if rec.Code != 200 || reply == nil || reply.MsgType != "text" || reply.Content != "欢迎关注" {
					t.Fatalf("welcome: %d %+v %q", rec.Code, reply, rec.Body.String())
				}
				if reply.ToUserName != "fan1" {
					t.Fatalf("reply addressed to %q", reply.ToUserName)
				}
				m, err := s.FindMemberByOpenID(context.Background(), "fan1")
				if err != nil || !m.Subscribed || m.SubscribeScene != "store42" || m.FirstSubscribedAt == nil {
					t.Fatalf("member: %+v %v", m, err)
				}
				// A text with no matching role: "success" (never an encrypted
				// empty envelope), stored once.
				rec, reply = e.Post(fake.CallbackMessage{FromUserName: "fan1", MsgType: "text", Content: "价格？", MsgID: 77})
				if rec.Code != 200 || rec.Body.String() != "success" || reply != nil {
					t.Fatalf("no-reply answer: %d %q", rec.Code, rec.Body.String())
				}
				conv, _ := s.Conversation(context.Background(), "fan1", 10)
				if len(conv) != 2 || conv[1].Content != "价格？" || conv[0].State != models.StateReplied {
					t.Fatalf("conversation: %+v", conv)
				}
			})
		})
	}
}

func TestRetriesGetTheSameAnswerAndRunOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		var runs atomic.Int32
		slowEcho := roleFunc(func(ctx context.Context, turn *roles.Turn) error {
			runs.Add(1)
			time.Sleep(60 * time.Millisecond) // let the retries pile up
			turn.Reply(models.TextReply("echo: " + turn.Msg.Content))
			return nil
		})
		e := newEnv(t, s, true, slowEcho)
		msg := fake.CallbackMessage{FromUserName: "fan2", MsgType: "text", Content: "你好", MsgID: 9001, CreateTime: 1700000001}
		var wg sync.WaitGroup
		replies := make([]string, 6)
		for i := range replies {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				rec, r := e.Post(msg)
				if rec.Code == 200 && r != nil {
					replies[i] = r.Content
				}
			}(i)
		}
		wg.Wait()
		for i, r := range replies {
			if r != "echo: 你好" {
				t.Errorf("attempt %d got %q", i, r)
			}
		}
		if runs.Load() != 1 || e.Inbound() != 1 {
			t.Fatalf("pipeline ran %d times, %d rows; want 1, 1", runs.Load(), e.Inbound())
		}
		// Events have no MsgId: the same event retried is deduped, a
		// different event in the same second is not.
		click := fake.CallbackMessage{FromUserName: "fan2", MsgType: "event", Event: "CLICK", EventKey: "A", CreateTime: 1700000002}
		e.Post(click)
		e.Post(click)
		click.EventKey = "B"
		e.Post(click)
		if e.Inbound() != 3 {
			t.Fatalf("rows after events = %d, want 3", e.Inbound())
		}
	})
}

func TestSlowPipelineAnswersSuccessThenSendsCustomMessage(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		release := make(chan struct{})
		slow := roleFunc(func(ctx context.Context, turn *roles.Turn) error {
			if turn.Msg.MsgType != "text" {
				return nil
			}
			<-release
			turn.Reply(models.TextReply("sorry for the wait"))
			return nil
		})
		e := newEnv(t, s, false, slow)
		e.Handler.Deadline = 300 * time.Millisecond
		e.Follow("fan3")
		// The fan's message opens the 48-hour window on the platform.
		start := time.Now()
		if _, err := platform.SendText(context.Background(), e.Acct.AppID, "fan3", "where is my order?"); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 4*time.Second {
			t.Fatalf("callback took %s, deadline is 300ms", d)
		}
		close(release)
		e.Handler.Wait()
		var got string
		for _, d := range platform.Inbox(e.Acct.AppID, "fan3") {
			if d.Source == fake.SourceCustom {
				got = d.Text
			}
		}
		if got != "sorry for the wait" {
			t.Fatalf("deferred reply not delivered as a customer-service message; inbox: %+v", platform.Inbox(e.Acct.AppID, "fan3"))
		}
		conv, _ := s.Conversation(context.Background(), "fan3", 10)
		if len(conv) == 0 {
			t.Fatal("empty conversation")
		}
		conv = conv[1:] // after the follow event
		if len(conv) != 2 || conv[0].State != models.StateDeferred || conv[1].Channel != models.ChannelCustom || conv[1].State != models.StateSent {
			t.Fatalf("conversation: %+v", conv)
		}
	})
}

func TestSeveralRepliesFollowAsCustomMessages(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		three := roleFunc(func(ctx context.Context, turn *roles.Turn) error {
			if turn.Msg.MsgType != "text" {
				return nil
			}
			turn.Reply(models.TextReply("one"))
			turn.Reply(models.TextReply("two"))
			turn.Reply(models.Reply{Kind: models.ReplyNews, Articles: []models.Article{{Title: "three", URL: "https://example.com"}}})
			return nil
		})
		e := newEnv(t, s, false, three)
		e.Follow("fan4")
		d, err := platform.SendText(context.Background(), e.Acct.AppID, "fan4", "menu")
		if err != nil || d == nil || d.Text != "one" {
			t.Fatalf("passive: %+v %v", d, err)
		}
		e.Handler.Wait()
		var texts []string
		for _, d := range platform.Inbox(e.Acct.AppID, "fan4") {
			if d.Source == fake.SourceCustom {
				texts = append(texts, d.Text+d.Title)
				if d.Kind == "news" {
					texts[len(texts)-1] = d.Articles[0].Title
				}
			}
		}
		if strings.Join(texts, ",") != "two,three" {
			t.Fatalf("follow-ups: %v", texts)
		}
	})
}

func TestUnsubscribeStopsSends(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, false)
		ctx := context.Background()
		if _, err := platform.Follow(ctx, e.Acct.AppID, "fan5", ""); err != nil {
			t.Fatal(err)
		}
		if err := platform.Unfollow(ctx, e.Acct.AppID, "fan5"); err != nil {
			t.Fatal(err)
		}
		m, _ := s.FindMemberByOpenID(ctx, "fan5")
		if m.Subscribed || m.UnsubscribedAt == nil {
			t.Fatalf("member still subscribed: %+v", m)
		}
		before := len(platform.CallsFor(e.Acct.AppID))
		err := e.Handler.Sender.SendCustom(ctx, "fan5", models.TextReply("come back"))
		if err != wechat.ErrUnsubscribed {
			t.Fatalf("send to unfollowed fan: %v", err)
		}
		if after := len(platform.CallsFor(e.Acct.AppID)); after != before {
			t.Fatalf("an API call was made for an unfollowed fan")
		}
		conv, _ := s.Conversation(ctx, "fan5", 10)
		if last := conv[len(conv)-1]; last.State != models.StateFailed || last.Direction != models.DirectionOut {
			t.Fatalf("refused send not recorded: %+v", last)
		}
	})
}

func TestUnknownTypesAcknowledgedAndStored(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, false)
		cases := []fake.CallbackMessage{
			{FromUserName: "fan6", MsgType: "miniprogrampage", MsgID: 1},
			{FromUserName: "fan6", MsgType: "event", Event: "some_new_event"},
			{FromUserName: "fan6", MsgType: "location", LocationX: 23.1, LocationY: 113.3, Label: "广州", MsgID: 2},
			{FromUserName: "fan6", MsgType: "event", Event: "LOCATION", Latitude: "23.1", Longitude: "113.3"},
			{FromUserName: "fan6", MsgType: "event", Event: "SCAN", EventKey: "store42"},
			{FromUserName: "fan6", MsgType: "event", Event: "kf_create_session"},
			{FromUserName: "mphelper", MsgType: "event", Event: "MASSSENDJOBFINISH", JobMsgID: 1000, Status: "send success", TotalCount: 2, SentCount: 2},
			{FromUserName: "fan6", MsgType: "event", Event: "TEMPLATESENDJOBFINISH", JobMsgID: 1001, Status: "failed:user block"},
		}
		for _, c := range cases {
			rec, _ := e.Post(c)
			if rec.Code != 200 || rec.Body.String() != "success" {
				t.Errorf("%s/%s: %d %q", c.MsgType, c.Event, rec.Code, rec.Body.String())
			}
		}
		if n := e.Inbound(); n != int64(len(cases)) {
			t.Fatalf("stored %d of %d", n, len(cases))
		}
	})
}

func TestStaleTokenIsRefreshedOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, false)
		ctx := context.Background()
		e.Follow("fan7")
		platform.SendText(ctx, e.Acct.AppID, "fan7", "hi")
		if err := e.Handler.Sender.SendCustom(ctx, "fan7", models.TextReply("first")); err != nil {
			t.Fatal(err)
		}
		platform.ExpireTokens(e.Acct.AppID)
		if err := e.Handler.Sender.SendCustom(ctx, "fan7", models.TextReply("second")); err != nil {
			t.Fatalf("send after token expiry: %v", err)
		}
		var codes []int
		for _, c := range platform.CallsFor(e.Acct.AppID) {
			if strings.HasSuffix(c.Path, "custom/send") {
				codes = append(codes, c.ErrCode)
			}
		}
		if len(codes) != 3 || codes[1] != 40001 || codes[2] != 0 {
			t.Fatalf("custom/send errcodes = %v, want [0 40001 0]", codes)
		}
		// The quota is the platform's: once the fan's windows are used up a
		// send fails with 45047, and the failure is in the conversation.
		var err error
		for i := 0; i < 10 && err == nil; i++ {
			err = e.Handler.Sender.SendCustom(ctx, "fan7", models.TextReply("more"))
		}
		if wechat.ErrCode(err) != 45047 {
			t.Fatalf("over quota: %v", err)
		}
		conv, _ := s.Conversation(ctx, "fan7", 50)
		if last := conv[len(conv)-1]; last.ErrCode != 45047 || last.State != models.StateFailed {
			t.Fatalf("refusal not in conversation: %+v", last)
		}
		if strings.Contains(err.Error(), "access_token") {
			t.Fatalf("error leaks the token: %v", err)
		}
	})
}

// TestOldAESKeyAcceptedDuringRotation sends safe-mode callbacks encrypted
// with the EncodingAESKey from before a change in WeChat's console. With no
// previous key configured they are refused (400) as before; with it they are
// recorded once and answered encrypted with the key they came in with (what
// WeChat decrypts them with); a third, unknown key is still refused, and so
// is the previous key once its grace period has ended. The current key keeps
// working throughout.
func TestOldAESKeyAcceptedDuringRotation(t *testing.T) {
	const previousKey = "PREVIOUSkey0123456789abcdefghijklmnopqrstuv"
	const unknownKey = "UNKNOWNkey0123456789abcdefghijklmnopqrstuvw"
	forEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, true)
		with := func(key string) fake.Account { a := e.Acct; a.EncodingAESKey = key; return a }
		send := func(acct fake.Account, msg fake.CallbackMessage) (int, *fake.Reply) {
			t.Helper()
			msg.ToUserName = "gh_test"
			msg.CreateTime = time.Now().Unix()
			q, body, err := fake.BuildCallback(acct, msg, strconv.FormatInt(time.Now().Unix(), 10), "nonce123")
			if err != nil {
				t.Fatal(err)
			}
			rec := e.Raw(http.MethodPost, "/wechat?"+q.Encode(), body)
			if rec.Code != http.StatusOK {
				return rec.Code, nil
			}
			// WeChat decrypts the reply with the key it encrypted the message with.
			reply, err := fake.ParseReply(acct, q, rec.Body.Bytes())
			if err != nil {
				t.Fatalf("reply does not decrypt with the message's key: %v (%q)", err, rec.Body.String())
			}
			if _, err := fake.ParseReply(e.Acct, q, rec.Body.Bytes()); acct.EncodingAESKey != e.Acct.EncodingAESKey && err == nil {
				t.Fatalf("reply to a previous-key message decrypts with the current key")
			}
			return rec.Code, reply
		}
		old := fake.CallbackMessage{FromUserName: "fan-old", MsgType: "event", Event: "subscribe"}

		if code, _ := send(with(previousKey), old); code != http.StatusBadRequest || e.Inbound() != 0 {
			t.Fatalf("previous key not configured: %d, %d recorded (want 400, nothing)", code, e.Inbound())
		}

		e.Handler.PreviousAESKey = previousKey
		for attempt := 1; attempt <= 2; attempt++ { // WeChat's retry gets the same answer
			code, reply := send(with(previousKey), old)
			if code != http.StatusOK || reply == nil || reply.Content != "欢迎关注" || reply.ToUserName != "fan-old" {
				t.Fatalf("attempt %d with the previous key: %d %+v (want the welcome)", attempt, code, reply)
			}
		}
		if n := e.Inbound(); n != 1 {
			t.Fatalf("previous-key message recorded %d times, want once", n)
		}
		if code, reply := send(e.Acct, fake.CallbackMessage{FromUserName: "fan-new", MsgType: "event", Event: "subscribe"}); code != http.StatusOK || reply == nil {
			t.Fatalf("current key during the rotation: %d %+v", code, reply)
		}
		if code, _ := send(with(unknownKey), fake.CallbackMessage{FromUserName: "fan-x", MsgType: "text", Content: "hi", MsgID: 9001}); code != http.StatusBadRequest {
			t.Fatalf("unknown key: %d, want 400", code)
		}

		e.Handler.PreviousUntil = time.Now().Add(-time.Minute)
		if code, _ := send(with(previousKey), fake.CallbackMessage{FromUserName: "fan-late", MsgType: "text", Content: "hi", MsgID: 9002}); code != http.StatusBadRequest {
			t.Fatalf("previous key after its grace period: %d, want 400", code)
		}
		if n := e.Inbound(); n != 2 {
			t.Fatalf("%d messages recorded, want 2 (the previous-key one once, the current-key one)", n)
		}
	})
}
