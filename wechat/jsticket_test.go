package wechat_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// The example of WeChat's JS-SDK documentation (附录1 JS-SDK使用权限签名算法).
func TestJSSignatureDocumentedVector(t *testing.T) {
	const ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
	got := wechat.JSSignature(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value")
	if want := "0f9de62fce790f9a083d5c99e95740ceb90c27ed"; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	// The #fragment is not part of the signed URL.
	if frag := wechat.JSSignature(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value#top"); frag != got {
		t.Fatalf("with a #fragment: %s, want %s", frag, got)
	}
}

func TestJSTicketSharedByTwoProcesses(t *testing.T) {
	for _, backend := range tokenBackends {
		t.Run(backend, func(t *testing.T) {
			appID := "wxticket" + models.RandomToken(6)
			clients := sharedClients(t, backend, appID, false)
			stores := tokenStores(t, backend)
			var tickets [2]*wechat.SharedToken
			for i := range tickets {
				tickets[i] = clients[i].JSTicket(stores[i], fmt.Sprintf("proc-%d", i))
			}
			var wg sync.WaitGroup
			got := make(chan string, 16)
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tk, err := tickets[i%2].GetAccessTokenContext(context.Background())
					if err != nil {
						t.Errorf("ticket: %v", err)
					}
					got <- tk
				}()
			}
			wg.Wait()
			close(got)
			seen := map[string]bool{}
			for tk := range got {
				seen[tk] = true
			}
			if len(seen) != 1 || seen[""] {
				t.Fatalf("the two processes used %d tickets (%v), want one", len(seen), seen)
			}
			if n := tokenFetches(appID, "/cgi-bin/ticket/getticket"); n != 1 {
				t.Fatalf("%d getticket calls by two processes, want 1", n)
			}
			// Refreshed before it runs out: a clock past the stored expiry
			// (7200 s minus the margin) fetches a new one, once.
			later := time.Now().Add(7200*time.Second - 4*time.Minute)
			for _, tk := range tickets {
				tk.Now = func() time.Time { return later }
			}
			stale := ""
			for k := range seen {
				stale = k
			}
			for _, tk := range tickets {
				v, err := tk.GetAccessTokenContext(context.Background())
				if err != nil || v == stale {
					t.Fatalf("ticket after expiry: %q, %v (old %q)", v, err, stale)
				}
			}
			if n := tokenFetches(appID, "/cgi-bin/ticket/getticket"); n != 2 {
				t.Fatalf("%d getticket calls after one refresh, want 2", n)
			}
		})
	}
}
