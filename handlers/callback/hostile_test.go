package callback_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat/fake"
)

// refusal bodies: the whole answer to a refused callback. Nothing else
// (no error text, no stack, no SQL) may reach the sender.
var refusalBodies = map[int][]string{
	http.StatusBadRequest:            {"malformed message", "malformed envelope", "bad timestamp", "unreadable body"},
	http.StatusForbidden:             {"bad signature", "bad msg_signature", "stale timestamp", "encrypted callback required"},
	http.StatusRequestEntityTooLarge: {"body too large"},
}

// hostileCase is one correctly signed callback whose body is hostile.
type hostileCase struct {
	name string
	body []byte // the message XML (encrypted in safe mode)
	code int
	// content, when the message is accepted, is what must be stored for
	// o_hostile, byte for byte.
	content string
}

func hostileCorpus(t *testing.T) []hostileCase {
	file := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "hostile", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	deep := strings.Repeat("<a>", 200_000) + strings.Repeat("</a>", 200_000)
	text := func(content string, id string) []byte {
		return []byte("<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[o_hostile]]></FromUserName>" +
			"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + content + "]]></Content><MsgId>" + id + "</MsgId></xml>")
	}
	return []hostileCase{
		{name: "billion laughs entity bomb", body: file("billion_laughs.xml"), code: 400},
		{name: "external entity (XXE)", body: file("xxe_file.xml"), code: 400},
		{name: "invalid UTF-8 in Content", body: file("invalid_utf8.xml"), code: 400},
		{name: "NUL byte in Content", body: file("nul_bytes.xml"), code: 400},
		{name: "deeply nested XML", body: []byte("<xml>" + deep[:len(deep)/2] + "</xml>"), code: 400},
		{name: "body over 1 MiB", body: text(strings.Repeat("长", callback.MaxBody/3+1), "7010"), code: 413},
		{name: "SQL injection in text and openid", body: file("sql_injection.xml"), code: 200,
			content: `x'); DROP TABLE messages; -- " OR 1=1; SELECT * FROM staff`},
		{name: "template and script injection in text", body: file("template_injection.xml"), code: 200,
			content: `{{.}} {{printf "%v" .}} {{template "layout" .}} {{define "x"}}{{end}} ${7*7} <script>alert(1)</script> <img src=x onerror=alert(2)>`},
		{name: "unknown elements are ignored", body: file("unknown_elements.xml"), code: 200, content: "hi"},
	}
}

// TestHostileCallbacks sends the corpus, correctly signed, in plain and
// safe mode: refusals get their status and a fixed short text and store
// nothing in any table; accepted hostile text is stored verbatim and runs
// nothing (the SQL is data, the template is not executed).
func TestHostileCallbacks(t *testing.T) {
	corpus := hostileCorpus(t)
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		for _, safe := range []bool{false, true} {
			e := newEnv(t, s, safe)
			for i, c := range corpus {
				from := "o_hostile"
				if strings.Contains(c.name, "SQL") {
					from = "o_hostile' OR '1'='1"
				}
				q, body, err := fake.BuildRawCallback(e.Acct, c.body, "gh_test", from, "1700000000", "n"+string(rune('a'+i)))
				if err != nil {
					t.Fatal(err)
				}
				before, err := s.RowCounts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				rec := e.Raw(http.MethodPost, "/wechat?"+q.Encode(), body)
				after, err := s.RowCounts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				name := map[bool]string{false: "plain", true: "safe"}[safe] + ": " + c.name
				if rec.Code != c.code {
					t.Errorf("%s: status %d (%.100q), want %d", name, rec.Code, rec.Body.String(), c.code)
					continue
				}
				if c.code != 200 {
					if !slices.Contains(refusalBodies[rec.Code], rec.Body.String()) {
						t.Errorf("%s: refusal body %.200q is not one of %q", name, rec.Body.String(), refusalBodies[rec.Code])
					}
					if changed := models.RowCountChanges(before, after); len(changed) > 0 {
						t.Errorf("%s: refused but stored: %v", name, changed)
					}
					continue
				}
				if rec.Body.String() != "success" {
					t.Errorf("%s: answer %.200q, want success (no rule matches)", name, rec.Body.String())
				}
				conv, err := s.Conversation(ctx, from, 50)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, m := range conv {
					found = found || (m.Direction == models.DirectionIn && m.Content == c.content)
				}
				if !found {
					t.Errorf("%s: %q not stored verbatim for %q: %+v", name, c.content, from, conv)
				}
			}
			// The SQL in the text was data: the tables are all still there.
			if counts, err := s.RowCounts(ctx); err != nil || counts["messages"] == 0 {
				t.Fatalf("tables after the corpus: %v %v", counts, err)
			}
		}
	})
}

// TestReplaysAndForgeries: WeChat retries a callback with the same
// timestamp, nonce and signatures, so a replay of a stored message is not
// refused: it gets the stored answer and runs nothing twice. What a replay
// cannot do is carry a different message: in safe mode msg_signature
// covers the ciphertext (403), and a safe-mode message encrypted for
// another AppID is refused (400). Forged signatures are 403. None stores
// anything.
func TestReplaysAndForgeries(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		rules := newConsulting(s)
		mustSave(t, rules, models.RuleSpec{Name: "价格", Kind: models.RuleKeyword, Keywords: kw("价格", "contains"),
			Replies: []models.Reply{models.TextReply("价格见菜单")}})
		for _, safe := range []bool{false, true} {
			e := newEnv(t, s, safe, rules)
			msg := fake.CallbackMessage{ToUserName: "gh_test", FromUserName: "o_replay", MsgType: "text", Content: "价格？", MsgID: 8001, CreateTime: 1700000000}
			q, body, err := fake.BuildCallback(e.Acct, msg, "1700000000", "replay-nonce")
			if err != nil {
				t.Fatal(err)
			}
			first := e.Raw(http.MethodPost, "/wechat?"+q.Encode(), body)
			r1, err := fake.ParseReply(e.Acct, q, first.Body.Bytes())
			if first.Code != 200 || err != nil || r1 == nil || r1.Content != "价格见菜单" {
				t.Fatalf("first delivery: %d %q %v", first.Code, first.Body.String(), err)
			}
			before, _ := s.RowCounts(ctx)
			again := e.Raw(http.MethodPost, "/wechat?"+q.Encode(), body)
			r2, err := fake.ParseReply(e.Acct, q, again.Body.Bytes())
			if again.Code != 200 || err != nil || r2 == nil || r2.Content != r1.Content {
				t.Fatalf("replay: %d %q %v, want the stored answer %q", again.Code, again.Body.String(), err, r1.Content)
			}
			after, _ := s.RowCounts(ctx)
			if changed := models.RowCountChanges(before, after); len(changed) > 0 {
				t.Errorf("replay stored again: %v", changed)
			}

			refuse := func(name string, q url.Values, body []byte, code int) {
				t.Helper()
				before, _ := s.RowCounts(ctx)
				rec := e.Raw(http.MethodPost, "/wechat?"+q.Encode(), body)
				after, _ := s.RowCounts(ctx)
				if rec.Code != code || !slices.Contains(refusalBodies[code], rec.Body.String()) {
					t.Errorf("%s: %d %.100q, want %d", name, rec.Code, rec.Body.String(), code)
				}
				if changed := models.RowCountChanges(before, after); len(changed) > 0 {
					t.Errorf("%s stored: %v", name, changed)
				}
			}
			forged := cloneValues(q)
			forged.Set("signature", util.Signature("not-the-token", "1700000000", "replay-nonce"))
			refuse("forged signature", forged, body, 403)
			noSig := cloneValues(q)
			noSig.Del("signature")
			refuse("no signature", noSig, body, 403)
			if !safe {
				continue
			}
			// The captured query with another message inside.
			other := msg
			other.MsgID, other.Content = 8002, "把积分都给我"
			_, otherBody, err := fake.BuildCallback(e.Acct, other, "1700000000", "replay-nonce")
			if err != nil {
				t.Fatal(err)
			}
			refuse("replayed signatures, new ciphertext", q, otherBody, 403)
			// Signed with the right token and key, encrypted for another AppID.
			wrong := e.Acct
			wrong.AppID = "wx_not_this_account"
			wq, wbody, err := fake.BuildCallback(wrong, other, "1700000000", "other-nonce")
			if err != nil {
				t.Fatal(err)
			}
			refuse("wrong AppID in safe mode", wq, wbody, 400)
		}
	})
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// A callback signed more than MaxSkew away from the server clock is a
// replay (WeChat signs each attempt with the message's time and retries
// within seconds): refused, nothing stored. In plain mode this is what stops
// a captured query from carrying another message, since the signature does
// not cover the body.
func TestStaleTimestampsAreRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Unix(1700000000, 0)
		for _, safe := range []bool{false, true} {
			e := newEnv(t, s, safe)
			e.Handler.MaxSkew, e.Handler.Now = 5*time.Minute, func() time.Time { return now }
			send := func(name string, ts time.Time, id int64, want int) {
				t.Helper()
				msg := fake.CallbackMessage{ToUserName: "gh_test", FromUserName: "o_skew", MsgType: "text", Content: "你好", MsgID: id, CreateTime: ts.Unix()}
				q, body, err := fake.BuildCallback(e.Acct, msg, strconv.FormatInt(ts.Unix(), 10), "skew-nonce")
				if err != nil {
					t.Fatal(err)
				}
				before, _ := s.RowCounts(ctx)
				rec := e.Raw(http.MethodPost, "/wechat?"+q.Encode(), body)
				after, _ := s.RowCounts(ctx)
				if rec.Code != want {
					t.Errorf("%s (safe=%v): %d %q, want %d", name, safe, rec.Code, rec.Body.String(), want)
				}
				if changed := models.RowCountChanges(before, after); want != 200 && len(changed) > 0 {
					t.Errorf("%s stored: %v", name, changed)
				}
				if want == 403 && rec.Body.String() != "stale timestamp" {
					t.Errorf("%s: body %q", name, rec.Body.String())
				}
			}
			send("WeChat's retry seconds later", now.Add(-15*time.Second), 9001, 200)
			send("a clock a little ahead", now.Add(4*time.Minute), 9002, 200)
			send("captured ten minutes ago", now.Add(-10*time.Minute), 9003, 403)
			send("from the future", now.Add(time.Hour), 9004, 403)

			ts := strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)
			q := url.Values{"signature": {util.Signature(e.Acct.Token, ts, "n")}, "timestamp": {ts}, "nonce": {"n"}, "echostr": {"e"}}
			if rec := e.Raw(http.MethodGet, "/wechat?"+q.Encode(), nil); rec.Code != 403 || rec.Body.String() != "stale timestamp" {
				t.Errorf("stale URL check: %d %q", rec.Code, rec.Body.String())
			}
		}
	})
}
