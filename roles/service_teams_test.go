package roles_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
)

// A VIP fan is routed to the VIP team ahead of a visitor; a menu button
// mapped to 售前 escalates into that team's queue; each queue counts its
// own positions in the queued and waiting texts; each agent is given
// only their teams' conversations; transfer to a team.
func TestTeamRoutingThroughTheChat(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s, nil)
		ann := d.agent("ann", false, 5)
		bob := d.agent("bob", false, 5)
		vip, err := s.CreateTeam(ctx, "VIP", 10)
		if err != nil {
			t.Fatal(err)
		}
		pre, err := s.CreateTeam(ctx, "售前", 0)
		if err != nil {
			t.Fatal(err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.SetTeamMembers(ctx, vip.ID, []uint64{ann.ID}))
		must(s.SetTeamMembers(ctx, pre.ID, []uint64{bob.ID}))
		must(s.SetTeamRoutes(ctx, vip.ID, []models.TeamRoute{{Kind: models.RouteTag, Value: "大客户"}}))
		must(s.SetTeamRoutes(ctx, pre.ID, []models.TeamRoute{{Kind: models.RouteMenu, Value: "PRESALES"}, {Kind: models.RouteKeyword, Value: "人工"}}))

		for _, f := range []string{"v1", "v2", "big"} {
			d.Follow(f)
		}
		must(s.TagMember(ctx, d.member("big").ID, "大客户"))
		if _, err := platform.Click(ctx, d.Acct.AppID, "v1", "PRESALES"); err != nil {
			t.Fatal(err)
		}
		d.Handler.Wait()
		if got := d.say("v2", "人工"); !strings.Contains(got, "前面还有 1 位") {
			t.Fatalf("second in the 售前 queue: %q", got)
		}
		// The key customer says the same keyword but goes to VIP, first in
		// that queue though two visitors asked earlier.
		if got := d.say("big", "人工"); !strings.Contains(got, "前面还有 0 位") {
			t.Fatalf("VIP queued text: %q", got)
		}
		if got := d.say("v2", "在吗"); !strings.Contains(got, "您正在排队，前面还有 1 位") {
			t.Fatalf("waiting text in the 售前 queue: %q", got)
		}
		if got := d.say("big", "在吗"); !strings.Contains(got, "您正在排队，前面还有 0 位") {
			t.Fatalf("waiting text in the VIP queue: %q", got)
		}
		c1, _ := s.OpenConversation(ctx, d.member("v1").ID)
		cb, _ := s.OpenConversation(ctx, d.member("big").ID)
		if c1 == nil || c1.TeamID == nil || *c1.TeamID != pre.ID || c1.Reason != models.ReasonMenu || cb == nil || cb.TeamID == nil || *cb.TeamID != vip.ID {
			t.Fatalf("routing: %+v %+v", c1, cb)
		}
		// Both agents come online: each is given their team's conversations only.
		_, err = s.SetAgentStatus(ctx, ann.ID, true, 5)
		must(err)
		_, err = s.SetAgentStatus(ctx, bob.ID, true, 5)
		must(err)
		n, err := d.svc.AssignWaiting(ctx)
		if err != nil || n != 3 {
			t.Fatalf("assigned %d, %v", n, err)
		}
		for openID, want := range map[string]uint64{"v1": bob.ID, "v2": bob.ID, "big": ann.ID} {
			c, _ := s.OpenConversation(ctx, d.member(openID).ID)
			if c == nil || c.AgentID == nil || *c.AgentID != want {
				t.Fatalf("%s went to %+v, want agent %d", openID, c, want)
			}
		}
		if got := d.lastCustom("big"); !strings.Contains(got, "ANN") {
			t.Fatalf("big was told %q", got)
		}
		// Bob hands v1 to VIP: ann has room, so she gets it at once.
		moved, err := d.svc.TransferToTeam(ctx, c1.ID, bob.ID, vip.ID, "")
		if err != nil || moved.AgentID == nil || *moved.AgentID != ann.ID || *moved.TeamID != vip.ID {
			t.Fatalf("transfer to VIP: %+v %v", moved, err)
		}
	})
}
