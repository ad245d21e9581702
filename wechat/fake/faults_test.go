package fake

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	const app = "wx-rate"
	s, clk := newFake(t, Options{RateLimits: map[string]int{"/cgi-bin/user/get": 2}}, Account{AppID: app})
	u := sdk(t, s, app).GetUser()
	for i := 0; i < 2; i++ {
		if _, err := u.ListUserOpenIDs(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := u.ListUserOpenIDs()
	if err == nil || !strings.Contains(err.Error(), "errcode=45011") {
		t.Fatalf("third call in a minute: %v", err)
	}
	clk.Advance(time.Minute)
	if _, err := u.ListUserOpenIDs(); err != nil {
		t.Fatalf("next minute: %v", err)
	}

	// Mass endpoints default to 60 a minute.
	tok := fetchToken(t, s, app)
	for i := 0; i < 60; i++ {
		wantCode(t, post(t, "/cgi-bin/message/mass/get", tok, map[string]any{"msg_id": 1}), 40035)
	}
	wantCode(t, post(t, "/cgi-bin/message/mass/get", tok, map[string]any{"msg_id": 1}), 45011)
}

func TestInjectFault(t *testing.T) {
	t.Parallel()
	const app = "wx-fault"
	s, _ := newFake(t, Options{}, Account{AppID: app, Verified: true})
	if err := s.SeedFan(app, Fan{OpenID: "o1", Subscribed: true}); err != nil {
		t.Fatal(err)
	}
	u := sdk(t, s, app).GetUser()

	s.InjectFault("/cgi-bin/user/info", Fault{Status: http.StatusInternalServerError, Times: 2})
	for i := 0; i < 2; i++ {
		if _, err := u.GetUserInfo("o1"); err == nil || !strings.Contains(err.Error(), "statusCode=500") {
			t.Fatalf("faulted call %d: %v", i, err)
		}
	}
	if _, err := u.GetUserInfo("o1"); err != nil {
		t.Fatalf("after the fault: %v", err)
	}

	s.InjectFault("/cgi-bin/message/template/send", Fault{ErrCode: 45009})
	tok := fetchToken(t, s, app)
	tpl := map[string]any{"touser": "o1", "template_id": "T", "data": map[string]any{}}
	wantCode(t, post(t, "/cgi-bin/message/template/send", tok, tpl), 45009)
	wantCode(t, post(t, "/cgi-bin/message/template/send", tok, tpl), 0)

	// A delay is cut short by the caller's deadline.
	s.InjectFault("/cgi-bin/user/get", Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := util.HTTPGetContext(ctx, "https://api.weixin.qq.com/cgi-bin/user/get?access_token="+url.QueryEscape(tok))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Fatalf("delayed call: %v after %v", err, time.Since(start))
	}

	// Unknown paths answer 404 {"errcode":-1}; every call is recorded.
	resp, err := http.Get(apiURL + "/cgi-bin/teleport?appid=" + app)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeBody(t, resp)
	if resp.StatusCode != http.StatusNotFound || code(m) != -1 {
		t.Fatalf("unknown path: %d %v", resp.StatusCode, m)
	}
	var statuses []int
	for _, c := range s.CallsFor(app) {
		if c.Path == "/cgi-bin/user/info" {
			statuses = append(statuses, c.HTTPStatus)
		}
	}
	if len(statuses) != 3 || statuses[0] != 500 || statuses[2] != 200 {
		t.Fatalf("user/info calls recorded: %v", statuses)
	}
	var tplCall, unknown Call
	for _, c := range s.CallsFor(app) {
		switch {
		case c.Path == "/cgi-bin/message/template/send" && tplCall.Path == "":
			tplCall = c
		case c.Path == "/cgi-bin/teleport":
			unknown = c
		}
	}
	if unknown.ErrCode != -1 || unknown.HTTPStatus != http.StatusNotFound {
		t.Fatalf("unknown path call: %+v", unknown)
	}
	if tplCall.ErrCode != 45009 || !strings.Contains(tplCall.Body, `"template_id":"T"`) {
		t.Fatalf("template call: %+v", tplCall)
	}
	// GET on a POST endpoint.
	wantCode(t, get(t, "/cgi-bin/message/custom/send", url.Values{"access_token": {tok}}), 43002)
}
