package wechat

import (
	"errors"
	"strings"
	"testing"
)

// TestOAuthAuthorizeURLAndScrub: the authorisation page's host follows
// AuthorizeBase (the sandbox's fake), the redirect is escaped, and errors
// of the sns calls never carry the app secret or the code.
func TestOAuthAuthorizeURLAndScrub(t *testing.T) {
	c := NewClient(Account{AppID: "wx-oauth-url", AppSecret: "s3cret"}, NewMemoryCache(nil))
	real := c.OAuth("").AuthorizeURL("https://fivec.example/fan/oauth", "snsapi_base", "st")
	if !strings.HasPrefix(real, RealOAuthBase+"/connect/oauth2/authorize?appid=wx-oauth-url&redirect_uri=https%3A%2F%2Ffivec.example%2Ffan%2Foauth&") ||
		!strings.Contains(real, "scope=snsapi_base&state=st#wechat_redirect") {
		t.Fatalf("real: %s", real)
	}
	fake := c.OAuth("/sandbox/wechat-api/").AuthorizeURL("http://x/fan/oauth", "snsapi_userinfo", "st")
	if !strings.HasPrefix(fake, "/sandbox/wechat-api/connect/oauth2/authorize?") {
		t.Fatalf("fake: %s", fake)
	}
	err := scrubSecret(errors.New(`Get "https://api.weixin.qq.com/sns/oauth2/access_token?appid=wx&secret=s3cret&code=abc&grant_type=authorization_code": EOF`))
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "code=abc") {
		t.Fatalf("secret in %q", err)
	}
	if !errors.Is(scrubSecret(normalize(errors.New("Client.Timeout exceeded secret=s3cret"))), ErrTimeout) {
		t.Fatal("a timeout is no longer one")
	}
}
