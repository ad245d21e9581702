package callback_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/silenceper/wechat/v2/util"

	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

// FuzzCallback feeds arbitrary bodies, correctly signed, through the real
// router in plain and safe mode. The callback must never panic, must answer
// only 200/400/403/413, and must store nothing unless it answered 200.
func FuzzCallback(f *testing.F) {
	seed := fake.CallbackMessage{FromUserName: "o", ToUserName: "gh", MsgType: "text", Content: "你好", MsgID: 1, CreateTime: 1}
	_, plain, _ := fake.BuildCallback(fake.Account{Token: "t"}, seed, "1", "n")
	f.Add(plain, false)
	f.Add([]byte("<xml><MsgType>event</MsgType><Event>subscribe</Event><FromUserName>x</FromUserName></xml>"), false)
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa">]><xml>&a;</xml>`), false)
	f.Add([]byte("<xml><Encrypt>AAAA</Encrypt></xml>"), true)
	f.Add([]byte{0xff, 0xfe, 0x00}, true)

	s := modelstest.MustOpen(f, "sqlite")
	f.Fuzz(func(t *testing.T, body []byte, safe bool) {
		e := newEnvOnce(t, s, safe)
		before := e.Inbound()
		q := url.Values{"timestamp": {"1700000000"}, "nonce": {"n"}}
		q.Set("signature", util.Signature(e.Acct.Token, "1700000000", "n"))
		if safe {
			q.Set("encrypt_type", "aes")
			var env struct {
				Encrypt string `xml:"Encrypt"`
			}
			_ = xmlUnmarshal(body, &env)
			q.Set("msg_signature", util.Signature(e.Acct.Token, "1700000000", "n", env.Encrypt))
		}
		rec := e.Raw(http.MethodPost, "/wechat?"+q.Encode(), body)
		switch rec.Code {
		case 200:
		case 400, 403, 413:
			if after := e.Inbound(); after != before {
				t.Fatalf("status %d but %d message(s) stored", rec.Code, after-before)
			}
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}
