package models_test

import (
	"context"
	"sync"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestDedupeKeyReusedForDifferentMessage: the sandbox's fake WeChat, after
// a restart, handed out MsgIds it had used before; fivec took "今天天气"
// under the key of an earlier "你好" for a retry and answered it with the
// stored answer of the other message, and the text never reached the
// member's log. A key hit whose sender, type, event, key or content
// differs is a new message, stored under a key of its own; a genuine retry
// (same content) still gets the stored message and changes nothing. Both
// through the store and through the recorder's batches.
func TestDedupeKeyReusedForDifferentMessage(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		hello := models.Inbound{DedupeKey: "m:42", OpenID: "o_reuse", MsgType: "text", Content: "你好"}
		first, member, dup, err := s.RecordInbound(ctx, hello)
		if err != nil || dup {
			t.Fatalf("first: %v %v", dup, err)
		}
		if err := s.FinishInbound(ctx, first.ID, models.Answer{MemberID: member.ID, State: models.StateReplied,
			Replies: []models.Reply{models.TextReply("营业时间 9-21")}}); err != nil {
			t.Fatal(err)
		}
		weather := hello
		weather.Content = "今天天气"
		second, _, dup, err := s.RecordInbound(ctx, weather)
		if err != nil || dup || second.ID == first.ID || second.State != models.StateProcessing {
			t.Fatalf("another message under a used key: dup %v, %+v, %v", dup, second, err)
		}
		if !second.Rekeyed("m:42") || first.Rekeyed("m:42") {
			t.Errorf("rekeyed: %v / %v", second.Rekeyed("m:42"), first.Rekeyed("m:42"))
		}
		// Retries of either are retries.
		for _, in := range []models.Inbound{hello, weather} {
			got, _, dup, err := s.RecordInbound(ctx, in)
			want := first.ID
			if in.Content == weather.Content {
				want = second.ID
			}
			if err != nil || !dup || got.ID != want {
				t.Errorf("retry of %q: id %d dup %v %v, want id %d", in.Content, got.ID, dup, err, want)
			}
		}
		// Other senders, types and events under the key are new too.
		other := hello
		other.OpenID = "o_other"
		event := models.Inbound{DedupeKey: "m:42", OpenID: "o_reuse", MsgType: "event", Event: "click", EventKey: "DEALS", Content: "DEALS"}
		for _, in := range []models.Inbound{other, event} {
			if _, _, dup, err := s.RecordInbound(ctx, in); err != nil || dup {
				t.Errorf("%+v: dup %v %v", in, dup, err)
			}
		}

		// The recorder: a batch with a retry, a reused key and two of a
		// kind, all at once.
		r := models.NewRecorder(s, models.RecorderOptions{MaxBatch: 16})
		defer r.Close()
		ins := []models.Inbound{
			hello, weather,
			{DedupeKey: "m:43", OpenID: "o_reuse", MsgType: "text", Content: "优惠"},
			{DedupeKey: "m:43", OpenID: "o_reuse", MsgType: "text", Content: "几点开门"},
			{DedupeKey: "m:43", OpenID: "o_reuse", MsgType: "text", Content: "优惠"},
		}
		type res struct {
			msg *models.Message
			dup bool
			err error
		}
		out := make([]res, len(ins))
		var wg sync.WaitGroup
		for i, in := range ins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, _, dup, err := r.Record(ctx, in)
				out[i] = res{m, dup, err}
			}()
		}
		wg.Wait()
		for i, o := range out[:2] {
			if o.err != nil || !o.dup {
				t.Errorf("batch retry %d: %+v", i, o)
			}
		}
		if o := out[3]; o.err != nil || o.msg.Content != "几点开门" {
			t.Errorf("batch: the reused key's message: %+v", o)
		}
		if a, b := out[2], out[4]; a.err != nil || b.err != nil || a.msg.ID != b.msg.ID || a.dup == b.dup || a.msg.Content != "优惠" {
			t.Errorf("batch: one message twice: %+v / %+v", a, b)
		}
		log, err := s.Conversation(ctx, "o_reuse", 100)
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, m := range log {
			if m.MsgType == "text" {
				texts = append(texts, m.Content)
			}
		}
		if len(texts) != 4 {
			t.Errorf("member's log holds %q, want 你好, 今天天气, 优惠, 几点开门 once each", texts)
		}
	})
}
