package wechat

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/go-redis/redis/v8"

	"github.com/fivec/fivec/models"
)

// TokenStore is where SharedToken keeps the token and its refresh lock:
// the database (*models.Store) or Redis (RedisTokens).
type TokenStore interface {
	SharedToken(ctx context.Context, appID string) (*models.WeChatToken, error)
	TakeTokenRefresh(ctx context.Context, appID, seen, holder string, ttl time.Duration) (bool, error)
	StoreSharedToken(ctx context.Context, appID, holder, token string, expiresAt time.Time) (bool, error)
	ReleaseTokenRefresh(ctx context.Context, appID, holder string) error
	ExpireSharedToken(ctx context.Context, appID, token string) error
}

// RedisTokens is a TokenStore in Redis (FIVEC_REDIS_URL), with the same
// rules as the database one; each step is one atomic script. Keys:
// fivec:wechat_token:<appid> (a hash of token and expires_at in Unix
// milliseconds) and fivec:wechat_token:<appid>:lock (the refresher).
type RedisTokens struct {
	Client *redis.Client
	Now    func() time.Time
}

// NewRedisTokens connects to the Redis at url (redis:// or rediss://) and
// checks that it answers.
func NewRedisTokens(ctx context.Context, url string) (*RedisTokens, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	c := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		c.Close()
		return nil, errors.New("redis does not answer: " + err.Error())
	}
	return &RedisTokens{Client: c, Now: time.Now}, nil
}

func tokenKey(appID string) string { return "fivec:wechat_token:" + appID }

func (r *RedisTokens) nowMillis() int64 {
	if r.Now == nil {
		return time.Now().UnixMilli()
	}
	return r.Now().UnixMilli()
}

// SharedToken implements TokenStore.
func (r *RedisTokens) SharedToken(ctx context.Context, appID string) (*models.WeChatToken, error) {
	m, err := r.Client.HGetAll(ctx, tokenKey(appID)).Result()
	if err != nil {
		return nil, err
	}
	t := &models.WeChatToken{AppID: appID, Token: m["token"]}
	if ms, err := strconv.ParseInt(m["expires_at"], 10, 64); err == nil {
		t.ExpiresAt = time.UnixMilli(ms).UTC()
	}
	return t, nil
}

// takeRefresh: the lock, only if the stored token is still the one seen.
var takeRefresh = redis.NewScript(`
if (redis.call('HGET', KEYS[1], 'token') or '') ~= ARGV[1] then return 0 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
return 0`)

// TakeTokenRefresh implements TokenStore.
func (r *RedisTokens) TakeTokenRefresh(ctx context.Context, appID, seen, holder string, ttl time.Duration) (bool, error) {
	k := tokenKey(appID)
	n, err := takeRefresh.Run(ctx, r.Client, []string{k, k + ":lock"}, seen, holder, ttl.Milliseconds()).Int()
	return n == 1, err
}

// storeToken: save and unlock, only while holding the lock. The hash
// outlives the token by an hour, then Redis drops it.
var storeToken = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'token', ARGV[2], 'expires_at', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], tonumber(ARGV[3]) + 3600000)
redis.call('DEL', KEYS[2])
return 1`)

// StoreSharedToken implements TokenStore.
func (r *RedisTokens) StoreSharedToken(ctx context.Context, appID, holder, token string, expiresAt time.Time) (bool, error) {
	k := tokenKey(appID)
	n, err := storeToken.Run(ctx, r.Client, []string{k, k + ":lock"}, holder, token, expiresAt.UnixMilli()).Int()
	return n == 1, err
}

var releaseLock = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`)

// ReleaseTokenRefresh implements TokenStore.
func (r *RedisTokens) ReleaseTokenRefresh(ctx context.Context, appID, holder string) error {
	return releaseLock.Run(ctx, r.Client, []string{tokenKey(appID) + ":lock"}, holder).Err()
}

var expireToken = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'expires_at') or '0') <= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'expires_at', ARGV[2])
return 1`)

// ExpireSharedToken implements TokenStore.
func (r *RedisTokens) ExpireSharedToken(ctx context.Context, appID, token string) error {
	return expireToken.Run(ctx, r.Client, []string{tokenKey(appID)}, token, r.nowMillis()).Err()
}

// Close closes the connection pool.
func (r *RedisTokens) Close() error { return r.Client.Close() }
