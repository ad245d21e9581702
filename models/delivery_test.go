package models_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// followers makes n members; every fifth (i%5 == 4) has unfollowed.
func followers(t *testing.T, s *models.Store, prefix string, n int) []uint64 {
	t.Helper()
	ctx := context.Background()
	var fs []models.Follower
	for i := 0; i < n; i++ {
		fs = append(fs, models.Follower{OpenID: fmt.Sprintf("%s%04d", prefix, i), Subscribed: i%5 != 4})
	}
	if err := s.UpsertFollowers(ctx, fs); err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, f := range fs {
		m, err := s.FindMemberByOpenID(ctx, f.OpenID)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

func allRecipients(t *testing.T, s *models.Store, pushID uint64) []models.Recipient {
	t.Helper()
	var out []models.Recipient
	for after := uint64(0); ; {
		page, err := s.PushRecipients(context.Background(), pushID, "", after, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].ID
	}
}

func TestPlanPushReportsEveryID(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ids := followers(t, s, "plan", 20) // 4 unfollowed
		// Every id twice, out of order, plus two ids no member has.
		list := append(slices.Clone(ids), ids...)
		slices.Reverse(list)
		missing := []uint64{ids[len(ids)-1] + 1000, ids[len(ids)-1] + 1001}
		list = append(list, missing...)
		p, plan, err := s.PlanPush(ctx, models.NewPush{Kind: "broadcast", Name: " 新品 ", Reply: models.TextReply("hi")},
			models.PushAudience{MemberIDs: list})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Queued != 16 || plan.Skipped != 4 || plan.Duplicates != 20 || !slices.Equal(plan.Unknown, missing) {
			t.Fatalf("plan: %+v", plan)
		}
		got, _ := s.FindPush(ctx, p.ID)
		if got.State != models.PushScheduled || got.Name != "新品" || got.Planned != 20 || got.Unknown != 2 || got.Duplicates != 20 {
			t.Fatalf("push as stored: %+v", got)
		}
		rows := allRecipients(t, s, p.ID)
		if len(rows) != 20 {
			t.Fatalf("%d rows, want one per member", len(rows))
		}
		for i, r := range rows {
			m, _ := s.FindMemberByOpenID(ctx, r.OpenID)
			if m.ID != r.MemberID {
				t.Fatalf("row %d: openid %s belongs to member %d, row says %d", i, r.OpenID, m.ID, r.MemberID)
			}
			want, reason := models.RcptQueued, ""
			if !m.Subscribed {
				want, reason = models.RcptSkipped, "unfollowed"
			}
			if r.State != want || r.Reason != reason || !r.NextAt.Equal(p.ScheduledAt.UTC()) {
				t.Fatalf("row for %s: %s %q next %s, want %s %q at %s", r.OpenID, r.State, r.Reason, r.NextAt, want, reason, p.ScheduledAt)
			}
		}
		// CreatePush is the same planner: the counts land on the push.
		p2, err := s.CreatePush(ctx, models.NewPush{Kind: "care", Name: "again", Reply: models.TextReply("x")}, []uint64{ids[0], ids[0], missing[0]})
		if err != nil || p2.Planned != 1 || p2.Duplicates != 1 || p2.Unknown != 1 {
			t.Fatalf("CreatePush: %+v %v", p2, err)
		}
		// A run of consecutive ids (planned as a range).
		p4, plan4, err := s.PlanPush(ctx, models.NewPush{Kind: "care", Name: "run", Reply: models.TextReply("x")},
			models.PushAudience{MemberIDs: ids[:10]})
		if err != nil || plan4.Queued != 8 || plan4.Skipped != 2 || len(plan4.Unknown) != 0 || len(allRecipients(t, s, p4.ID)) != 10 {
			t.Fatalf("range plan: %+v %v", plan4, err)
		}
		// Nobody reachable: the push is done at once instead of waiting forever.
		p3, plan3, err := s.PlanPush(ctx, models.NewPush{Kind: "care", Name: "gone", Reply: models.TextReply("x")},
			models.PushAudience{MemberIDs: []uint64{ids[4], missing[1]}})
		if err != nil || p3.State != models.PushDone || plan3.Skipped != 1 || len(plan3.Unknown) != 1 {
			t.Fatalf("unreachable push: %+v %+v %v", p3, plan3, err)
		}
		// Bad input changes nothing.
		before, _ := s.PushProgress(ctx, p.ID)
		for _, bad := range []models.NewPush{
			{Kind: "broadcast", Name: "", Reply: models.TextReply("x")},
			{Kind: "broadcast", Name: "x", Reply: models.Reply{Kind: models.ReplyTransfer}},
			{Kind: "broadcast", Name: "x", Reply: models.Reply{Kind: "nonsense"}},
		} {
			if _, _, err := s.PlanPush(ctx, bad, models.PushAudience{MemberIDs: ids}); models.ErrorCode(err) != models.EINVALID {
				t.Fatalf("%+v: %v", bad, err)
			}
		}
		if _, _, err := s.PlanPush(ctx, models.NewPush{Kind: "broadcast", Name: "x", Reply: models.TextReply("x")},
			models.PushAudience{Segment: &models.SegmentFilter{Stages: []string{"nonsense"}}}); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("bad segment: %v", err)
		}
		after, _ := s.PushProgress(ctx, p.ID)
		if fmt.Sprint(before) != fmt.Sprint(after) {
			t.Fatalf("progress changed: %v → %v", before, after)
		}
	})
}

func TestPlanPushFromSegment(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ids := followers(t, s, "seg", 30)
		for _, id := range ids[:10] {
			if err := s.TagMember(ctx, id, "vip"); err != nil {
				t.Fatal(err)
			}
		}
		f := models.SegmentFilter{TagsAny: []string{"vip"}}
		later := time.Now().Add(time.Hour)
		p, plan, err := s.PlanPush(ctx, models.NewPush{Kind: "broadcast", Name: "vip", Reply: models.TextReply("hi"), ScheduledAt: &later},
			models.PushAudience{Segment: &f})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := s.SegmentMemberIDs(ctx, f)
		var got []uint64
		for _, r := range allRecipients(t, s, p.ID) {
			got = append(got, r.MemberID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) || plan.Queued != 8 || plan.Skipped != 2 {
			t.Fatalf("segment plan %+v: members %v, want %v", plan, got, want)
		}
		// Scheduled for later: nothing is claimable yet.
		if c, err := s.ClaimRecipients(ctx, "w", 100, time.Minute); err != nil || len(c) != 0 {
			t.Fatalf("claimed %d before the schedule (%v)", len(c), err)
		}
		// Every member (no filter), unfollowed ones skipped.
		_, all, err := s.PlanPush(ctx, models.NewPush{Kind: "broadcast", Name: "all", Reply: models.TextReply("hi")},
			models.PushAudience{Segment: &models.SegmentFilter{}})
		if err != nil || all.Queued != 24 || all.Skipped != 6 {
			t.Fatalf("all: %+v %v", all, err)
		}
	})
}

func TestClaimsFollowPushesInOrderAndSkipPaused(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ids := followers(t, s, "ord", 10)
		subscribed := slices.DeleteFunc(slices.Clone(ids), func(id uint64) bool { return slices.Index(ids, id)%5 == 4 })
		a, _ := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "a", Reply: models.TextReply("a")}, ids)
		b, _ := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "b", Reply: models.TextReply("b")}, ids)
		if err := s.SetPushState(ctx, a.ID, models.PushPaused); err != nil {
			t.Fatal(err)
		}
		got, err := s.ClaimRecipients(ctx, "w", 5, time.Minute)
		if err != nil || len(got) != 5 {
			t.Fatalf("claim: %d %v", len(got), err)
		}
		for i, r := range got {
			if r.PushID != b.ID || r.MemberID != subscribed[i] || r.State != models.RcptClaimed || r.ClaimedBy != "w" {
				t.Fatalf("claim %d: %+v", i, r)
			}
		}
		if p, _ := s.FindPush(ctx, b.ID); p.State != models.PushSending {
			t.Fatalf("push b is %s", p.State)
		}
		// Marking: only what the worker holds.
		held, err := s.MarkSendingBatch(ctx, []uint64{got[0].ID, got[1].ID}, "someone else")
		if err != nil || len(held) != 0 {
			t.Fatalf("another worker marked %v (%v)", held, err)
		}
		held, err = s.MarkSendingBatch(ctx, []uint64{got[0].ID, got[1].ID}, "w")
		if err != nil || len(held) != 2 {
			t.Fatalf("marked %v (%v)", held, err)
		}
		// Outcomes in one call; a clean stop hands back the rest.
		err = s.FinishRecipients(ctx, "w", []models.Finished{
			{ID: got[0].ID, Outcome: models.Outcome{State: models.RcptSent, Channel: models.ChannelCustom}},
			{ID: got[1].ID, Outcome: models.Outcome{State: models.RcptQueued, NextAt: time.Now().Add(time.Hour), Reason: "retrying: busy"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.ReleaseClaims(ctx, "w"); err != nil || n != 3 {
			t.Fatalf("released %d (%v)", n, err)
		}
		prog, _ := s.PushProgress(ctx, b.ID)
		if prog[models.RcptSent] != 1 || prog[models.RcptQueued] != 7 || prog[models.RcptSkipped] != 2 || prog[models.RcptClaimed] != 0 {
			t.Fatalf("progress: %v", prog)
		}
		if n, _ := s.RecentPushes(ctx, got[0].MemberID, time.Now().Add(-time.Minute)); n != 1 {
			t.Fatalf("recent pushes %d", n)
		}
	})
}
