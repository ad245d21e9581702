package main

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/sirupsen/logrus"

	"github.com/fivec/fivec/wechat/fake"
)

// targetBaseline names the bare SDK echo server in reports.
const targetBaseline = "baseline"

// echoHandler is the SDK's README example as an http.Handler: parse (and in
// safe mode decrypt) the callback, answer the fan's text with itself. It
// stores nothing, so it is the ceiling any real pipeline is measured against.
// The only addition to the README is a 400 when Serve fails (the README
// prints the error and answers an empty 200, which would hide failures).
func echoHandler(acct fake.Account) http.Handler {
	oa := newEchoAccount(acct)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv := oa.GetServer(r, w)
		srv.SetMessageHandler(echoReply)
		if err := srv.Serve(); err != nil {
			http.Error(w, "bad callback", http.StatusBadRequest)
			return
		}
		_ = srv.Send()
	})
}

// newEchoAccount is the SDK's official account the echo serves acct with.
func newEchoAccount(acct fake.Account) *officialaccount.OfficialAccount {
	// The SDK logs every message at debug level through logrus otherwise.
	logrus.SetLevel(logrus.WarnLevel)
	return officialaccount.NewOfficialAccount(&oaconfig.Config{
		AppID: acct.AppID, AppSecret: acct.AppSecret, Token: acct.Token,
		EncodingAESKey: acct.EncodingAESKey, Cache: newMemoryCache(),
	})
}

// echoReply is the README's answer: the fan's text as a text reply (for an
// event, whose Content is empty, an empty text).
func echoReply(msg *message.MixMessage) *message.Reply {
	return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(msg.Content)}
}

// server is an HTTP server on a loopback port.
type server struct {
	URL string // base URL, no trailing slash
	srv *http.Server
}

// startServer serves h on 127.0.0.1 at a free port.
func startServer(h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server and its connections.
func (s *server) Close() { _ = s.srv.Close() }

// memoryCache is a race-free cache.Cache: the SDK's cache.Memory reads its
// map without the lock (issue #888).
type memoryCache struct {
	mu    sync.Mutex
	items map[string]cacheItem
}

type cacheItem struct {
	val     any
	expires time.Time // zero: never
}

func newMemoryCache() *memoryCache { return &memoryCache{items: map[string]cacheItem{}} }

// Get returns the value, or nil when missing or expired.
func (c *memoryCache) Get(key string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if !ok || (!it.expires.IsZero() && time.Now().After(it.expires)) {
		return nil
	}
	return it.val
}

// Set stores val for timeout (0: no expiry).
func (c *memoryCache) Set(key string, val any, timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	it := cacheItem{val: val}
	if timeout > 0 {
		it.expires = time.Now().Add(timeout)
	}
	c.items[key] = it
	return nil
}

// IsExist reports whether key holds an unexpired value.
func (c *memoryCache) IsExist(key string) bool { return c.Get(key) != nil }

// Delete removes key.
func (c *memoryCache) Delete(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, key)
	return nil
}
