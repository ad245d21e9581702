package roles_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// syncBuffer is a log sink safe for the pipeline's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestStoredUnsafeTemplateDoesNotBurnCPU: a rule whose reply loops ten
// billion times for every fan but the sample one, stored as older versions
// stored it (the models layer does not look into templates), is refused
// when the rules are compiled: six fans sending its keyword at once are
// each answered by the next rule within the callback's deadline, and the
// refusal is logged. Before, each such message held a core for over 100 s.
func TestStoredUnsafeTemplateDoesNotBurnCPU(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		for _, spec := range []models.RuleSpec{
			{Name: "炸弹", Kind: models.RuleKeyword, Priority: 10, Keywords: kw("炸弹", models.MatchExact),
				Replies: []models.Reply{models.TextReply(`{{if eq .OpenID "o_sample_openid"}}ok{{else}}{{range 10000000000}}{{end}}{{end}}`)}},
			{Name: "安全", Kind: models.RuleKeyword, Priority: 1, Keywords: kw("炸弹", models.MatchContains),
				Replies: []models.Reply{models.TextReply("安全的回答，{{.Name}}")}},
		} {
			if _, err := s.CreateRule(ctx, spec); err != nil {
				t.Fatal(err)
			}
		}
		logs := &syncBuffer{}
		c := &roles.Consulting{Store: s, Log: slog.New(slog.NewTextHandler(logs, nil)), Loc: shanghai, Now: time.Now, WelcomeText: "欢迎"}
		e := newEnv(t, s, false, c)
		start := time.Now()
		var wg sync.WaitGroup
		replies := make([]*fake.Reply, 6)
		for i := range replies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, replies[i] = e.Post(fake.CallbackMessage{FromUserName: fmt.Sprintf("o_fan_%d", i), MsgType: "text", Content: "炸弹", MsgID: int64(9000 + i)})
			}()
		}
		wg.Wait()
		if took := time.Since(start); took > e.Handler.Deadline {
			t.Fatalf("six messages took %v, past the %v deadline", took, e.Handler.Deadline)
		}
		for i, r := range replies {
			if r == nil || r.Content != "安全的回答，朋友" {
				t.Fatalf("fan %d: %+v, want the next rule's answer", i, r)
			}
		}
		if !strings.Contains(logs.String(), "rule skipped") || !strings.Contains(logs.String(), "不允许使用 range") {
			t.Fatalf("the refused rule was not logged: %s", logs.String())
		}
		// The rule tester shows the same: the unsafe rule is not a candidate.
		res, err := c.Test(ctx, roles.TestInput{Text: "炸弹", OpenID: "o_fan_0"})
		if err != nil || res.RuleName != "安全" {
			t.Fatalf("tester: %+v %v", res, err)
		}
	})
}
