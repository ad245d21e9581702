package api_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestTransferToMarketerRefused: an agent transfers a conversation to a
// marketer (or a disabled agent) by id. The API answers 400 and the
// conversation stays with the agent; a transfer to an admin still works.
func TestTransferToMarketerRefused(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		e := newDeskEnv(t, s)
		ann := e.token("ann", models.RoleAgent)
		e.token("mia", models.RoleMarketer)
		e.token("dan", models.RoleAgent)
		e.token("root", models.RoleAdmin)
		ids := map[string]uint64{}
		all, _ := s.ListStaff(ctx)
		for _, st := range all {
			ids[st.Username] = st.ID
		}
		yes := true
		if _, err := s.UpdateStaff(ctx, ids["dan"], models.StaffUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		cid := e.ask("oApiToMarketer")
		c := fmt.Sprintf("/api/v1/conversations/%d", cid)
		to := func(name string) string { return fmt.Sprintf(`{"to_agent_id":%d,"note":"跟进"}`, ids[name]) }
		e.run(t, []check{
			{name: "claim", token: ann, method: "POST", path: c + "/claim", status: 200},
			{name: "to a marketer", token: ann, method: "POST", path: c + "/transfer", body: to("mia"), status: 400, code: "invalid", contains: "enabled agent or admin"},
			{name: "to a disabled agent", token: ann, method: "POST", path: c + "/transfer", body: to("dan"), status: 400, code: "invalid", contains: "disabled"},
			{name: "still ann's", token: ann, method: "GET", path: c, status: 200, contains: fmt.Sprintf(`"agent_id":%d`, ids["ann"])},
			{name: "no note", token: ann, method: "GET", path: c + "/notes", status: 200, contains: `"items":[]`},
			{name: "to an admin", token: ann, method: "POST", path: c + "/transfer", body: to("root"), status: 200, contains: fmt.Sprintf(`"agent_id":%d`, ids["root"])},
		})
	})
}
