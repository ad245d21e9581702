package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
)

// TestInboxTeamQueues: each agent's 排队中 shows their team's queue and the
// general one, with the team on each row; an admin sees every queue.
func TestInboxTeamQueues(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s, func(svc *roles.Service) { svc.Keywords = []string{"人工", "客服", "转人工"} })
		ann := d.staff("ann", models.RoleAgent)
		bob := d.staff("bob", models.RoleAgent)
		d.staff("root", models.RoleAdmin)
		vip, err := s.CreateTeam(ctx, "VIP客户", 10)
		if err != nil {
			t.Fatal(err)
		}
		after, err := s.CreateTeam(ctx, "售后", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			s.SetTeamMembers(ctx, vip.ID, []uint64{ann.ID}),
			s.SetTeamMembers(ctx, after.ID, []uint64{bob.ID}),
			s.SetTeamRoutes(ctx, vip.ID, []models.TeamRoute{{Kind: models.RouteKeyword, Value: "客服"}}),
			s.SetTeamRoutes(ctx, after.ID, []models.TeamRoute{{Kind: models.RouteKeyword, Value: "转人工"}}),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		d.fan("oFanVip", "客服")
		d.fan("oFanAfter", "转人工")
		d.fan("oFanAny", "人工")
		a, b, root := d.browser().login("ann"), d.browser().login("bob"), d.browser().login("root")
		ra := a.get("/console/inbox?filter=waiting")
		expect(t, ra, 200, "oFanVip", "oFanAny", `class="badge team"`, "VIP客户")
		rb := b.get("/console/inbox?filter=waiting")
		expect(t, rb, 200, "oFanAfter", "oFanAny", "售后")
		if strings.Contains(ra.body(), "oFanAfter") || strings.Contains(rb.body(), "oFanVip") {
			t.Fatal("an agent sees another team's queue")
		}
		expect(t, root.get("/console/inbox?filter=waiting"), 200, "oFanVip", "oFanAfter", "oFanAny")
	})
}
