package wechat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/credential"
)

// SharedToken is the access-token source for several fivec processes on one
// database, without Redis. The token lives in the database: a process that
// finds it missing or expired takes the refresh lock and fetches a new one;
// the others wait for it and read it. Each process keeps the token it read
// for ReadEvery before reading again. When WeChat refuses a token (40001),
// only that token is marked expired, so a refusal seen by every replica at
// once still leads to one fetch. It implements the SDK's
// credential.AccessTokenContextHandle.
type SharedToken struct {
	Store   TokenStore
	Account Account
	// Holder names this process in the refresh lock.
	Holder string
	// ReadEvery is how long a process uses the token it read (default 1 min;
	// an ordinary token stays valid for 5 minutes after a newer one is issued).
	ReadEvery time.Duration
	// LockFor is how long a refresher holds the lock (default 15 s, more
	// than the HTTP client's 10 s timeout); a process that dies mid-fetch
	// blocks the others for at most this long.
	LockFor time.Duration
	// Wait bounds how long a process waits for another's refresh (default
	// LockFor + 5 s, so that a dead refresher is taken over meanwhile).
	Wait time.Duration
	// Now is the clock of expiry (default time.Now).
	Now func() time.Time
	// Fetch, when set, fetches the value instead of the access-token
	// endpoints: the jsapi_ticket shares the same rules (JSTicket).
	Fetch func(ctx context.Context) (string, time.Duration, error)

	mu     sync.Mutex // one reader or refresher per process at a time
	cached string
	until  time.Time
}

// GetAccessToken implements credential.AccessTokenHandle.
func (s *SharedToken) GetAccessToken() (string, error) {
	return s.GetAccessTokenContext(context.Background())
}

// GetAccessTokenContext returns the shared token, fetching it when it is
// missing or expired and no other process is doing so.
func (s *SharedToken) GetAccessTokenContext(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != "" && s.now().Before(s.until) {
		return s.cached, nil
	}
	lockFor := s.LockFor
	if lockFor <= 0 {
		lockFor = 15 * time.Second
	}
	wait := s.Wait
	if wait <= 0 {
		wait = lockFor + 5*time.Second
	}
	started := time.Now()
	for {
		row, err := s.Store.SharedToken(ctx, s.Account.AppID)
		if err != nil {
			return "", err
		}
		now := s.now()
		if row.Token != "" && now.Before(row.ExpiresAt) {
			s.keep(row.Token, row.ExpiresAt, now)
			return row.Token, nil
		}
		ok, err := s.Store.TakeTokenRefresh(ctx, s.Account.AppID, row.Token, s.Holder, lockFor)
		if err != nil {
			return "", err
		}
		if ok {
			return s.refresh(ctx)
		}
		if time.Since(started) > wait {
			return "", fmt.Errorf("access token: another process has been refreshing it for over %s", wait)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// refresh fetches a token while holding the lock and stores it.
func (s *SharedToken) refresh(ctx context.Context) (string, error) {
	fetch := s.fetch
	if s.Fetch != nil {
		fetch = s.Fetch
	}
	tok, expiresIn, err := fetch(ctx)
	if err != nil {
		if rerr := s.Store.ReleaseTokenRefresh(context.WithoutCancel(ctx), s.Account.AppID, s.Holder); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return "", err
	}
	now := s.now()
	// Stop using it a little before WeChat does.
	expires := now.Add(expiresIn - min(5*time.Minute, expiresIn/4))
	stored, err := s.Store.StoreSharedToken(ctx, s.Account.AppID, s.Holder, tok, expires)
	if err != nil {
		return "", err
	}
	if stored {
		s.keep(tok, expires, now)
	}
	return tok, nil
}

// fetch asks WeChat for a token (/cgi-bin/stable_token or /cgi-bin/token).
func (s *SharedToken) fetch(ctx context.Context) (string, time.Duration, error) {
	a := s.Account
	var res credential.ResAccessToken
	var err error
	if a.StableToken {
		h := credential.NewStableAccessToken(a.AppID, a.AppSecret, credential.CacheKeyOfficialAccountPrefix, NewMemoryCache(nil))
		res, err = h.(*credential.StableAccessToken).GetAccessTokenDirectly(ctx, false)
	} else {
		res, err = credential.GetTokenFromServerContext(ctx, fmt.Sprintf(
			"%s/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s", RealAPIBase, a.AppID, a.AppSecret))
	}
	if err != nil {
		msg := err.Error()
		if a.AppSecret != "" {
			msg = strings.ReplaceAll(msg, a.AppSecret, "***")
		}
		return "", 0, normalize(errors.New("fetch access token: " + msg))
	}
	if res.AccessToken == "" || res.ExpiresIn <= 0 {
		return "", 0, errors.New("fetch access token: WeChat answered without a token")
	}
	return res.AccessToken, time.Duration(res.ExpiresIn) * time.Second, nil
}

// keep caches tok in this process until ReadEvery passes or it expires.
// Caller holds s.mu.
func (s *SharedToken) keep(tok string, expires, now time.Time) {
	every := s.ReadEvery
	if every <= 0 {
		every = time.Minute
	}
	s.cached, s.until = tok, now.Add(every)
	if expires.Before(s.until) {
		s.until = expires
	}
}

// peek returns the token this process holds now ("" when none).
func (s *SharedToken) peek() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cached
}

// Invalidate records that WeChat refused bad (the token a call used; ""
// means the one this process holds): this process forgets it and the
// database marks it expired, unless another process already replaced it.
//
// It holds the lock until the store has the token marked: otherwise another
// call of this process could read the refused token back as valid in
// between, keep it for a minute, and fail its retry with it.
func (s *SharedToken) Invalidate(ctx context.Context, bad string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if bad == "" {
		bad = s.cached
	}
	if s.cached == bad {
		s.cached = ""
	}
	if bad == "" {
		return nil
	}
	return s.Store.ExpireSharedToken(ctx, s.Account.AppID, bad)
}

func (s *SharedToken) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
