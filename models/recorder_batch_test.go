package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// One batch of messages from known fans, new fans, a fan who had unfollowed
// and fans waiting in the queue: every message row carries its member from
// the insert, every member is as after the batch, and each waiting fan gets
// the queue position Store.QueuePosition gives, although the batch counts
// the queue once.
func TestRecordBatchMembersAndQueuePositions(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		fan := func(i int) string { return fmt.Sprintf("o_q%d", i) }
		members := map[string]*models.Member{}
		for i := range 10 {
			_, m, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: fmt.Sprint("first:", i), OpenID: fan(i), MsgType: "text"})
			if err != nil {
				t.Fatal(err)
			}
			members[fan(i)] = m
		}
		// The queue, oldest first: fans outside the batch sit between the
		// batch's waiting fans, and one waiting fan is taken by an agent.
		convs := map[string]*models.Conversation{}
		for _, i := range []int{6, 0, 7, 1, 8, 9, 2, 3} {
			c, _, err := s.Escalate(ctx, members[fan(i)].ID, fan(i), models.ReasonKeyword)
			if err != nil {
				t.Fatal(err)
			}
			convs[fan(i)] = c
		}
		agent, err := s.CreateStaff(ctx, models.NewStaff{Username: "ann", Password: "violet-harbour-77", Role: models.RoleAgent, DisplayName: "Ann"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Claim(ctx, convs[fan(7)].ID, agent.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "bye:4", OpenID: fan(4), MsgType: "event",
			Event: "unsubscribe", Unsubscribe: true}); err != nil {
			t.Fatal(err)
		}

		ins := []models.Inbound{
			{DedupeKey: "b:3", OpenID: fan(3), MsgType: "text", Content: "still there?"},
			{DedupeKey: "b:0", OpenID: fan(0), MsgType: "text"},
			{DedupeKey: "b:7", OpenID: fan(7), MsgType: "text"},
			{DedupeKey: "b:4", OpenID: fan(4), MsgType: "text"}, // writes after unfollowing: following again
			{DedupeKey: "b:2", OpenID: fan(2), MsgType: "text"},
			{DedupeKey: "b:0b", OpenID: fan(0), MsgType: "text"},
			{DedupeKey: "b:5", OpenID: fan(5), MsgType: "text"},
			{DedupeKey: "b:new", OpenID: "o_qnew", MsgType: "text"},
			{DedupeKey: "b:f", OpenID: "o_qfollow", MsgType: "event", Event: "subscribe", Subscribe: true, Scene: "ch1"},
		}
		msgs, got, dups, err := s.RecordBatch(ctx, ins)
		if err != nil {
			t.Fatal(err)
		}
		for i, in := range ins {
			m := got[i]
			if dups[i] || m == nil || m.OpenID != in.OpenID || !m.Subscribed || m.LastInteractionAt == nil {
				t.Fatalf("%s: member %+v (dup %v)", in.DedupeKey, m, dups[i])
			}
			stored, err := s.FindMessage(ctx, msgs[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.MemberID != m.ID || stored.DedupeKey == nil || *stored.DedupeKey != in.DedupeKey {
				t.Fatalf("%s: stored message %+v, member %d", in.DedupeKey, stored, m.ID)
			}
			db, err := s.FindMemberByOpenID(ctx, in.OpenID)
			if err != nil {
				t.Fatal(err)
			}
			if !db.Subscribed || db.LastInteractionAt == nil || !db.LastInteractionAt.Equal(*m.LastInteractionAt) {
				t.Fatalf("%s: stored member %+v, batch saw %+v", in.DedupeKey, db, m)
			}
			c := convs[in.OpenID]
			switch {
			case c == nil:
				if m.InConversation && m.Open != nil {
					t.Fatalf("%s: conversation %+v", in.DedupeKey, m.Open)
				}
			case in.OpenID == fan(7):
				if m.Open == nil || m.Open.State != models.ConvAssigned || m.Open.Ahead != 0 {
					t.Fatalf("%s: assigned conversation %+v", in.DedupeKey, m.Open)
				}
			default:
				want, err := s.QueuePosition(ctx, c)
				if err != nil {
					t.Fatal(err)
				}
				if !m.OpenKnown || m.Open == nil || m.Open.ID != c.ID || m.Open.Ahead != want {
					t.Fatalf("%s: open conversation %+v, want id %d with %d ahead", in.DedupeKey, m.Open, c.ID, want)
				}
			}
		}
		// The queue was 6, 0, (7 taken), 1, 8, 9, 2, 3: 0, 2 and 3 have 1, 5 and 6 ahead.
		for fanNo, want := range map[int]int64{0: 1, 2: 5, 3: 6} {
			for i, in := range ins {
				if in.OpenID == fan(fanNo) && got[i].Open.Ahead != want {
					t.Fatalf("fan %d: %d ahead, want %d", fanNo, got[i].Open.Ahead, want)
				}
			}
		}
		if f, _ := s.FindMemberByOpenID(ctx, "o_qfollow"); f.SubscribeScene != "ch1" || f.Follows != 1 {
			t.Fatalf("follower: %+v", f)
		}
	})
}

// Migration 20 drops the message-log indexes nothing reads and indexes
// conversations by (member_id, state), which the batch's lookup of open
// conversations uses (with state alone, SQLite walked the whole queue).
func TestHotPathIndexesMigration(t *testing.T) {
	testMigration(t, 20, func(s *models.Store) error {
		oldMsg, oldConv, memberState := models.HotPathIndexes(s)
		if oldMsg || oldConv || !memberState {
			return fmt.Errorf("old message indexes %v, old conversation index %v, (member_id, state) %v", oldMsg, oldConv, memberState)
		}
		plan, err := models.Explain(s, "SELECT * FROM conversations WHERE member_id IN (1, 2) AND state IN ('waiting', 'assigned') ORDER BY id")
		if err != nil {
			return err
		}
		// MySQL picks by statistics, which an empty table does not have.
		if s.Driver() == "sqlite" && !strings.Contains(strings.Join(plan, "\n"), "idx_conversations_member_state") {
			return fmt.Errorf("open conversations are not looked up by (member_id, state): %q", plan)
		}
		return nil
	}, models.UndoHotPathIndexes)
}
