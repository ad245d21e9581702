package fake

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/config"
)

func TestTokenThroughSDK(t *testing.T) {
	t.Parallel()
	s, clk := newFake(t, Options{}, Account{AppID: "wx-token-sdk"})
	if err := s.SeedFan("wx-token-sdk", Fan{OpenID: "o1", Subscribed: true}); err != nil {
		t.Fatal(err)
	}
	oa := sdk(t, s, "wx-token-sdk")
	users := oa.GetUser()

	info, err := users.GetUserInfo("o1")
	if err != nil {
		t.Fatalf("user info: %v", err)
	}
	if info.Subscribe != 1 || info.OpenID != "o1" {
		t.Fatalf("info = %+v", info)
	}

	// A token the platform retired answers 40001: the SDK keeps its cached
	// token, so its next call fails (fivec's wrapper must retry once).
	s.ExpireTokens("wx-token-sdk")
	_, err = users.GetUserInfo("o1")
	wantErrCode(t, err, 40001)

	// A token past its TTL answers 42001.
	fresh := fetchToken(t, s, "wx-token-sdk")
	wantCode(t, get(t, "/cgi-bin/user/info", url.Values{"access_token": {fresh}, "openid": {"o1"}}), 0)
	clk.Advance(7200 * time.Second)
	wantCode(t, get(t, "/cgi-bin/user/info", url.Values{"access_token": {fresh}, "openid": {"o1"}}), 42001)

	var refused int
	for _, c := range s.CallsFor("wx-token-sdk") {
		if c.Path == "/cgi-bin/user/info" && c.ErrCode != 0 {
			refused++
		}
	}
	if refused != 2 {
		t.Fatalf("refused user/info calls recorded: %d, want 2", refused)
	}
}

func TestTokenCredentialsAndGrace(t *testing.T) {
	t.Parallel()
	s, clk := newFake(t, Options{}, Account{AppID: "wx-token-cred"})
	q := func(appID, secret string) url.Values {
		return url.Values{"grant_type": {"client_credential"}, "appid": {appID}, "secret": {secret}}
	}
	wantCode(t, get(t, "/cgi-bin/token", q("wx-token-cred", "wrong")), 40125)
	wantCode(t, get(t, "/cgi-bin/token", url.Values{"appid": {"wx-token-cred"}, "secret": {"secret-wx-token-cred"}}), 40002)
	res := get(t, "/cgi-bin/token", q("wx-token-cred", "secret-wx-token-cred"))
	if res["expires_in"].(interface{ String() string }).String() != "7200" {
		t.Fatalf("expires_in: %v", res)
	}
	first := res["access_token"].(string)

	// A newer token leaves the old one valid for 5 minutes, then 40001.
	second := fetchToken(t, s, "wx-token-cred")
	info := func(tok string) map[string]any {
		// appid only routes the call to this test's fake when tok is bogus.
		return get(t, "/cgi-bin/user/get", url.Values{"access_token": {tok}, "appid": {"wx-token-cred"}})
	}
	wantCode(t, info(first), 0)
	clk.Advance(5 * time.Minute)
	wantCode(t, info(first), 40001)
	wantCode(t, info(second), 0)
	wantCode(t, info(""), 41001)
	res = info("nonsense")
	wantCode(t, res, 40001)
	if res["errmsg"] == "no fake owns this request" {
		t.Fatal("bogus token not answered by the fake")
	}
}

func TestTokenUnknownAppID(t *testing.T) {
	t.Parallel()
	s, _ := newFake(t, Options{}, Account{AppID: "wx-token-unknown"})
	// The test dispatcher routes by appid, so call the fake directly.
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/cgi-bin/token?grant_type=client_credential&appid=wx-nobody&secret=x", nil))
	wantCode(t, decodeBody(t, rec.Result()), 40013)
}

func TestStableToken(t *testing.T) {
	t.Parallel()
	s, clk := newFake(t, Options{}, Account{AppID: "wx-token-stable"})
	body := map[string]any{"grant_type": "client_credential", "appid": "wx-token-stable",
		"secret": "secret-wx-token-stable"}
	a := post(t, "/cgi-bin/stable_token", "", body)
	clk.Advance(time.Hour)
	b := post(t, "/cgi-bin/stable_token", "", body)
	if a["access_token"] != b["access_token"] {
		t.Fatalf("stable_token gave two tokens: %v %v", a, b)
	}
	if b["expires_in"].(interface{ String() string }).String() != "3600" {
		t.Fatalf("expires_in after an hour: %v", b["expires_in"])
	}
	// An ordinary token does not retire the stable one.
	_ = fetchToken(t, s, "wx-token-stable")
	clk.Advance(10 * time.Minute)
	wantCode(t, get(t, "/cgi-bin/user/get", url.Values{"access_token": {a["access_token"].(string)}}), 0)

	body["force_refresh"] = true
	c := post(t, "/cgi-bin/stable_token", "", body)
	if c["access_token"] == a["access_token"] {
		t.Fatal("force_refresh returned the same token")
	}
	body["secret"] = "wrong"
	wantCode(t, post(t, "/cgi-bin/stable_token", "", body), 40125)

	// Through the SDK with UseStableAK.
	oa := officialaccount.NewOfficialAccount(&config.Config{AppID: "wx-token-stable",
		AppSecret: "secret-wx-token-stable", Cache: &memCache{}, UseStableAK: true})
	if _, err := oa.GetUser().ListUserOpenIDs(); err != nil {
		t.Fatalf("list users: %v", err)
	}
}
