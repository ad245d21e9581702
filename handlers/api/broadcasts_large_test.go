package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestLargeOpenIDListOnMariaDB: a draft with a ~1 MB openid list (36,000
// openids, a body far over the usual 64 KiB) is created whole; a list over
// the 8 MB limit is 400 with the limit in words, both when the body fits
// the draft limit and when it does not; nothing is saved for them.
func TestLargeOpenIDListOnMariaDB(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e, _ := crmEnv(t, s, func(h *api.Handler) {
			h.Policy = models.BroadcastPolicy{Loc: time.UTC, AccountType: models.AccountService}
		})
		mia := e.token("mia", "marketer")
		draft := func(n, width int) string {
			ids := make([]string, n)
			for i := range ids {
				ids[i] = fmt.Sprintf("o%0*d", width-1, i)
			}
			b, _ := json.Marshal(map[string]any{"name": "大名单", "kind": "text", "text": "x", "audience": "openids", "openids": ids, "channel": "direct"})
			return string(b)
		}
		e.run(t, []check{
			{name: "1 MB list", token: mia, method: "POST", path: "/api/v1/broadcasts", body: draft(36000, 28), status: 201, contains: `"openids":36000`},
			{name: "1 MB estimate", token: mia, method: "POST", path: "/api/v1/broadcasts/plan", body: draft(36000, 28), status: 200, contains: `"total":0`},
			{name: "over 8 MB, body under the limit", token: mia, method: "POST", path: "/api/v1/broadcasts", body: draft(models.MaxOpenIDList/29+1, 28),
				status: 400, code: "invalid", contains: "larger than 8 MB (about 290,000 openids)"},
			{name: "over 8 MB, body over the limit", token: mia, method: "POST", path: "/api/v1/broadcasts", body: draft(models.MaxOpenIDList/57+1, 56),
				status: 400, code: "invalid", contains: "larger than 8 MB"},
			{name: "the 1 MB draft whole", token: mia, method: "GET", path: "/api/v1/broadcasts/1", status: 200, contains: `"openids":36000`},
			{name: "no other draft", token: mia, method: "GET", path: "/api/v1/broadcasts/2", status: 404, code: "not_found"},
		})
	})
}
