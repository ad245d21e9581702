package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// seedFan records a fan who followed through a channel, wrote two texts
// (one answered), filled in the profile, got a tag and earned points.
func seedFan(t *testing.T, s *models.Store, openID string) *models.Member {
	t.Helper()
	ctx := context.Background()
	_, m, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: openID + "-f", OpenID: openID, MsgType: "event",
		Event: "subscribe", EventKey: "qrscene_shop", Subscribe: true, Scene: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"我的手机号是13800138000", "请寄到北京市朝阳区"} {
		msg, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: fmt.Sprintf("%s-%d", openID, i), OpenID: openID,
			MsgType: "text", Content: text, Raw: "<xml>" + text + "</xml>"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := s.FinishInbound(ctx, msg.ID, models.Answer{State: models.StateReplied,
				Replies: []models.Reply{models.TextReply("收到，张三")}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.LogOutbound(ctx, models.Outbound{OpenID: openID, Channel: models.ChannelCustom, Reply: models.TextReply("张三您好")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveProfile(ctx, m.ID, models.ProfileInput{Name: "张三", Phone: "13800138000", Region: "北京", Consent: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.TagMember(ctx, m.ID, "高意向"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Earn(ctx, m.ID, 30, models.SourceSignIn, "", openID+"-earn", nil); err != nil {
		t.Fatal(err)
	}
	m, err = s.FindMemberByOpenID(ctx, openID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestExportEraseRoundTrip: the export holds the fan's profile, tags,
// ledger and both sides of the conversation; the erase leaves no trace of
// the openid or of what was said, keeps message, follow and points totals,
// and the same fan following again is a new member.
func TestExportEraseRoundTrip(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		fan := seedFan(t, s, "oErase1")
		seedFan(t, s, "oKeep1")
		e, err := s.ExportMember(ctx, "oErase1")
		if err != nil {
			t.Fatal(err)
		}
		if e.Profile == nil || e.Profile.Phone != "13800138000" || len(e.Tags) != 1 || e.Tags[0] != "高意向" ||
			len(e.Ledger) != 1 || e.Ledger[0].Delta != 30 || len(e.Messages) != 4 || e.Messages[1].Content != "我的手机号是13800138000" {
			t.Fatalf("export %+v", e)
		}
		if e.Messages[1].Raw != "" {
			t.Fatal("the export carries the raw XML")
		}
		if _, err := s.ExportMember(ctx, "oNobody"); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("export of an unknown fan: %v", err)
		}
		in0, _ := s.CountMessages(ctx, models.DirectionIn)
		out0, _ := s.CountMessages(ctx, models.DirectionOut)
		loc := time.UTC
		p, _ := models.ReportPeriod(time.Now(), loc, "7", "", "")
		g0, err := s.Growth(ctx, p, models.AllChannels)
		if err != nil {
			t.Fatal(err)
		}
		pts0, err := s.Points(ctx, p, 10)
		if err != nil {
			t.Fatal(err)
		}

		res, err := s.EraseMember(ctx, "oErase1")
		if err != nil {
			t.Fatal(err)
		}
		if res.MemberID != fan.ID || res.Messages != 4 || res.Tags != 1 || !strings.HasPrefix(res.Placeholder, models.ErasedPrefix) ||
			strings.Contains(res.Placeholder, "oErase1") {
			t.Fatalf("erase result %+v", res)
		}
		if _, err := s.FindMemberByOpenID(ctx, "oErase1"); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("the openid is still known: %v", err)
		}
		if _, err := s.EraseMember(ctx, "oErase1"); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("erasing twice: %v", err)
		}
		if _, err := s.EraseMember(ctx, res.Placeholder); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("erasing by placeholder: %v", err)
		}
		anon, err := s.ExportMember(ctx, res.Placeholder)
		if err != nil {
			t.Fatal(err)
		}
		if !anon.Member.Erased() || anon.Profile != nil || len(anon.Tags) != 0 || anon.Member.UnionID != "" || anon.Member.Points != 30 {
			t.Fatalf("erased member %+v", anon)
		}
		for _, m := range anon.Messages {
			if m.Content != "" || m.Replies != "" || m.Raw != "" {
				t.Fatalf("message kept content: %+v", m)
			}
		}
		if len(anon.Messages) != 4 || len(anon.Ledger) != 1 || anon.Ledger[0].Balance != 30 {
			t.Fatalf("counts lost: %d messages, ledger %+v", len(anon.Messages), anon.Ledger)
		}
		// The other fan keeps everything.
		if kept, err := s.ExportMember(ctx, "oKeep1"); err != nil || kept.Profile == nil || len(kept.Messages) != 4 || kept.Messages[1].Content == "" {
			t.Fatalf("the other fan: %+v %v", kept, err)
		}
		in1, _ := s.CountMessages(ctx, models.DirectionIn)
		out1, _ := s.CountMessages(ctx, models.DirectionOut)
		if in1 != in0 || out1 != out0 {
			t.Fatalf("message totals changed: in %d→%d, out %d→%d", in0, in1, out0, out1)
		}
		g1, err := s.Growth(ctx, p, models.AllChannels)
		if err != nil {
			t.Fatal(err)
		}
		if g1.Total.Follows != g0.Total.Follows || g1.Total.Follows != 2 || len(g1.Channels) != len(g0.Channels) {
			t.Fatalf("growth changed: %+v → %+v", g0.Total, g1.Total)
		}
		pts1, err := s.Points(ctx, p, 10)
		if err != nil {
			t.Fatal(err)
		}
		if pts1.Outstanding != pts0.Outstanding || pts1.Outstanding != 60 {
			t.Fatalf("points outstanding %d → %d", pts0.Outstanding, pts1.Outstanding)
		}
		for _, top := range pts1.Top {
			if top.OpenID == "oErase1" {
				t.Fatal("the points report names the erased fan")
			}
		}

		// Following again: a new member.
		_, again, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "again", OpenID: "oErase1", MsgType: "event",
			Event: "subscribe", Subscribe: true})
		if err != nil {
			t.Fatal(err)
		}
		if again.ID == fan.ID || again.Follows != 1 || again.Points != 0 {
			t.Fatalf("re-follow: %+v (erased member %d)", again, fan.ID)
		}
		if tags, _ := s.MemberTags(ctx, again.ID); len(tags) != 0 {
			t.Fatalf("re-followed fan has tags %v", tags)
		}
		conv, err := s.Conversation(ctx, "oErase1", 100)
		if err != nil || len(conv) != 1 {
			t.Fatalf("re-followed fan's log: %d %v", len(conv), err)
		}
	})
}

// TestExportSegmentStreams: a segment larger than one batch is exported
// whole, in id order, each member with their own messages.
func TestExportSegmentStreams(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		const n = 230
		batch := make([]models.Inbound, 0, n)
		for i := 0; i < n; i++ {
			batch = append(batch, models.Inbound{DedupeKey: fmt.Sprint("seg", i), OpenID: fmt.Sprintf("oSeg%03d", i), MsgType: "text",
				Content: fmt.Sprint("hello ", i)})
		}
		for _, in := range batch {
			if _, _, _, err := s.RecordInbound(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		err := s.ExportSegment(ctx, models.SegmentFilter{}, func(e *models.MemberExport) error {
			if len(e.Messages) != 1 || e.Messages[0].OpenID != e.Member.OpenID {
				return fmt.Errorf("%s: messages %+v", e.Member.OpenID, e.Messages)
			}
			got = append(got, e.Member.OpenID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n || got[0] != "oSeg000" || got[n-1] != fmt.Sprintf("oSeg%03d", n-1) {
			t.Fatalf("exported %d members: %v…", len(got), got[:min(3, len(got))])
		}
	})
}
