package roles_test

import (
	"context"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat/fake"
)

// TestRuleReplyNameAndPoints: {{.Name}} and {{.Points}} in a rule reply,
// answered through the real callback pipeline, are the fan's profile name
// and real points balance; a fan without a profile is addressed as 朋友 and
// shows 0 only while their balance is truly 0 (points earned later show).
func TestRuleReplyNameAndPoints(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if _, err := s.CreateRule(ctx, models.RuleSpec{Name: "积分", Kind: models.RuleKeyword, Priority: 1, Keywords: kw("积分", models.MatchExact),
			Replies: []models.Reply{models.TextReply("{{.Name}}您好，您有 {{.Points}} 积分")}}); err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, s, false)
		ask := func(openID string, id int64) string {
			t.Helper()
			_, r := e.Post(fake.CallbackMessage{FromUserName: openID, MsgType: "text", Content: "积分", MsgID: id})
			if r == nil {
				t.Fatalf("%s: no reply", openID)
			}
			return r.Content
		}
		member := func(openID string) *models.Member {
			t.Helper()
			e.Post(fake.CallbackMessage{FromUserName: openID, MsgType: "text", Content: "你好", MsgID: int64(len(openID)) * 1000})
			e.Handler.Wait()
			m, err := s.FindMemberByOpenID(ctx, openID)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}

		zhang := member("o_zhangsan")
		if _, err := s.SaveProfile(ctx, zhang.ID, models.ProfileInput{Name: "张三", Consent: true}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Earn(ctx, zhang.ID, 120, "test", "测试", "vars-zhang", nil); err != nil {
			t.Fatal(err)
		}
		if got, want := ask("o_zhangsan", 1), "张三您好，您有 120 积分"; got != want {
			t.Fatalf("profile member: %q, want %q", got, want)
		}

		if got, want := ask("o_nobody", 2), "朋友您好，您有 0 积分"; got != want {
			t.Fatalf("member without profile or points: %q, want %q", got, want)
		}
		nobody, err := s.FindMemberByOpenID(ctx, "o_nobody")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Earn(ctx, nobody.ID, 35, "test", "测试", "vars-nobody", nil); err != nil {
			t.Fatal(err)
		}
		if got, want := ask("o_nobody", 3), "朋友您好，您有 35 积分"; got != want {
			t.Fatalf("member without profile, 35 points: %q, want %q", got, want)
		}
	})
}
