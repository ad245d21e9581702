package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestRecordInboundCreatesMemberAndDedupes(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		in := models.Inbound{DedupeKey: "m:1", OpenID: "o1", MsgType: "text", Content: "你好"}
		msg, member, dup, err := s.RecordInbound(ctx, in)
		if err != nil || dup {
			t.Fatalf("first record: dup=%v err=%v", dup, err)
		}
		if member.OpenID != "o1" || !member.Subscribed || member.LastInteractionAt == nil {
			t.Fatalf("member not upserted: %+v", member)
		}
		if msg.MemberID != member.ID || msg.State != models.StateProcessing {
			t.Fatalf("message: %+v", msg)
		}
		if err := s.FinishInbound(ctx, msg.ID, models.Answer{State: models.StateReplied, Replies: []models.Reply{models.TextReply("hi")}}); err != nil {
			t.Fatal(err)
		}
		again, _, dup, err := s.RecordInbound(ctx, in)
		if err != nil || !dup {
			t.Fatalf("retry: dup=%v err=%v", dup, err)
		}
		rs, err := again.DecodedReplies()
		if err != nil || len(rs) != 1 || rs[0].Text != "hi" || again.State != models.StateReplied {
			t.Fatalf("stored answer lost: %+v %v", again, err)
		}
		if n, _ := s.CountMessages(ctx, models.DirectionIn); n != 1 {
			t.Fatalf("inbound rows = %d, want 1", n)
		}
	})
}

func TestRecordInboundConcurrentRetries(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		firsts := 0
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, dup, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "m:race", OpenID: "newfan", MsgType: "text"})
				if err != nil {
					t.Error(err)
					return
				}
				if !dup {
					mu.Lock()
					firsts++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if firsts != 1 {
			t.Fatalf("%d attempts won, want exactly 1", firsts)
		}
		// Different messages from one new fan racing must not fail either.
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: fmt.Sprintf("m:x%d", i), OpenID: "fan2"}); err != nil {
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		if _, total, err := s.ListMembers(ctx, models.MemberFilter{Query: "fan2"}); err != nil || total != 1 {
			t.Fatalf("members for fan2 = %d (%v), want 1", total, err)
		}
	})
}

func TestSubscribeUnsubscribe(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		s.Now = func() time.Time { return clock }
		if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "e1", OpenID: "o", MsgType: "event", Event: "subscribe", Subscribe: true, Scene: "shop1"}); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Hour)
		_, m, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "e2", OpenID: "o", MsgType: "event", Event: "unsubscribe", Unsubscribe: true})
		if err != nil {
			t.Fatal(err)
		}
		if m.Subscribed || m.UnsubscribedAt == nil || m.SubscribeScene != "shop1" {
			t.Fatalf("after unsubscribe: %+v", m)
		}
		if !m.FirstSubscribedAt.Equal(clock.Add(-time.Hour)) {
			t.Fatalf("first subscribed at %v", m.FirstSubscribedAt)
		}
		clock = clock.Add(time.Hour)
		_, m, _, _ = s.RecordInbound(ctx, models.Inbound{DedupeKey: "e3", OpenID: "o", MsgType: "event", Event: "subscribe", Subscribe: true})
		if !m.Subscribed || !m.FirstSubscribedAt.Equal(clock.Add(-2*time.Hour)) || !m.LastSubscribedAt.Equal(clock) {
			t.Fatalf("re-follow: %+v", m)
		}
	})
}

func TestRecordInboundRejectsMissingKey(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		_, _, _, err := s.RecordInbound(context.Background(), models.Inbound{OpenID: "o"})
		if models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("err = %v, want invalid", err)
		}
	})
}

func TestConversationBothDirections(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
		s.RecordInbound(ctx, models.Inbound{DedupeKey: "a", OpenID: "o", MsgType: "text", Content: "q"})
		if err := s.LogOutbound(ctx, models.Outbound{OpenID: "o", Channel: models.ChannelCustom, Reply: models.TextReply("answer")}); err != nil {
			t.Fatal(err)
		}
		s.LogOutbound(ctx, models.Outbound{OpenID: "o", Channel: models.ChannelCustom, Reply: models.TextReply("x"), ErrCode: 45015, Err: fmt.Errorf("45015 out of window")})
		conv, err := s.Conversation(ctx, "o", 10)
		if err != nil || len(conv) != 3 {
			t.Fatalf("conversation: %d %v", len(conv), err)
		}
		if conv[0].Content != "q" || conv[1].Content != "answer" || conv[2].State != models.StateFailed || conv[2].ErrCode != 45015 {
			t.Fatalf("order or content wrong: %+v", conv)
		}
	})
}

// A retried follow is a duplicate: the sender's change made before the
// insert met the key is undone, so the follow counts once.
func TestRecordInboundRetriedFollowCountsOnce(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		in := models.Inbound{DedupeKey: "f:1", OpenID: "oFollow", MsgType: "event", Event: "subscribe", Subscribe: true, Scene: "poster"}
		msg, member, _, err := s.RecordInbound(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if stored, _ := s.FindMessage(ctx, msg.ID); stored.MemberID != member.ID {
			t.Fatalf("message member %d, want %d", stored.MemberID, member.ID)
		}
		if _, _, dup, err := s.RecordInbound(ctx, in); err != nil || !dup {
			t.Fatalf("retry: dup=%v err=%v", dup, err)
		}
		if m, _ := s.FindMemberByOpenID(ctx, "oFollow"); m.Follows != 1 {
			t.Fatalf("follows after a retried follow: %d", m.Follows)
		}
	})
}
