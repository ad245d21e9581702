package wechat

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/silenceper/wechat/v2/officialaccount/oauth"
)

// RealOAuthBase is the host of WeChat's authorisation page.
const RealOAuthBase = "https://open.weixin.qq.com"

// OAuth is web authorisation (网页授权) for the fan pages: the address that
// sends a fan to WeChat, and the calls that turn the code WeChat sends back
// into an openid (and, with snsapi_userinfo, a nickname and avatar). The
// sns calls go through the SDK and so to the configured API base like every
// other call; the authorisation page is on its own host, AuthorizeBase.
type OAuth struct {
	sdk *oauth.Oauth
	// AuthorizeBase replaces https://open.weixin.qq.com (the sandbox: the
	// fake WeChat's address). Empty: the real one.
	AuthorizeBase string
}

// OAuth returns the client's web authorisation, with the authorisation page
// at authorizeBase ("" for WeChat's own).
func (c *Client) OAuth(authorizeBase string) *OAuth {
	return &OAuth{sdk: c.OA.GetOauth(), AuthorizeBase: strings.TrimRight(authorizeBase, "/")}
}

// AuthorizeURL is where to send the fan: WeChat asks (snsapi_userinfo) or
// not (snsapi_base), then redirects to redirectURI with code and state.
func (o *OAuth) AuthorizeURL(redirectURI, scope, state string) string {
	u, _ := o.sdk.GetRedirectURL(redirectURI, scope, state) // never fails
	if o.AuthorizeBase != "" && o.AuthorizeBase != RealOAuthBase {
		u = strings.Replace(u, RealOAuthBase, o.AuthorizeBase, 1)
	}
	return u
}

// OAuthUser is who came back from the authorisation.
type OAuthUser struct {
	OpenID string
	Scope  string
	// Nickname and AvatarURL: only with snsapi_userinfo.
	Nickname  string
	AvatarURL string
}

// Exchange turns a code into the fan's openid; with snsapi_userinfo it also
// fetches the nickname and avatar. A used, expired or forged code is an
// *APIError (40029, 40163); no error text carries the app secret or a token.
func (o *OAuth) Exchange(ctx context.Context, code string) (*OAuthUser, error) {
	tok, err := o.sdk.GetUserAccessTokenContext(ctx, code)
	if err != nil {
		return nil, scrubSecret(normalize(err))
	}
	u := &OAuthUser{OpenID: tok.OpenID, Scope: tok.Scope}
	if !strings.Contains(tok.Scope, "snsapi_userinfo") {
		return u, nil
	}
	info, err := o.sdk.GetUserInfoContext(ctx, tok.AccessToken, tok.OpenID, "zh_CN")
	if err != nil {
		return nil, scrubSecret(normalize(err))
	}
	u.Nickname, u.AvatarURL = info.Nickname, info.HeadImgURL
	return u, nil
}

var secretInText = regexp.MustCompile(`(secret|code|refresh_token)=[^&\s"]+`)

// scrubSecret removes the app secret, codes and page tokens from an
// error's text (the SDK's errors include the URL).
func scrubSecret(err error) error {
	if err == nil {
		return nil
	}
	if ae, ok := err.(*APIError); ok {
		ae.Msg = secretInText.ReplaceAllString(ae.Msg, "$1=***")
		return ae
	}
	s := &scrubbed{msg: secretInText.ReplaceAllString(err.Error(), "$1=***")}
	if errors.Is(err, ErrTimeout) {
		s.timeout = true
	}
	return s
}

// scrubbed is an error whose text lost its secrets; it unwraps to
// ErrTimeout only (the original error's text still has them).
type scrubbed struct {
	msg     string
	timeout bool
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error {
	if s.timeout {
		return ErrTimeout
	}
	return nil
}
