package wechat_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// redisEnv names the Redis the Redis halves of the token tests use.
const redisEnv = "FIVEC_TEST_REDIS_URL"

// tokenStores returns two token stores on one backend, as two processes
// have: "sqlite" and "mysql" (databases) or "redis".
func tokenStores(t *testing.T, backend string) [2]wechat.TokenStore {
	if backend != "redis" {
		s1, s2 := modelstest.MustOpenShared(t, backend)
		return [2]wechat.TokenStore{s1, s2}
	}
	url := os.Getenv(redisEnv)
	if url == "" {
		t.Skip("Redis tests skipped: set " + redisEnv + "=redis://127.0.0.1:6379/15 to run them")
	}
	var out [2]wechat.TokenStore
	for i := range out {
		r, err := wechat.NewRedisTokens(context.Background(), url)
		if err != nil {
			t.Fatalf("%s: %v", redisEnv, err)
		}
		t.Cleanup(func() { r.Close() })
		out[i] = r
	}
	return out
}

// tokenBackends are the stores every token test runs on.
var tokenBackends = append(modelstest.Drivers(), "redis")

// sharedClients plays two fivec processes of one account, each with its
// own SharedToken on its own connection to one backend.
func sharedClients(t *testing.T, backend, appID string, stable bool) [2]*wechat.Client {
	platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s3cret-" + appID, Token: "t"})
	var out [2]*wechat.Client
	for i, s := range tokenStores(t, backend) {
		c := wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "s3cret-" + appID, Token: "t", StableToken: stable}, wechat.NewMemoryCache(nil))
		c.ShareToken(&wechat.SharedToken{Store: s, Holder: fmt.Sprintf("proc-%d", i)})
		out[i] = c
	}
	return out
}

// callAll makes n menu reads on each client at once and fails on any error.
func callAll(t *testing.T, clients [2]*wechat.Client, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for _, c := range clients {
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.LiveMenu(context.Background()); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("call: %v", err)
	}
}

func tokenFetches(appID, path string) int {
	n := 0
	for _, c := range platform.CallsFor(appID) {
		if c.Path == path {
			n++
		}
	}
	return n
}

func TestSharedTokenOneFetchForTwoProcesses(t *testing.T) {
	for _, stable := range []bool{false, true} {
		path := map[bool]string{false: "/cgi-bin/token", true: "/cgi-bin/stable_token"}[stable]
		for _, driver := range tokenBackends {
			t.Run(fmt.Sprintf("%s/stable=%v", driver, stable), func(t *testing.T) {
				appID := "wxshared" + models.RandomToken(6)
				clients := sharedClients(t, driver, appID, stable)
				callAll(t, clients, 8)
				if n := tokenFetches(appID, path); n != 1 {
					t.Fatalf("%d fetches of %s by two processes, want 1", n, path)
				}
				// WeChat retires the token (as when something else fetched
				// one): every call in both processes gets 40001 at once, and
				// still only one new token is fetched.
				// Again a few times, with many calls at once in each process:
				// none may fail, whatever the interleaving.
				for round := 2; round <= 6; round++ {
					platform.ExpireTokens(appID)
					callAll(t, clients, 16)
					if n := tokenFetches(appID, path); n != round {
						t.Fatalf("%d fetches after the token was refused %d times, want %d", n, round-1, round)
					}
				}
				refused := 0
				for _, c := range platform.CallsFor(appID) {
					if c.ErrCode == 40001 {
						refused++
					}
				}
				if refused == 0 {
					t.Fatal("no call was refused: the test did not exercise 40001")
				}
			})
		}
	}
}

func TestSharedTokenFetchErrorIsClearAndReleasesTheLock(t *testing.T) {
	for _, backend := range tokenBackends {
		t.Run(backend, func(t *testing.T) { testFetchError(t, tokenStores(t, backend)[0]) })
	}
}

func testFetchError(t *testing.T, s wechat.TokenStore) {
	{
		appID := "wxbad" + models.RandomToken(6)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "right", Token: "t"})
		c := wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "wrong-secret", Token: "t"}, wechat.NewMemoryCache(nil))
		c.ShareToken(&wechat.SharedToken{Store: s, Holder: "p"})
		for i := range 2 { // the second try is not stuck behind the first's lock
			_, err := c.LiveMenu(context.Background())
			if wechat.ErrCode(err) != 40125 || strings.Contains(err.Error(), "wrong-secret") {
				t.Fatalf("try %d: %v", i, err)
			}
		}
		if n := tokenFetches(appID, "/cgi-bin/token"); n != 2 {
			t.Fatalf("%d fetches, want 2", n)
		}
	}
}

func TestSharedTokenRefreshedBeforeExpiryByOneProcess(t *testing.T) {
	appID := "wxexp" + models.RandomToken(6)
	platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"})
	s1, s2 := modelstest.MustOpenShared(t, "sqlite")
	clk := modelstest.NewClock(time.Now())
	var clients [2]*wechat.Client
	for i, s := range []*models.Store{s1, s2} {
		s.Now = clk.Now
		clients[i] = wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "s", Token: "t"}, wechat.NewMemoryCache(nil))
		clients[i].ShareToken(&wechat.SharedToken{Store: s, Holder: fmt.Sprintf("p%d", i), Now: clk.Now})
	}
	callAll(t, clients, 2)
	// Two hours later (the fake's tokens last 7200 s; fivec stops using one
	// 5 minutes early) both processes need a new token: one fetches it.
	clk.Add(6901 * time.Second)
	callAll(t, clients, 4)
	if n := tokenFetches(appID, "/cgi-bin/token"); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

// TestTokenStoresKeepTheSameRules runs the refresh-lock rules on every
// backend: one holder at a time, a dead holder's lock lapses, a late
// holder cannot overwrite, and expiring a token touches only that token.
func TestTokenStoresKeepTheSameRules(t *testing.T) {
	const ttl = 300 * time.Millisecond
	for _, backend := range tokenBackends {
		t.Run(backend, func(t *testing.T) {
			st := tokenStores(t, backend)
			a, b := st[0], st[1]
			ctx := context.Background()
			app := "wxrules" + models.RandomToken(6)
			if tok, err := a.SharedToken(ctx, app); err != nil || tok.Token != "" {
				t.Fatalf("before any fetch: %+v %v", tok, err)
			}
			if ok, err := a.TakeTokenRefresh(ctx, app, "", "a", ttl); !ok || err != nil {
				t.Fatalf("a: %v %v", ok, err)
			}
			if ok, _ := b.TakeTokenRefresh(ctx, app, "", "b", ttl); ok {
				t.Fatal("b took a held lock")
			}
			time.Sleep(ttl + 100*time.Millisecond) // a died
			if ok, _ := b.TakeTokenRefresh(ctx, app, "", "b", ttl); !ok {
				t.Fatal("b could not take a lapsed lock")
			}
			if ok, _ := a.StoreSharedToken(ctx, app, "a", "LATE", time.Now().Add(time.Hour)); ok {
				t.Fatal("a stored after losing the lock")
			}
			if ok, err := b.StoreSharedToken(ctx, app, "b", "T1", time.Now().Add(time.Hour)); !ok || err != nil {
				t.Fatalf("b store: %v %v", ok, err)
			}
			if ok, _ := a.TakeTokenRefresh(ctx, app, "", "a", ttl); ok {
				t.Fatal("a took the lock to replace a token it never saw")
			}
			if err := a.ExpireSharedToken(ctx, app, "T0"); err != nil {
				t.Fatal(err)
			}
			if tok, _ := a.SharedToken(ctx, app); tok.Token != "T1" || !tok.ExpiresAt.After(time.Now()) {
				t.Fatalf("expiring another token changed T1: %+v", tok)
			}
			if err := b.ExpireSharedToken(ctx, app, "T1"); err != nil {
				t.Fatal(err)
			}
			if tok, _ := a.SharedToken(ctx, app); tok.ExpiresAt.After(time.Now()) {
				t.Fatalf("T1 still usable: %+v", tok)
			}
			if ok, _ := a.TakeTokenRefresh(ctx, app, "T1", "a", ttl); !ok {
				t.Fatal("no lock to replace the refused token")
			}
			if err := a.ReleaseTokenRefresh(ctx, app, "a"); err != nil {
				t.Fatal(err)
			}
			if ok, _ := b.TakeTokenRefresh(ctx, app, "T1", "b", ttl); !ok {
				t.Fatal("lock not released after a failed fetch")
			}
		})
	}
}

func TestSharedTokenTakesOverFromADeadRefresher(t *testing.T) {
	for _, backend := range tokenBackends {
		t.Run(backend, func(t *testing.T) {
			st := tokenStores(t, backend)
			appID := "wxdead" + models.RandomToken(6)
			platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"})
			// Another process took the lock and died before storing a token.
			if ok, err := st[0].TakeTokenRefresh(context.Background(), appID, "", "dead", 400*time.Millisecond); !ok || err != nil {
				t.Fatalf("dead holder's lock: %v %v", ok, err)
			}
			c := wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "s", Token: "t"}, wechat.NewMemoryCache(nil))
			c.ShareToken(&wechat.SharedToken{Store: st[1], Holder: "alive", LockFor: 400 * time.Millisecond})
			start := time.Now()
			if _, err := c.LiveMenu(context.Background()); err != nil {
				t.Fatalf("call after the refresher died: %v", err)
			}
			if waited := time.Since(start); waited < 300*time.Millisecond {
				t.Fatalf("took the lock after %s, while the dead holder's lock was live", waited)
			}
			if n := tokenFetches(appID, "/cgi-bin/token"); n != 1 {
				t.Fatalf("%d fetches, want 1", n)
			}
		})
	}
}
