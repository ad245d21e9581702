package fake

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

// token is one issued access_token.
type token struct {
	value   string
	appID   string
	stable  bool
	expires time.Time
	// invalidAt, when set, is when a newer token retires this one (40001).
	invalidAt time.Time
	// stale tokens were retired by ExpireTokens: 40001 at once.
	stale bool
}

// newToken issues a token for a. Caller holds s.mu.
func (s *Server) newToken(a *account, stable bool, now time.Time) *token {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	t := &token{
		value:   base64.RawURLEncoding.EncodeToString(b),
		appID:   a.AppID,
		stable:  stable,
		expires: now.Add(s.opts.TokenTTL),
	}
	s.pruneTokens(now)
	s.tokens[t.value] = t
	return t
}

// pruneTokens forgets tokens long dead, so a load generator fetching tokens
// in a loop does not grow the map forever. A forgotten token answers 40001
// instead of 42001, which a caller handles the same way.
func (s *Server) pruneTokens(now time.Time) {
	if len(s.tokens) < 1024 {
		return
	}
	for v, t := range s.tokens {
		if now.Sub(t.expires) > s.opts.TokenTTL {
			delete(s.tokens, v)
		}
	}
}

// authorize resolves an access_token to its account. Caller holds s.mu.
func (s *Server) authorize(value string, now time.Time) (*account, reply) {
	if value == "" {
		return nil, fail(41001, "")
	}
	t := s.tokens[value]
	if t == nil || t.stale {
		return nil, fail(40001, "")
	}
	if !t.invalidAt.IsZero() && !now.Before(t.invalidAt) {
		return nil, fail(40001, "")
	}
	if !now.Before(t.expires) {
		return nil, fail(42001, "")
	}
	a := s.accounts[t.appID]
	if a == nil {
		return nil, fail(40001, "")
	}
	return a, reply{}
}

// credentials checks appid and secret: 40013 unknown appid, 40125 bad secret.
func (s *Server) credentials(appID, secret string) (*account, *reply) {
	a := s.accounts[appID]
	if a == nil {
		r := fail(40013, "")
		return nil, &r
	}
	if secret != a.AppSecret {
		r := fail(40125, "")
		return nil, &r
	}
	return a, nil
}

// handleToken is GET /cgi-bin/token?grant_type=client_credential&appid=&secret=.
// Each call issues a new token; the previous ones stay valid for TokenGrace.
func (s *Server) handleToken(c *apiCall) reply {
	if c.query.Get("grant_type") != "client_credential" {
		return fail(40002, "")
	}
	a, rep := s.credentials(c.query.Get("appid"), c.query.Get("secret"))
	if rep != nil {
		return *rep
	}
	retire := c.now.Add(s.opts.TokenGrace)
	for _, t := range s.tokens {
		if t.appID == a.AppID && !t.stable && (t.invalidAt.IsZero() || t.invalidAt.After(retire)) {
			t.invalidAt = retire
		}
	}
	t := s.newToken(a, false, c.now)
	return data(map[string]any{"access_token": t.value, "expires_in": int(s.opts.TokenTTL / time.Second)})
}

// handleStableToken is POST /cgi-bin/stable_token: every caller gets the same
// token until it expires; force_refresh issues a new one and retires the old
// after TokenGrace. Stable and ordinary tokens never retire each other.
func (s *Server) handleStableToken(c *apiCall) reply {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	if req.GrantType != "client_credential" {
		return fail(40002, "")
	}
	a, rep := s.credentials(req.AppID, req.Secret)
	if rep != nil {
		return *rep
	}
	cur := a.stableToken
	usable := cur != nil && !cur.stale && c.now.Before(cur.expires) &&
		(cur.invalidAt.IsZero() || c.now.Before(cur.invalidAt))
	if !usable || req.ForceRefresh {
		if usable {
			cur.invalidAt = c.now.Add(s.opts.TokenGrace)
		}
		cur = s.newToken(a, true, c.now)
		a.stableToken = cur
	}
	left := int(cur.expires.Sub(c.now) / time.Second)
	return data(map[string]any{"access_token": cur.value, "expires_in": left})
}

// ExpireTokens makes every token issued so far for appID stale: the next call
// using one answers 40001, as after a token was refreshed elsewhere. Use it
// to test that callers drop their cached token and retry once.
func (s *Server) ExpireTokens(appID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if t.appID == appID {
			t.stale = true
		}
	}
	if a := s.accounts[appID]; a != nil {
		a.stableToken = nil
	}
}
