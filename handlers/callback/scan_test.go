package callback_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// TestScanAnsweredByChannelWelcome: a follower who scanned a channel's QR
// code got no reply (the SCAN was only recorded). The channel's welcome
// rule (trigger = its scene) now answers the scan through the real
// callback endpoint, as it answers a follow through the code; the scan is
// still counted for the channel; a scene without its own welcome, and the
// general welcome, leave a scan unanswered (the fan already follows).
func TestScanAnsweredByChannelWelcome(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		c := newConsulting(s)
		client := &roles.Client{Store: s, Log: log, Loc: shanghai, Now: time.Now, Rules: roles.DefaultClientRules}
		e := newEnv(t, s, true, c, client)
		mustSave(t, c, models.RuleSpec{Name: "海报欢迎", Kind: models.RuleWelcome, Trigger: "poster1",
			Replies: []models.Reply{models.TextReply("感谢扫描海报！回复 签到 领积分")}})
		mustSave(t, c, models.RuleSpec{Name: "通用欢迎", Kind: models.RuleWelcome,
			Replies: []models.Reply{models.TextReply("欢迎关注")}})
		ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "海报", Scene: "poster1", Permanent: true}, "tk-poster1", "http://qr/poster1", 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateChannel(ctx, models.NewChannel{Name: "柜台", Scene: "counter", Permanent: true}, "tk-counter", "http://qr/counter", 0); err != nil {
			t.Fatal(err)
		}
		const fan = "o_scanner"
		e.Follow(fan)

		scan := func(scene string, at int64) *fake.Reply {
			t.Helper()
			rec, reply := e.Post(fake.CallbackMessage{FromUserName: fan, CreateTime: at, MsgType: "event", Event: "SCAN", EventKey: scene, Ticket: "tk-" + scene})
			if rec.Code != 200 {
				t.Fatalf("SCAN %s: HTTP %d %s", scene, rec.Code, rec.Body.String())
			}
			return reply
		}
		now := time.Now().Unix()
		reply := scan("poster1", now)
		if reply == nil || reply.MsgType != "text" || reply.Content != "感谢扫描海报！回复 签到 领积分" {
			t.Fatalf("scan of poster1 answered %+v, want the channel's welcome", reply)
		}
		if reply := scan("counter", now+1); reply != nil {
			t.Errorf("scan of a channel without its own welcome answered %+v, want no reply", reply)
		}
		stats, err := s.ChannelStatsFor(ctx, ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stats.Scans != 1 || stats.Follows != 0 {
			t.Errorf("poster1 stats %+v, want the scan counted and no follow", stats)
		}
		// The answer is in the member's log, stored on the scan.
		log2, err := s.Conversation(ctx, fan, 50)
		if err != nil {
			t.Fatal(err)
		}
		answered := false
		for _, m := range log2 {
			if m.Event == "scan" && m.EventKey == "poster1" && m.State == models.StateReplied {
				answered = true
			}
		}
		if !answered {
			t.Errorf("the scan is not logged as answered: %+v", log2)
		}
	})
}
