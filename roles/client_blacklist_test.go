package roles_test

import (
	"context"
	"slices"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// TestBlacklistedFanIsRecordedNotAnswered: through the real callback, a
// fan's keyword is answered; blacklisted (on WeChat too), the same keyword
// is recorded with its text but gets no reply; taken off the blacklist, it
// is answered again. A fan WeChat does not know is refused in words and
// nothing changes.
func TestBlacklistedFanIsRecordedNotAnswered(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if _, err := s.CreateRule(ctx, models.RuleSpec{Name: "价格", Kind: models.RuleKeyword, Priority: 1, Keywords: kw("价格", models.MatchExact),
			Replies: []models.Reply{models.TextReply("价格表见菜单")}}); err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, s, false)
		wx := wechat.NewClient(wechat.Account{AppID: e.Acct.AppID, AppSecret: e.Acct.AppSecret, Token: e.Acct.Token}, wechat.NewMemoryCache(nil))
		e.Follow("oBlk")
		ask := func(id int64) string {
			t.Helper()
			_, r := e.Post(fake.CallbackMessage{FromUserName: "oBlk", MsgType: "text", Content: "价格", MsgID: id})
			e.Handler.Wait()
			if r == nil {
				return ""
			}
			return r.Content
		}
		if got := ask(1); got != "价格表见菜单" {
			t.Fatalf("before: %q", got)
		}
		m, err := s.FindMemberByOpenID(ctx, "oBlk")
		if err != nil {
			t.Fatal(err)
		}
		if changed, err := roles.SetBlacklist(ctx, s, wx, m, true); err != nil || !changed {
			t.Fatalf("blacklist: %v %v", changed, err)
		}
		if listed, err := wx.Blacklisted(ctx); err != nil || !slices.Equal(listed, []string{"oBlk"}) {
			t.Fatalf("WeChat's blacklist: %v %v", listed, err)
		}
		in0 := e.Inbound()
		if got := ask(2); got != "" {
			t.Fatalf("a blacklisted fan was answered %q", got)
		}
		if e.Inbound() != in0+1 {
			t.Fatal("the blacklisted fan's message was not recorded")
		}
		conv, _ := s.Conversation(ctx, "oBlk", 10)
		last := conv[len(conv)-1]
		if last.Content != "价格" || last.Replies != "" && last.Replies != "null" && last.Replies != "[]" {
			t.Fatalf("recorded %+v", last)
		}
		m, _ = s.FindMemberByOpenID(ctx, "oBlk")
		if changed, err := roles.SetBlacklist(ctx, s, wx, m, false); err != nil || !changed {
			t.Fatalf("unblacklist: %v %v", changed, err)
		}
		if got := ask(3); got != "价格表见菜单" {
			t.Fatalf("after unblacklisting: %q", got)
		}

		// A member WeChat does not know: refused with the errcode, nothing changes.
		_, stranger, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "stranger", OpenID: "oNotOnWeChat", MsgType: "text", Content: "x"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = roles.SetBlacklist(ctx, s, wx, stranger, true)
		if models.ErrorCode(err) != models.EUPSTREAM || models.ErrorMessage(err) != "WeChat refused: errcode 40003" {
			t.Fatalf("stranger: %v", err)
		}
		if again, _ := s.FindMemberByOpenID(ctx, "oNotOnWeChat"); again.Blacklisted {
			t.Fatal("flagged although WeChat refused")
		}
	})
}
