package fake

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// Close must cut short a job-finish callback stuck on a slow server and
// wait for it, so no goroutine outlives the fake.
func TestCloseStopsJobEvents(t *testing.T) {
	t.Parallel()
	arrived, stop := make(chan struct{}, 3), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client hanging up
		arrived <- struct{}{}
		select { // never answers
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop); slow.Close() })
	const app = "wx-close"
	s, _ := newFake(t, Options{CallbackTimeout: time.Minute}, Account{AppID: app, Verified: true, CallbackURL: slow.URL})
	for _, id := range []string{"a", "b"} {
		if err := s.SeedFan(app, Fan{OpenID: id, Subscribed: true}); err != nil {
			t.Fatal(err)
		}
	}
	tok := fetchToken(t, s, app)
	wantCode(t, post(t, "/cgi-bin/message/mass/send", tok, map[string]any{"touser": []string{"a", "b"},
		"msgtype": "text", "text": map[string]string{"content": "x"}}), 0)
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the MASSSENDJOBFINISH callback never started")
	}
	done := make(chan struct{})
	go func() { _ = s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop the in-flight callback")
	}
	// After Close, sends still work but start no callbacks.
	wantCode(t, post(t, "/cgi-bin/message/mass/send", tok, map[string]any{"touser": []string{"a", "b"},
		"msgtype": "text", "text": map[string]string{"content": "y"}}), 0)
	select {
	case <-arrived:
		t.Fatal("a job event was sent after Close")
	case <-time.After(100 * time.Millisecond):
	}
}

// Fans and the API hammer one account at once; -race checks the locking.
func TestConcurrentFansAndAPI(t *testing.T) {
	t.Parallel()
	const app = "wx-concurrent"
	acct := Account{AppID: app, Token: "t", EncodingAESKey: testAESKey}
	cs := newCallbackServer(t, acct, func(m *message.MixMessage) *message.Reply {
		if m.MsgType == message.MsgTypeText {
			return textReply("ok")
		}
		return nil
	})
	acct.CallbackURL = cs.URL
	s, _ := newFake(t, Options{MaxCalls: 20}, acct)
	oa := sdk(t, s, app)
	cm := oa.GetCustomerMessageManager()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := fmt.Sprintf("fan%d", i)
			if _, err := s.Follow(ctx, app, id, ""); err != nil {
				errs <- err
				return
			}
			for j := 0; j < 3; j++ {
				if d, err := s.SendText(ctx, app, id, "hi"); err != nil || d == nil || d.Text != "ok" {
					errs <- fmt.Errorf("%s: %+v %v", id, d, err)
				}
				if err := cm.Send(message.NewCustomerTextMessage(id, "reply")); err != nil {
					errs <- err
				}
				_ = s.Inbox(app, id)
				_ = s.Fans(app)
				_ = s.Calls()
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := 0; i < 10; i++ {
		if n := len(outbox(s, app, fmt.Sprintf("fan%d", i), SourceCustom)); n != 3 {
			t.Errorf("fan%d got %d custom messages, want 3", i, n)
		}
	}
	calls := s.Calls()
	if len(calls) != 20 { // a token fetch and 30 sends were made
		t.Fatalf("kept %d calls, want MaxCalls=20", len(calls))
	}
}

func TestCallsKeepsNewest(t *testing.T) {
	t.Parallel()
	s := New(Options{MaxCalls: 3})
	defer s.Close()
	for i := 0; i < 5; i++ {
		s.record(Call{Path: fmt.Sprint(i)})
	}
	var paths []string
	for _, c := range s.Calls() {
		paths = append(paths, c.Path)
	}
	if fmt.Sprint(paths) != "[2 3 4]" {
		t.Fatalf("kept %v, want the newest three, oldest first", paths)
	}
}

func TestCallbackMessageRoundTrip(t *testing.T) {
	t.Parallel()
	in := CallbackMessage{ToUserName: "gh_x", FromUserName: "o1", CreateTime: 1, MsgType: "event",
		Event: "scancode_waitmsg", EventKey: "scan-1", ScanType: "qrcode", ScanResult: "https://x/?a=1&b=2"}
	b, err := xml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out CallbackMessage
	if err := xml.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("round trip:\n%+v\n%+v\n%s", in, out, b)
	}
	var mix message.MixMessage
	if err := xml.Unmarshal(b, &mix); err != nil || mix.ScanCodeInfo.ScanResult != in.ScanResult {
		t.Fatalf("SDK parse: %+v, %v", mix.ScanCodeInfo, err)
	}
	job := CallbackMessage{MsgType: "event", Event: "MASSSENDJOBFINISH", JobMsgID: 9, Status: "send success"}
	b, _ = xml.Marshal(job)
	if err := xml.Unmarshal(b, &mix); err != nil || mix.TemplateMsgID != 9 || mix.TotalCount != 0 {
		t.Fatalf("job event: %+v, %v (%s)", mix, err, b)
	}
}
