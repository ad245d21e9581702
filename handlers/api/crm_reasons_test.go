package api_test

import (
	"encoding/json"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// The history and points endpoints give system reasons in English with
// their code; staff-typed and old reasons come as stored, without a code.
func TestMemberReasonCodes(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		alex := e.token("alex", "agent")
		modelstest.SeedReasons(t, s, "oSign")
		type row struct {
			Reason     string  `json:"reason"`
			ReasonCode *string `json:"reason_code"`
		}
		get := func(path string, into any) {
			t.Helper()
			r := e.call(alex, "GET", path, "")
			if r.status != 200 {
				t.Fatalf("%s: %d %s", path, r.status, r.body)
			}
			if err := json.Unmarshal([]byte(r.body), into); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		code := func(r row) string {
			if r.ReasonCode == nil {
				return "(none)"
			}
			return *r.ReasonCode
		}
		var hist struct{ Items []row }
		get("/api/v1/members/oSign/history", &hist)
		if len(hist.Items) != 2 || hist.Items[0].Reason != "daily sign-in" || code(hist.Items[0]) != "signin" ||
			hist.Items[1].Reason != "brought a friend" || code(hist.Items[1]) != "(none)" {
			t.Fatalf("history %+v", hist.Items)
		}
		var pts struct{ Entries []row }
		get("/api/v1/members/oSign/points", &pts)
		want := map[string]string{"sign-in 2030-06-01": "signin_day", "sys:expiry": "(none)"}
		if len(pts.Entries) != len(want) {
			t.Fatalf("entries %+v", pts.Entries)
		}
		for _, r := range pts.Entries {
			if c, ok := want[r.Reason]; !ok || c != code(r) {
				t.Errorf("entry %q code %q; want %v", r.Reason, code(r), want)
			}
		}
	})
}
