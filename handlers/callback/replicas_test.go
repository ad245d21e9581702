package callback_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// TestRetriesAcrossProcessesRunOnce plays two fivec processes on one
// database (two stores with their own connection pools, two handlers):
// WeChat's retries of one message land on both at once, and the message is
// recorded once, its side effects run once, and every attempt gets the same
// answer.
func TestRetriesAcrossProcessesRunOnce(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			s1, s2 := modelstest.MustOpenShared(t, driver)
			var runs atomic.Int32
			role := roleFunc(func(ctx context.Context, turn *roles.Turn) error {
				runs.Add(1)
				time.Sleep(50 * time.Millisecond)
				turn.Reply(models.TextReply("answer once"))
				return nil
			})
			p1 := newEnv(t, s1, true, role)
			p2 := newEnv(t, s2, true, role)
			// The same account on both: same token, AES key and API client.
			p2.Acct, p2.Handler.WX = p1.Acct, p1.Handler.WX
			p2.Handler.Sender.WX = p1.Handler.WX
			msg := fake.CallbackMessage{FromUserName: "fanX", MsgType: "text", Content: "hi", MsgID: 424242, CreateTime: 1700000100}
			var wg sync.WaitGroup
			answers := make([]string, 8)
			for i := range answers {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					e := p1
					if i%2 == 1 {
						e = p2
					}
					if _, r := e.Post(msg); r != nil {
						answers[i] = r.Content
					}
				}(i)
			}
			wg.Wait()
			for i, a := range answers {
				if a != "answer once" {
					t.Errorf("attempt %d answered %q", i, a)
				}
			}
			if runs.Load() != 1 || p1.Inbound() != 1 || p2.Inbound() != 1 {
				t.Fatalf("pipeline ran %d times; rows seen %d/%d; want 1", runs.Load(), p1.Inbound(), p2.Inbound())
			}
		})
	}
}
