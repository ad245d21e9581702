package wechat_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// sharedClients plays two fivec processes of one account on one database,
// each with its own SharedToken.
func sharedClients(t *testing.T, driver, appID string, stable bool) [2]*wechat.Client {
	platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s3cret-" + appID, Token: "t"})
	s1, s2 := modelstest.MustOpenShared(t, driver)
	var out [2]*wechat.Client
	for i, s := range []*models.Store{s1, s2} {
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
		for _, driver := range modelstest.Drivers() {
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
				platform.ExpireTokens(appID)
				callAll(t, clients, 8)
				if n := tokenFetches(appID, path); n != 2 {
					t.Fatalf("%d fetches after the token was refused, want 2", n)
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
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
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
	})
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
