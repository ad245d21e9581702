package fake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Web authorisation (网页授权, wechat-platform.md §12) as the fan's phone
// sees it. Real WeChat knows which fan opened a page because the page runs
// in the fan's WeChat; the fake knows it from PhoneCookie, which
// /connect/oauth2/phone sets (the simulator opens fan pages through it).
//
//   - GET /connect/oauth2/authorize: snsapi_base redirects back at once with
//     a code; snsapi_userinfo first shows the consent page (允许 / 拒绝; a
//     refusal redirects back with the state and no code, as WeChat does).
//   - GET /sns/oauth2/access_token: a code works once (40163 afterwards)
//     and for CodeTTL (40029 after, and for codes never issued).
//   - GET /sns/userinfo: the page token of an snsapi_userinfo code only
//     (48001 for snsapi_base).

// PhoneCookie names the cookie by which the fake's authorisation page knows
// the fan: its value is the openid of the fan whose phone the browser plays.
const PhoneCookie = "fakewx_phone"

// CodeTTL is how long an authorisation code can be exchanged.
const CodeTTL = 5 * time.Minute

// pageTokenTTL is the life of an sns access_token.
const pageTokenTTL = 7200 * time.Second

type oauthCode struct {
	appID, openID, scope string
	issued               time.Time
	used                 bool
}

type pageToken struct {
	appID, openID, scope string
	expires              time.Time
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NicknameOf is the nickname sns/userinfo gives a simulated fan: 微信用户
// and four digits, the same for an openid every time.
func NicknameOf(openID string) string {
	h := fnv.New32a()
	h.Write([]byte(openID))
	return fmt.Sprintf("微信用户%04d", h.Sum32()%10000)
}

// serveConnect answers the pages of open.weixin.qq.com/connect/oauth2.
func (s *Server) serveConnect(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/connect/oauth2/phone":
		s.servePhone(w, r)
	case "/connect/oauth2/authorize":
		s.serveAuthorize(w, r)
	default:
		connectPage(w, http.StatusNotFound, "页面不存在", "请检查链接是否完整。", nil)
	}
}

// servePhone makes the browser the phone of ?openid= and opens the path of
// ?next= on this site.
func (s *Server) servePhone(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	openID, next := q.Get("openid"), q.Get("next")
	if openID == "" || len(openID) > 64 || strings.ContainsAny(openID, ";, \"") {
		connectPage(w, http.StatusBadRequest, "粉丝无效", "请在模拟器里先选择一位粉丝。", nil)
		return
	}
	u, err := url.Parse(next)
	if err != nil || next == "" || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		connectPage(w, http.StatusBadRequest, "链接无效", "请检查页面地址。", nil)
		return
	}
	// Only the path is kept: the page opens on this site, whatever host
	// the address names (the browser may reach it by another name).
	http.SetCookie(w, &http.Cookie{Name: PhoneCookie, Value: openID, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, u.RequestURI(), http.StatusFound)
}

func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		_ = r.ParseForm()
	}
	appID, scope, state := q.Get("appid"), q.Get("scope"), q.Get("state")
	redirect, err := url.Parse(q.Get("redirect_uri"))
	s.mu.Lock()
	a := s.accounts[appID]
	s.mu.Unlock()
	switch {
	case a == nil:
		connectPage(w, http.StatusBadRequest, "appid 参数错误", "请检查公众号的 AppID。", nil)
		return
	case q.Get("response_type") != "code" || (scope != "snsapi_base" && scope != "snsapi_userinfo"):
		connectPage(w, http.StatusBadRequest, "参数错误", "scope 参数错误或没有 scope 权限（10005）。", nil)
		return
	case err != nil || !redirect.IsAbs() || (redirect.Scheme != "http" && redirect.Scheme != "https"):
		connectPage(w, http.StatusBadRequest, "redirect_uri 参数错误", "请检查跳转地址（10003）。", nil)
		return
	case a.OAuthDomain != "" && redirect.Hostname() != a.OAuthDomain:
		connectPage(w, http.StatusBadRequest, "redirect_uri 域名与后台配置不一致", "请在公众号后台设置网页授权域名（10003）。", nil)
		return
	}
	ck, err := r.Cookie(PhoneCookie)
	if err != nil || ck.Value == "" {
		connectPage(w, http.StatusOK, "请在微信客户端打开链接", "", nil)
		return
	}
	back := redirect.Query()
	if scope == "snsapi_userinfo" && r.Method != http.MethodPost {
		connectPage(w, http.StatusOK, "授权登录", "", &consent{Nickname: NicknameOf(ck.Value)})
		return
	}
	if scope == "snsapi_base" || r.PostForm.Get("decision") == "allow" {
		code := randomHex(16)
		s.mu.Lock()
		s.codes[code] = &oauthCode{appID: appID, openID: ck.Value, scope: scope, issued: s.opts.Now()}
		s.mu.Unlock()
		back.Set("code", code)
	}
	back.Set("state", state)
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// handleSNSToken is GET /sns/oauth2/access_token.
func (s *Server) handleSNSToken(c *apiCall) reply {
	q := c.query
	a, rep := s.credentials(q.Get("appid"), q.Get("secret"))
	if a == nil {
		return *rep
	}
	if q.Get("grant_type") != "authorization_code" {
		return fail(40002, "")
	}
	code := s.codes[q.Get("code")]
	switch {
	case code == nil || code.appID != a.AppID || c.now.Sub(code.issued) >= CodeTTL:
		return fail(40029, "")
	case code.used:
		return fail(40163, "")
	}
	code.used = true
	tok := randomHex(24)
	s.pageTokens[tok] = &pageToken{appID: a.AppID, openID: code.openID, scope: code.scope, expires: c.now.Add(pageTokenTTL)}
	return data(map[string]any{"access_token": tok, "expires_in": int(pageTokenTTL.Seconds()),
		"refresh_token": randomHex(24), "openid": code.openID, "scope": code.scope})
}

// handleSNSUserInfo is GET /sns/userinfo.
func (s *Server) handleSNSUserInfo(c *apiCall) reply {
	t := s.pageTokens[c.query.Get("access_token")]
	switch {
	case t == nil || !c.now.Before(t.expires):
		return fail(40001, "")
	case t.openID != c.query.Get("openid"):
		return fail(40003, "")
	case t.scope != "snsapi_userinfo":
		return fail(48001, "")
	}
	c.appID = t.appID
	return data(map[string]any{"openid": t.openID, "nickname": NicknameOf(t.openID), "sex": 0, "province": "",
		"city": "", "country": "", "headimgurl": "", "privilege": []string{}})
}

type consent struct{ Nickname string }

var connectTmpl = template.Must(template.New("connect").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font:16px/1.6 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;padding:40px 24px;color:#111;text-align:center;background:#fff}
h1{font-size:20px;margin:24px 0 8px}p{color:#666}.who{margin:24px 0;padding:16px;border-top:1px solid #eee;border-bottom:1px solid #eee;text-align:left}
button{display:block;width:100%;padding:12px;margin:12px 0;border:0;border-radius:8px;font-size:17px}
.allow{background:#07c160;color:#fff}.deny{background:#f2f2f2;color:#07c160}</style></head>
<body>{{if .Consent}}<h1>fivec 申请获得以下权限</h1>
<div class="who"><p>获得你的公开信息（昵称、头像等）</p><p><b>{{.Consent.Nickname}}</b> · 微信个人信息</p></div>
<form method="post"><button class="allow" name="decision" value="allow" id="wx-allow">允许</button>
<button class="deny" name="decision" value="deny" id="wx-deny">拒绝</button></form>
{{else}}<h1>{{.Title}}</h1>{{with .Hint}}<p>{{.}}</p>{{end}}{{end}}</body></html>`))

func connectPage(w http.ResponseWriter, status int, title, hint string, c *consent) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = connectTmpl.Execute(w, struct {
		Title, Hint string
		Consent     *consent
	}{title, hint, c})
}
