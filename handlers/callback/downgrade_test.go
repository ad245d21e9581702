package callback_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat/fake"
)

// TestSafeModeRefusesPlaintextDowngrade: with an EncodingAESKey configured,
// someone who logged one safe-mode URL holds a valid signature (it covers
// token, timestamp and nonce only). Dropping encrypt_type and posting
// plaintext XML under it would let them write as any fan within the
// timestamp window: a forged message, an unfollow, a sign-in. Every such
// downgrade is a 403 that stores nothing; the account in plain mode (no
// key) still takes plaintext, and WeChat's URL check still echoes.
func TestSafeModeRefusesPlaintextDowngrade(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now()
		ts := strconv.FormatInt(now.Unix(), 10)
		e := newEnv(t, s, true)
		e.Handler.MaxSkew = 5 * time.Minute
		e.Follow("o_victim")

		// A genuine encrypted callback, as logged by whoever saw the URL.
		genuine := fake.CallbackMessage{ToUserName: "gh_test", FromUserName: "o_victim", MsgType: "text",
			Content: "你好", MsgID: 9101, CreateTime: now.Unix()}
		captured, _, err := fake.BuildCallback(e.Acct, genuine, ts, "captured-nonce")
		if err != nil {
			t.Fatal(err)
		}
		if rec, _ := e.Post(genuine); rec.Code != http.StatusOK {
			t.Fatalf("genuine safe-mode callback: %d %q", rec.Code, rec.Body.String())
		}

		plain := func(m fake.CallbackMessage) []byte {
			m.ToUserName, m.CreateTime = "gh_test", now.Unix()
			b, err := xml.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		downgraded := func(set func(q url.Values)) url.Values {
			q := cloneValues(captured)
			q.Del("encrypt_type")
			q.Del("msg_signature")
			if set != nil {
				set(q)
			}
			return q
		}
		forged := plain(fake.CallbackMessage{FromUserName: "o_victim", MsgType: "text", Content: "退订所有", MsgID: 9102})
		cases := []struct {
			name string
			q    url.Values
			body []byte
		}{
			{"forged text as a fan", downgraded(nil), forged},
			{"forged unfollow", downgraded(nil), plain(fake.CallbackMessage{FromUserName: "o_victim", MsgType: "event", Event: "unsubscribe"})},
			{"forged sign-in click", downgraded(nil), plain(fake.CallbackMessage{FromUserName: "o_victim", MsgType: "event", Event: "CLICK", EventKey: "SIGN_IN"})},
			{"forged subscribe of a new member", downgraded(nil), plain(fake.CallbackMessage{FromUserName: "o_forged_member", MsgType: "event", Event: "subscribe"})},
			{"encrypt_type other than aes", downgraded(func(q url.Values) { q.Set("encrypt_type", "raw") }), forged},
			{"encrypt_type in upper case", downgraded(func(q url.Values) { q.Set("encrypt_type", "AES") }), forged},
			{"msg_signature kept, encrypt_type dropped", func() url.Values {
				q := cloneValues(captured)
				q.Del("encrypt_type")
				return q
			}(), forged},
			{"encrypt_type twice, plaintext first", downgraded(func(q url.Values) { q["encrypt_type"] = []string{"", "aes"} }), forged},
		}
		for _, c := range cases {
			before, err := s.RowCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rec := e.Raw(http.MethodPost, "/wechat?"+c.q.Encode(), c.body)
			after, _ := s.RowCounts(ctx)
			if rec.Code != http.StatusForbidden || rec.Body.String() != "encrypted callback required" {
				t.Errorf("%s: %d %.100q, want 403 encrypted callback required", c.name, rec.Code, rec.Body.String())
			}
			if changed := models.RowCountChanges(before, after); len(changed) > 0 {
				t.Errorf("%s: refused but stored %v", c.name, changed)
			}
		}
		if m, err := s.FindMemberByOpenID(ctx, "o_forged_member"); err == nil {
			t.Errorf("a forged subscribe created member %+v", m)
		}

		// WeChat's URL check (GET, signature only) still echoes in safe mode.
		check := url.Values{"signature": {util.Signature(e.Acct.Token, ts, "v")}, "timestamp": {ts}, "nonce": {"v"}, "echostr": {"1234567890"}}
		if rec := e.Raw(http.MethodGet, "/wechat?"+check.Encode(), nil); rec.Code != 200 || rec.Body.String() != "1234567890" {
			t.Errorf("URL check in safe mode: %d %q", rec.Code, rec.Body.String())
		}

		// Plain mode (no key configured) is 明文模式: plaintext is how WeChat sends.
		p := newEnv(t, s, false)
		if rec, _ := p.Post(fake.CallbackMessage{FromUserName: "o_plain", MsgType: "text", Content: "hi", MsgID: 9103}); rec.Code != 200 {
			t.Errorf("plain mode refused plaintext: %d %q", rec.Code, rec.Body.String())
		}
	})
}

// TestCompatibleModeUsesOnlyTheDecryptedMessage: in 兼容模式 the body holds
// the plaintext fields and <Encrypt>. Only the ciphertext is covered by
// msg_signature, so plaintext fields swapped in around a captured
// ciphertext (another sender, another text) must be ignored: fivec records
// what it decrypted.
func TestCompatibleModeUsesOnlyTheDecryptedMessage(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		e := newEnv(t, s, true)
		now := time.Now()
		ts := strconv.FormatInt(now.Unix(), 10)
		genuine := fake.CallbackMessage{ToUserName: "gh_test", FromUserName: "o_real", MsgType: "text",
			Content: "真的消息", MsgID: 9201, CreateTime: now.Unix()}
		q, envelope, err := fake.BuildCallback(e.Acct, genuine, ts, "compat-nonce")
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Encrypt string `xml:"Encrypt"`
		}
		if err := xml.Unmarshal(envelope, &env); err != nil {
			t.Fatal(err)
		}
		body := "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[o_impostor]]></FromUserName>" +
			"<CreateTime>" + ts + "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[伪造的消息]]></Content>" +
			"<MsgId>9202</MsgId><Encrypt><![CDATA[" + env.Encrypt + "]]></Encrypt></xml>"
		rec := e.Raw(http.MethodPost, "/wechat?"+q.Encode(), []byte(body))
		if rec.Code != http.StatusOK {
			t.Fatalf("compatible-mode callback: %d %q", rec.Code, rec.Body.String())
		}
		conv, err := s.Conversation(ctx, "o_real", 10)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range conv {
			found = found || (m.Direction == models.DirectionIn && m.Content == "真的消息")
			if strings.Contains(m.Content, "伪造") {
				t.Errorf("plaintext content recorded: %+v", m)
			}
		}
		if !found {
			t.Errorf("o_real's conversation %+v, want the decrypted text", conv)
		}
		if conv, _ := s.Conversation(ctx, "o_impostor", 10); len(conv) > 0 {
			t.Errorf("the plaintext sender was recorded: %+v", conv)
		}
		if m, err := s.FindMemberByOpenID(ctx, "o_impostor"); err == nil {
			t.Errorf("the plaintext sender became a member: %+v", m)
		}
	})
}
