package console_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestLargeOpenIDListOnMariaDB: a marketer uploads a ~1 MB openid list
// (36,000 openids): it is saved whole and its page shows the plan. A pasted
// list over the 8 MB limit is refused with 400 and the limit in Chinese,
// and nothing is saved. On MariaDB the 1 MB list used to fail with 500
// (the column was TEXT, 64 KiB).
func TestLargeOpenIDListOnMariaDB(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false, func(_ *app, h *console.Handler) {
			h.Policy = models.BroadcastPolicy{Loc: time.UTC, AccountType: models.AccountService}
		})
		a.staff("mia", models.RoleMarketer)
		follow(t, s, "oLarge0000000000000000000042", "")
		mia := a.browser().login("mia")
		list := func(n int) string {
			var b strings.Builder
			for i := range n {
				fmt.Fprintf(&b, "oLarge%022d\n", i)
			}
			return b.String()
		}
		r := mia.uploadList(mia.csrf("/console/broadcasts/new"),
			map[string]string{"name": "大名单", "kind": "text", "text": "名单专享", "audience": "all", "channel": "direct"}, list(36000))
		if r.Code != 303 {
			t.Fatalf("a 1 MB list: %d %s", r.Code, r.body())
		}
		saved, _ := s.ListBroadcasts(ctx, 10)
		b, err := s.FindBroadcast(ctx, saved[0].ID)
		if err != nil || len(b.OpenIDList()) != 36000 {
			t.Fatalf("saved %d openids (%v), want 36000", len(b.OpenIDList()), err)
		}
		expect(t, mia.get(fmt.Sprintf("/console/broadcasts/%d", b.ID)), 200, `id="plan-total">1<`)

		over := list(models.MaxOpenIDList/29 + 1)
		expect(t, mia.submit("/console/broadcasts/new", "/console/broadcasts/new", url.Values{"name": {"太大"}, "kind": {"text"}, "text": {"x"},
			"audience": {"openids"}, "openids": {over}, "channel": {"direct"}}), 400, "名单超过 8 MB 的上限", "请拆成几次群发")
		if after, _ := s.ListBroadcasts(ctx, 10); len(after) != len(saved) {
			t.Fatalf("the refused list was saved: %d broadcasts, before %d", len(after), len(saved))
		}
	})
}
