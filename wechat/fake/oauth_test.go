package fake

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// authorize opens the authorisation page as the phone of openID ("" for a
// browser that is no phone) and returns the answer.
func authorize(s *Server, method, openID string, q url.Values, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, "/connect/oauth2/authorize?"+q.Encode(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, "/connect/oauth2/authorize?"+q.Encode(), nil)
	}
	if openID != "" {
		req.AddCookie(&http.Cookie{Name: PhoneCookie, Value: openID})
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func authQuery(appID, scope string) url.Values {
	return url.Values{"appid": {appID}, "redirect_uri": {"https://fivec.example/fan/oauth?x=1"}, "response_type": {"code"},
		"scope": {scope}, "state": {"st-1"}}
}

// codeOf returns the code of a redirect back to the page, checking the
// state came back.
func codeOf(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if rec.Code != http.StatusFound {
		t.Fatalf("authorize: %d %s", rec.Code, rec.Body)
	}
	u, err := url.Parse(rec.Header().Get("Location"))
	if err != nil || u.Host != "fivec.example" || u.Query().Get("state") != "st-1" || u.Query().Get("x") != "1" {
		t.Fatalf("redirect: %s", rec.Header().Get("Location"))
	}
	return u.Query().Get("code")
}

// TestOAuthBaseThroughSDK: snsapi_base redirects back at once with a code
// that the SDK exchanges for the fan's openid, once; a second exchange is
// 40163, a code past 5 minutes or never issued 40029, a wrong secret 40125;
// the base scope's page token may not read sns/userinfo (48001).
func TestOAuthBaseThroughSDK(t *testing.T) {
	t.Parallel()
	s, clk := newFake(t, Options{}, Account{AppID: "wx-oauth-base"})
	oa := sdk(t, s, "wx-oauth-base").GetOauth()
	code := codeOf(t, authorize(s, http.MethodGet, "o_base", authQuery("wx-oauth-base", "snsapi_base"), nil))
	tok, err := oa.GetUserAccessToken(code)
	if err != nil || tok.OpenID != "o_base" || tok.Scope != "snsapi_base" {
		t.Fatalf("exchange: %+v %v", tok, err)
	}
	_, err = oa.GetUserAccessToken(code)
	wantErrCode(t, err, 40163)
	_, err = oa.GetUserAccessToken("never-issued")
	wantErrCode(t, err, 40029)
	_, err = oa.GetUserInfo(tok.AccessToken, "o_base", "")
	wantErrCode(t, err, 48001)

	late := codeOf(t, authorize(s, http.MethodGet, "o_base", authQuery("wx-oauth-base", "snsapi_base"), nil))
	clk.Advance(CodeTTL)
	_, err = oa.GetUserAccessToken(late)
	wantErrCode(t, err, 40029)

	wantCode(t, get(t, "/sns/oauth2/access_token", url.Values{"appid": {"wx-oauth-base"}, "secret": {"wrong"},
		"code": {"x"}, "grant_type": {"authorization_code"}}), 40125)
}

// TestOAuthUserInfoConsent: snsapi_userinfo shows the consent page first;
// 允许 redirects with a code whose token reads the nickname, 拒绝 redirects
// with the state and no code. A browser that is no phone is told to open
// the link in WeChat; a redirect off the account's 网页授权域名 is refused.
func TestOAuthUserInfoConsent(t *testing.T) {
	t.Parallel()
	s, _ := newFake(t, Options{}, Account{AppID: "wx-oauth-info", OAuthDomain: "fivec.example"})
	oa := sdk(t, s, "wx-oauth-info").GetOauth()
	q := authQuery("wx-oauth-info", "snsapi_userinfo")
	page := authorize(s, http.MethodGet, "o_info_1", q, nil)
	if page.Code != 200 || !strings.Contains(page.Body.String(), "允许") || !strings.Contains(page.Body.String(), NicknameOf("o_info_1")) {
		t.Fatalf("consent page: %d %s", page.Code, page.Body)
	}
	code := codeOf(t, authorize(s, http.MethodPost, "o_info_1", q, url.Values{"decision": {"allow"}}))
	info, err := oa.GetUserInfoByCodeContext(context.Background(), code)
	if err != nil || info.OpenID != "o_info_1" || info.Nickname != NicknameOf("o_info_1") {
		t.Fatalf("user info: %+v %v", info, err)
	}
	if code := codeOf(t, authorize(s, http.MethodPost, "o_info_1", q, url.Values{"decision": {"deny"}})); code != "" {
		t.Fatalf("a refusal gave a code: %q", code)
	}
	if rec := authorize(s, http.MethodGet, "", q, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "请在微信客户端打开链接") {
		t.Fatalf("not a phone: %d %s", rec.Code, rec.Body)
	}
	off := authQuery("wx-oauth-info", "snsapi_base")
	off.Set("redirect_uri", "https://elsewhere.example/x")
	if rec := authorize(s, http.MethodGet, "o_info_1", off, nil); rec.Code != 400 || !strings.Contains(rec.Body.String(), "域名") {
		t.Fatalf("redirect off the domain: %d %s", rec.Code, rec.Body)
	}
	if rec := authorize(s, http.MethodGet, "o_info_1", authQuery("wx-unknown", "snsapi_base"), nil); rec.Code != 400 {
		t.Fatalf("unknown appid: %d", rec.Code)
	}
}
