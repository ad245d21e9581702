package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestSearchMembersCombinesQueryAndFilter(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seedCRM(t, s)
		cases := []struct {
			q     models.MemberSearch
			total int64
		}{
			{models.MemberSearch{}, 12},
			{models.MemberSearch{Query: "crm1"}, 2},
			{models.MemberSearch{Filter: models.SegmentFilter{Stages: []string{"new"}}}, 4},
			{models.MemberSearch{Query: "crm1", Filter: models.SegmentFilter{Stages: []string{"new"}}}, 2},
			{models.MemberSearch{Filter: models.SegmentFilter{Channels: []string{"shop"}, Levels: []string{"spreader"}}}, 1},
			{models.MemberSearch{Query: "%"}, 0},
			{models.MemberSearch{Limit: 5, Offset: 10}, 12},
		}
		for _, c := range cases {
			list, total, err := s.SearchMembers(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			want := int(min(c.total-int64(c.q.Offset), 50))
			if c.q.Limit > 0 {
				want = min(want, c.q.Limit)
			}
			if total != c.total || len(list) != want {
				t.Errorf("%+v: %d rows of %d, want %d of %d", c.q, len(list), total, want, c.total)
			}
		}
		if _, _, err := s.SearchMembers(ctx, models.MemberSearch{Filter: models.SegmentFilter{Stages: []string{"vip"}}}); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("bad stage: %v", err)
		}
	})
}

func TestDrawsListReplayAndNotify(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		seedCRM(t, s)
		d, winners, err := s.RunDraw(ctx, "周年抽奖", models.SegmentFilter{}, 3, 7)
		if err != nil {
			t.Fatal(err)
		}
		list, err := s.ListDraws(ctx, 10)
		if err != nil || len(list) != 1 || list[0].Entrants != 12 || list[0].Winners != 3 || list[0].Name != "周年抽奖" || list[0].StaffID != 7 {
			t.Fatalf("draws: %+v %v", list, err)
		}
		got, err := s.FindDraw(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		again, same, err := got.Replay()
		if err != nil || !same || len(again) != 3 || again[0] != winners[0] {
			t.Fatalf("replay: %v %v %v (winners %v)", again, same, err, winners)
		}
		byID, err := s.MembersByIDs(ctx, append([]uint64{999999}, winners...))
		if err != nil || len(byID) != 3 || byID[0].ID != winners[0] {
			t.Fatalf("members by id: %v %v", byID, err)
		}

		// Notices are queued as a push for the delivery engine. Here the
		// engine is played by hand: the first winner's send fails.
		notices, err := s.NotifyDrawWinners(ctx, d.ID, "恭喜中奖", 7)
		if err != nil || len(notices) != 3 || notices[0].State != models.RcptQueued || notices[0].MemberID != winners[0] {
			t.Fatalf("notices: %+v %v", notices, err)
		}
		deliver := func(failFirst bool) {
			claimed, err := s.ClaimRecipients(ctx, "w", 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			for i := range claimed {
				o := models.Outcome{State: models.RcptSent, Channel: models.ChannelCustom}
				if failFirst && claimed[i].MemberID == winners[0] {
					o = models.Outcome{State: models.RcptFailed, Channel: models.ChannelCustom, ErrCode: 45015, Reason: "no open window"}
				}
				s.FinishRecipient(ctx, &claimed[i], "w", o)
			}
		}
		// Pressing again while the notices are on their way queues nothing.
		if again, _ := s.NotifyDrawWinners(ctx, d.ID, "恭喜中奖", 7); len(again) != 3 {
			t.Fatalf("again: %+v", again)
		}
		deliver(true)
		notices, _ = s.DrawNotices(ctx, d.ID)
		if notices[0].Sent || notices[0].ErrCode != 45015 || notices[0].Error != "no open window" || !notices[1].Sent || !notices[2].Sent {
			t.Fatalf("after delivery: %+v", notices)
		}
		// A second run queues only the failed winner.
		notices, err = s.NotifyDrawWinners(ctx, d.ID, "恭喜中奖", 7)
		if err != nil || notices[0].State != models.RcptQueued || !notices[1].Sent {
			t.Fatalf("retry: %+v %v", notices, err)
		}
		claimed, _ := s.ClaimRecipients(ctx, "w", 10, time.Minute)
		if len(claimed) != 1 || claimed[0].MemberID != winners[0] {
			t.Fatalf("the retry queued %+v", claimed)
		}
		s.FinishRecipient(ctx, &claimed[0], "w", models.Outcome{State: models.RcptSent, Channel: models.ChannelCustom})
		if stored, _ := s.DrawNotices(ctx, d.ID); len(stored) != 3 || !stored[0].Sent {
			t.Fatalf("stored notices %+v", stored)
		}
		if _, err := s.NotifyDrawWinners(ctx, d.ID, "", 7); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("empty text: %v", err)
		}
		if _, err := s.NotifyDrawWinners(ctx, 424242, "x", 7); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("unknown draw: %v", err)
		}
	})
}

func TestFindTopicEntryChecksTheTopic(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		m := seedCRM(t, s)[0]
		now := time.Now()
		a, _ := s.SaveTopic(ctx, models.Topic{Keyword: "美食", Title: "美食", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour)})
		b, _ := s.SaveTopic(ctx, models.Topic{Keyword: "旅行", Title: "旅行", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour)})
		e, _, err := s.AddTopicEntry(ctx, a, m, "美食 面馆")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.FindTopicEntry(ctx, a.ID, e.ID); err != nil || got.Text != "美食 面馆" {
			t.Fatalf("entry: %+v %v", got, err)
		}
		if _, err := s.FindTopicEntry(ctx, b.ID, e.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("entry of another topic: %v", err)
		}
		if got, err := s.FindTopic(ctx, b.ID); err != nil || got.Keyword != "旅行" {
			t.Fatalf("topic: %+v %v", got, err)
		}
		g, _ := s.SaveGift(ctx, models.Gift{Name: "杯子", Kind: models.GiftItem, Cost: 10, Stock: 1})
		if got, err := s.FindGift(ctx, g.ID); err != nil || got.Name != "杯子" {
			t.Fatalf("gift: %+v %v", got, err)
		}
		// Created as given: inactive and with no validity, not the column defaults.
		if got, err := s.FindGift(ctx, g.ID); err != nil || got.Active || got.ValidDays != 0 {
			t.Fatalf("a gift created inactive: %+v %v", got, err)
		}
		if active, err := s.ListGifts(ctx, true); err != nil || len(active) != 0 {
			t.Fatalf("active gifts: %+v %v", active, err)
		}
	})
}
