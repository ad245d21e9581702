package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func teamAgent(t *testing.T, s *models.Store, name, role string) *models.Staff {
	t.Helper()
	st, err := s.CreateStaff(context.Background(), models.NewStaff{Username: name, Password: "violet-harbour-42", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetAgentStatus(context.Background(), st.ID, true, 5); err != nil {
		t.Fatal(err)
	}
	return st
}

func mustTeam(t *testing.T, s *models.Store, name string, prio int, members []uint64, routes ...models.TeamRoute) *models.Team {
	t.Helper()
	ctx := context.Background()
	tm, err := s.CreateTeam(ctx, name, prio)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetTeamMembers(ctx, tm.ID, members); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTeamRoutes(ctx, tm.ID, routes); err != nil {
		t.Fatal(err)
	}
	return tm
}

func escalateRouted(t *testing.T, s *models.Store, m *models.Member, reason, trigger string) (*models.Conversation, models.Route) {
	t.Helper()
	ctx := context.Background()
	m, err := s.FindMemberByOpenID(ctx, m.OpenID)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.RouteFor(ctx, m, reason, trigger)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := s.EscalateTo(ctx, m.ID, m.OpenID, reason, r, false)
	if err != nil {
		t.Fatal(err)
	}
	return c, r
}

func TestTeamsRouteQueueAndAssign(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ann := teamAgent(t, s, "ann", models.RoleAgent)
		bob := teamAgent(t, s, "bob", models.RoleAgent)
		vip := mustTeam(t, s, "VIP", 10, []uint64{ann.ID},
			models.TeamRoute{Kind: models.RouteLevel, Value: models.LevelKeyPerson},
			models.TeamRoute{Kind: models.RouteStage, Value: models.StageLoyal})
		pre := mustTeam(t, s, "售前", 0, []uint64{bob.ID},
			models.TeamRoute{Kind: models.RouteMenu, Value: "PRESALES"},
			models.TeamRoute{Kind: models.RouteKeyword, Value: "买"})

		// Both agents are busy elsewhere: conversations wait in queues.
		for _, a := range []*models.Staff{ann, bob} {
			if _, err := s.SetAgentStatus(ctx, a.ID, false, 0); err != nil {
				t.Fatal(err)
			}
		}
		visitor1 := newMember(t, s, "visitor1")
		visitor2 := newMember(t, s, "visitor2")
		keyp := newMember(t, s, "keyperson")
		loyal := newMember(t, s, "loyal")
		if _, err := s.SetLevel(ctx, keyp.ID, models.LevelKeyPerson, "test", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetStage(ctx, loyal.ID, models.StageLoyal, "test", 0); err != nil {
			t.Fatal(err)
		}
		c1, _ := escalateRouted(t, s, visitor1, models.ReasonMenu, "PRESALES")
		c2, _ := escalateRouted(t, s, visitor2, models.ReasonKeyword, "人工") // no route: general queue
		// A key person pressing the 售前 button still goes to VIP (higher priority).
		c3, _ := escalateRouted(t, s, keyp, models.ReasonMenu, "PRESALES")
		c4, _ := escalateRouted(t, s, loyal, models.ReasonKeyword, "人工")
		if c1.TeamID == nil || *c1.TeamID != pre.ID || c2.TeamID != nil {
			t.Fatalf("visitors: %v %v", c1.TeamID, c2.TeamID)
		}
		if c3.TeamID == nil || *c3.TeamID != vip.ID || c3.Priority != 10 || c4.TeamID == nil || *c4.TeamID != vip.ID {
			t.Fatalf("vip: %+v %+v", c3, c4)
		}
		// Each queue counts its own positions.
		for _, tc := range []struct {
			c    *models.Conversation
			want int64
		}{{c1, 0}, {c2, 0}, {c3, 0}, {c4, 1}} {
			if got, err := s.QueuePosition(ctx, tc.c); err != nil || got != tc.want {
				t.Fatalf("position of %d = %d, %v; want %d", tc.c.ID, got, err, tc.want)
			}
		}
		// VIP first in the waiting list, ahead of the visitor queued before.
		waiting, err := s.ListConversations(ctx, models.ConvWaiting, 0, 10)
		if err != nil || len(waiting) != 4 || waiting[0].ID != c3.ID || waiting[1].ID != c4.ID {
			t.Fatalf("waiting order %v, %v", ids(waiting), err)
		}
		// Each agent sees their team's queue and the general one.
		scope, err := s.ScopeForAgent(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		mine, err := s.ListConversationsIn(ctx, models.ConvWaiting, 0, scope, 10)
		if err != nil || len(mine) != 2 || mine[0].ID != c1.ID || mine[1].ID != c2.ID {
			t.Fatalf("bob sees %v, %v", ids(mine), err)
		}
		// Auto-assignment: bob online gets neither VIP conversation.
		if _, err := s.SetAgentStatus(ctx, bob.ID, true, 5); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*models.Conversation{c3, c4} {
			got, err := s.AutoAssign(ctx, c, models.PolicyLeastLoaded)
			if err != nil || got != nil {
				t.Fatalf("VIP conversation went to a non-member: %+v %v", got, err)
			}
		}
		got, err := s.AutoAssign(ctx, c1, models.PolicyLeastLoaded)
		if err != nil || got == nil || *got.AgentID != bob.ID {
			t.Fatalf("售前 to bob: %+v %v", got, err)
		}
		if _, err := s.SetAgentStatus(ctx, ann.ID, true, 5); err != nil {
			t.Fatal(err)
		}
		got, err = s.AutoAssign(ctx, c3, models.PolicyLeastLoaded)
		if err != nil || got == nil || *got.AgentID != ann.ID {
			t.Fatalf("VIP to ann: %+v %v", got, err)
		}

		// Transfer to a team: bob hands his 售前 chat to VIP; it waits
		// there at VIP priority and only ann can be given it.
		moved, err := s.TransferToTeam(ctx, c1.ID, bob.ID, vip.ID, "大客户")
		if err != nil || moved.State != models.ConvWaiting || moved.AgentID != nil || *moved.TeamID != vip.ID || moved.Priority != 10 {
			t.Fatalf("transfer to team: %+v %v", moved, err)
		}
		if _, err := s.TransferToTeam(ctx, c1.ID, bob.ID, vip.ID, ""); err == nil {
			t.Fatal("a conversation bob no longer holds was transferred again")
		}
		notes, _ := s.Notes(ctx, c1.ID)
		if len(notes) != 1 || notes[0].Text != "转给团队 VIP：大客户" {
			t.Fatalf("notes %+v", notes)
		}
	})
}

func ids(cs []models.Conversation) []uint64 {
	var out []uint64
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestTeamsBadInputAndEmptyTeamFallsBack(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ann := teamAgent(t, s, "ann", models.RoleAgent)
		mkt := teamAgent(t, s, "mia", models.RoleMarketer)
		after := mustTeam(t, s, "售后", 0, []uint64{ann.ID})
		var me *models.Error
		if _, err := s.CreateTeam(ctx, " 售后 ", 0); !errors.As(err, &me) || me.Code != models.ECONFLICT {
			t.Fatalf("duplicate name: %v", err)
		}
		if _, err := s.CreateTeam(ctx, "  ", 0); !errors.As(err, &me) || me.Code != models.EINVALID {
			t.Fatalf("empty name: %v", err)
		}
		empty := mustTeam(t, s, "VIP", 10, nil, models.TeamRoute{Kind: models.RouteMenu, Value: "VIP"})
		if _, err := s.UpdateTeam(ctx, empty.ID, "售后", 10); !errors.As(err, &me) || me.Code != models.ECONFLICT {
			t.Fatalf("rename onto another team: %v", err)
		}
		if err := s.SetTeamMembers(ctx, after.ID, []uint64{mkt.ID}); !errors.As(err, &me) || me.Code != models.EINVALID {
			t.Fatalf("marketer as member: %v", err)
		}
		if err := s.SetTeamRoutes(ctx, after.ID, []models.TeamRoute{{Kind: models.RouteMenu, Value: "VIP"}}); !errors.As(err, &me) || me.Code != models.ECONFLICT {
			t.Fatalf("route owned by another team: %v", err)
		}
		if err := s.SetTeamRoutes(ctx, after.ID, []models.TeamRoute{{Kind: "colour", Value: "x"}}); !errors.As(err, &me) || me.Code != models.EINVALID {
			t.Fatalf("unknown kind: %v", err)
		}
		// The refused edits lost nothing: ann is still in 售后.
		teams, err := s.Teams(ctx)
		if err != nil || len(teams) != 2 || teams[0].Name != "VIP" || teams[0].Serving != 0 || teams[1].Serving != 1 || len(teams[1].Members) != 1 {
			t.Fatalf("teams %+v, %v", teams, err)
		}
		// The VIP button routes to a team nobody serves: the fan goes to
		// the general queue and the skip is named.
		fan := newMember(t, s, "fan")
		c, r := escalateRouted(t, s, fan, models.ReasonMenu, "VIP")
		if c.TeamID != nil || r.Skipped != "VIP" {
			t.Fatalf("empty team: conv team %v, route %+v", c.TeamID, r)
		}
		if _, err := s.SetAgentStatus(ctx, ann.ID, true, 5); err != nil {
			t.Fatal(err)
		}
		got, err := s.AutoAssign(ctx, c, models.PolicyLeastLoaded)
		if err != nil || got == nil {
			t.Fatalf("general queue not served: %v", err)
		}
		if _, err := s.TransferToTeam(ctx, c.ID, ann.ID, empty.ID, ""); !errors.Is(err, models.ErrTeamEmpty) {
			t.Fatalf("transfer to an empty team: %v", err)
		}
		// Deleting a team moves its waiting conversations to the general queue.
		if _, err := s.TransferToTeam(ctx, c.ID, ann.ID, after.ID, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteTeam(ctx, after.ID); err != nil {
			t.Fatal(err)
		}
		back, _ := s.FindConversation(ctx, c.ID)
		if back.TeamID != nil || back.State != models.ConvWaiting {
			t.Fatalf("after delete: %+v", back)
		}
		if err := s.DeleteTeam(ctx, after.ID); !errors.As(err, &me) || me.Code != models.ENOTFOUND {
			t.Fatalf("delete twice: %v", err)
		}
	})
}
