package roles_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// desk is an env with Close Service in front of Consulting, as in cmd/fivec.
type desk struct {
	*env
	svc *roles.Service
	con *roles.Consulting
}

func newDesk(t *testing.T, s *models.Store, tweak func(*roles.Service)) *desk {
	t.Helper()
	e := newEnv(t, s, false) // replaced below
	svc := &roles.Service{
		Store: s, Sender: e.Handler.Sender, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Keywords: []string{"人工", "转人工", "客服"}, MenuKey: "CONTACT_AGENT", UnansweredLimit: 3,
		Policy: models.PolicyLeastLoaded, AskSatisfaction: true, Texts: roles.DefaultServiceTexts,
		Window: models.DefaultWindowRules,
	}
	if tweak != nil {
		tweak(svc)
	}
	con := newConsulting(s)
	con.Actions["escalate"] = svc.EscalateAction
	e.Handler.Pipeline.Roles = []roles.Role{svc, con}
	return &desk{env: e, svc: svc, con: con}
}

func (d *desk) say(openID, text string) string {
	d.T.Helper()
	got, err := platform.SendText(context.Background(), d.Acct.AppID, openID, text)
	if err != nil {
		d.T.Fatal(err)
	}
	d.Handler.Wait()
	if got == nil {
		return ""
	}
	return got.Text
}

func (d *desk) lastCustom(openID string) string {
	last := ""
	for _, x := range platform.Inbox(d.Acct.AppID, openID) {
		if x.Source == fake.SourceCustom {
			last = x.Text
		}
	}
	return last
}

func (d *desk) agent(name string, online bool, capacity int) *models.Staff {
	d.T.Helper()
	ctx := context.Background()
	st, err := d.Store.CreateStaff(ctx, models.NewStaff{Username: name, DisplayName: strings.ToUpper(name), Password: "correct-horse-1", Role: models.RoleAgent})
	if err != nil {
		d.T.Fatal(err)
	}
	if _, err := d.Store.SetAgentStatus(ctx, st.ID, online, capacity); err != nil {
		d.T.Fatal(err)
	}
	return st
}

func (d *desk) member(openID string) *models.Member {
	m, err := d.Store.FindMemberByOpenID(context.Background(), openID)
	if err != nil {
		d.T.Fatal(err)
	}
	return m
}

func TestEscalationQueueAndQuietBot(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		d := newDesk(t, s, nil)
		mustSave(t, d.con, models.RuleSpec{Name: "price", Kind: "keyword", Keywords: kw("价格", "exact"), Replies: []models.Reply{models.TextReply("100 元")}})
		d.Follow("q1")
		d.Follow("q2")
		if got := d.say("q1", "价格"); got != "100 元" {
			t.Fatalf("bot before escalation: %q", got)
		}
		if got := d.say("q1", "转人工"); got != "已为您转接人工客服，前面还有 0 位，请稍候。" {
			t.Fatalf("queued reply: %q", got)
		}
		if got := d.say("q2", "人工"); !strings.Contains(got, "前面还有 1 位") {
			t.Fatalf("second in queue: %q", got)
		}
		// While waiting, the bot is quiet: the fan hears the queue position.
		if got := d.say("q1", "价格"); !strings.Contains(got, "您正在排队，前面还有 0 位") {
			t.Fatalf("bot answered a waiting fan: %q", got)
		}
		if got := d.say("q2", "价格"); !strings.Contains(got, "您正在排队，前面还有 1 位") {
			t.Fatalf("second waiting fan: %q", got)
		}
		conv, err := s.OpenConversation(context.Background(), d.member("q1").ID)
		if err != nil || conv == nil || conv.State != models.ConvWaiting || conv.Reason != models.ReasonKeyword {
			t.Fatalf("conversation: %+v %v", conv, err)
		}
		// A menu click and a rule action escalate too.
		d.Follow("q3")
		if _, err := platform.Click(context.Background(), d.Acct.AppID, "q3", "CONTACT_AGENT"); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.OpenConversation(context.Background(), d.member("q3").ID); c == nil || c.Reason != models.ReasonMenu {
			t.Fatalf("menu escalation: %+v", c)
		}
		mustSave(t, d.con, models.RuleSpec{Name: "refund", Kind: "keyword", Keywords: kw("退款", "contains"), Actions: []models.Action{{Type: "escalate"}}})
		d.Follow("q4")
		if got := d.say("q4", "我要退款"); !strings.Contains(got, "已为您转接人工客服") {
			t.Fatalf("rule escalation reply: %q", got)
		}
		if c, _ := s.OpenConversation(context.Background(), d.member("q4").ID); c == nil || c.Reason != models.ReasonRule {
			t.Fatalf("rule escalation: %+v", c)
		}
	})
}

func TestUnansweredRunEscalates(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		d := newDesk(t, s, nil)
		mustSave(t, d.con, models.RuleSpec{Name: "hi", Kind: "keyword", Keywords: kw("你好", "exact"), Replies: []models.Reply{models.TextReply("你好！")}})
		d.Follow("u1")
		d.say("u1", "啊")
		d.say("u1", "你好") // answered: the run starts again
		d.say("u1", "嗯")
		d.say("u1", "哦")
		if c, _ := s.OpenConversation(context.Background(), d.member("u1").ID); c != nil {
			t.Fatalf("escalated after 2 unanswered: %+v", c)
		}
		got := d.say("u1", "？？")
		c, _ := s.OpenConversation(context.Background(), d.member("u1").ID)
		if c == nil || c.Reason != models.ReasonUnanswered || !strings.Contains(got, "已为您转接人工客服") {
			t.Fatalf("third unanswered: reply %q, conversation %+v", got, c)
		}
	})
}

func TestAssignmentCapacityStickyAndClaimRace(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		d := newDesk(t, s, nil)
		ctx := context.Background()
		ann := d.agent("ann", true, 1)
		for _, f := range []string{"a1", "a2", "a3"} {
			d.Follow(f)
		}
		if got := d.say("a1", "人工"); got != "客服 ANN 为您服务，请问有什么可以帮您？" {
			t.Fatalf("auto-assigned reply: %q", got)
		}
		// ann is at capacity: the next fan waits.
		if got := d.say("a2", "人工"); !strings.Contains(got, "前面还有 0 位") {
			t.Fatalf("over capacity: %q", got)
		}
		// Sticky: a1 comes back after resolution and gets ann again even
		// though bob is less loaded.
		c1, _ := s.OpenConversation(ctx, d.member("a1").ID)
		if _, err := d.svc.Resolve(ctx, c1.ID, "agent"); err != nil {
			t.Fatal(err)
		}
		bob := d.agent("bob", true, 5)
		// ann has room again; the waiting a2 goes to the least loaded (both 0
		// now: ann was assigned more recently, so bob).
		if n, err := d.svc.AssignWaiting(ctx); err != nil || n != 1 {
			t.Fatalf("assign waiting: %d %v", n, err)
		}
		c2, _ := s.OpenConversation(ctx, d.member("a2").ID)
		if c2.AgentID == nil || *c2.AgentID != bob.ID {
			t.Fatalf("a2 went to %v, want bob", c2.AgentID)
		}
		if got := d.lastCustom("a2"); got != "客服 BOB 为您服务，请问有什么可以帮您？" {
			t.Fatalf("a2 not told: %q", got)
		}
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
		if got := d.say("a1", "人工"); got != "客服 ANN 为您服务，请问有什么可以帮您？" {
			t.Fatalf("sticky routing: %q", got)
		}
		// Offline agents get nothing.
		s.SetAgentStatus(ctx, ann.ID, false, 0)
		s.SetAgentStatus(ctx, bob.ID, false, 0)
		d.say("a3", "人工")
		c3, _ := s.OpenConversation(ctx, d.member("a3").ID)
		if c3.State != models.ConvWaiting {
			t.Fatalf("assigned while everyone is offline: %+v", c3)
		}
		// Eight agents claim a3 at once: exactly one wins.
		var agents []*models.Staff
		for i := 0; i < 8; i++ {
			agents = append(agents, d.agent(fmt.Sprintf("c%d", i), false, 5))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, taken := 0, 0
		for _, a := range agents {
			wg.Add(1)
			go func(a *models.Staff) {
				defer wg.Done()
				_, err := s.Claim(ctx, c3.ID, a.ID)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case err == models.ErrTaken || models.ErrorCode(err) == models.ECONFLICT:
					taken++
				default:
					t.Error(err)
				}
			}(a)
		}
		wg.Wait()
		if wins != 1 || taken != 7 {
			t.Fatalf("claims: %d won, %d refused; want 1 and 7", wins, taken)
		}
	})
}

func TestAgentReplyWindowTransferResolveAndRating(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		d := newDesk(t, s, nil)
		ctx := context.Background()
		ann := d.agent("ann", true, 5)
		bob := d.agent("bob", false, 5)
		d.Follow("r1")
		d.say("r1", "人工")
		conv, _ := s.OpenConversation(ctx, d.member("r1").ID)
		if err := d.svc.Reply(ctx, conv.ID, bob, models.TextReply("hi")); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("unassigned agent replied: %v", err)
		}
		if err := d.svc.Reply(ctx, conv.ID, ann, models.TextReply("您好，我是 Ann")); err != nil {
			t.Fatal(err)
		}
		if got := d.lastCustom("r1"); got != "您好，我是 Ann" {
			t.Fatalf("fan did not get the reply: %q", got)
		}
		conv, _ = s.FindConversation(ctx, conv.ID)
		if conv.FirstResponseAt == nil {
			t.Fatal("first response time not recorded")
		}
		// The quota: 5 customer-service messages after the fan's last
		// message (the assignment greeting was passive and is free). The
		// sixth is refused locally, before WeChat would answer 45047.
		for i := 2; i <= 5; i++ {
			if err := d.svc.Reply(ctx, conv.ID, ann, models.TextReply(fmt.Sprint("msg ", i))); err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
		}
		calls := len(platform.CallsFor(d.Acct.AppID))
		err := d.svc.Reply(ctx, conv.ID, ann, models.TextReply("one too many"))
		if models.ErrorCode(err) != models.ECONFLICT || !strings.Contains(err.Error(), "quota") {
			t.Fatalf("over quota: %v", err)
		}
		if len(platform.CallsFor(d.Acct.AppID)) != calls {
			t.Fatal("an over-quota send reached WeChat")
		}
		// 49 hours later the window is closed.
		real := s.Now
		s.Now = func() time.Time { return real().Add(49 * time.Hour) }
		err = d.svc.Reply(ctx, conv.ID, ann, models.TextReply("late"))
		if models.ErrorCode(err) != models.ECONFLICT || !strings.Contains(err.Error(), "48 hours") {
			t.Fatalf("closed window: %v", err)
		}
		s.Now = real
		if _, err := s.Transfer(ctx, conv.ID, bob.ID, ann.ID, "x"); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("transfer by a non-owner: %v", err)
		}
		conv, err = s.Transfer(ctx, conv.ID, ann.ID, bob.ID, "VIP，注意语气")
		if err != nil || *conv.AgentID != bob.ID {
			t.Fatalf("transfer: %+v %v", conv, err)
		}
		if notes, _ := s.Notes(ctx, conv.ID); len(notes) != 1 || notes[0].Text != "转接给 BOB：VIP，注意语气" {
			t.Fatalf("transfer note: %+v", notes)
		}
		// The fan writes again (new window), bob resolves, the fan rates.
		d.say("r1", "好的谢谢")
		if _, err := d.svc.Resolve(ctx, conv.ID, "agent"); err != nil {
			t.Fatal(err)
		}
		if got := d.lastCustom("r1"); !strings.Contains(got, "本次服务已结束") || !strings.Contains(got, "回复 1-5") {
			t.Fatalf("resolution message: %q", got)
		}
		if _, err := d.svc.Resolve(ctx, conv.ID, "agent"); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("resolving twice: %v", err)
		}
		if got := d.say("r1", "5"); got != "感谢您的评价！" {
			t.Fatalf("rating reply: %q", got)
		}
		conv, _ = s.FindConversation(ctx, conv.ID)
		if conv.Satisfaction == nil || *conv.Satisfaction != 5 {
			t.Fatalf("rating not stored: %+v", conv.Satisfaction)
		}
		// A second "5" is just a text again (no double rating).
		if got := d.say("r1", "4"); got == "感谢您的评价！" {
			t.Fatal("rated twice")
		}
	})
}

func TestTimeoutsApologyAndUnfollow(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		d := newDesk(t, s, nil)
		ctx := context.Background()
		ann := d.agent("ann", true, 1)
		d.Follow("t1")
		d.Follow("t2")
		d.say("t1", "人工") // assigned to ann
		d.say("t2", "人工") // waits: ann is full
		c1, _ := s.OpenConversation(ctx, d.member("t1").ID)
		c2, _ := s.OpenConversation(ctx, d.member("t2").ID)
		if *c1.AgentID != ann.ID || c2.State != models.ConvWaiting {
			t.Fatalf("setup: %+v %+v", c1, c2)
		}
		now := time.Now()
		// Nothing is old enough yet.
		if err := d.svc.Tick(ctx, 30*time.Minute, 10*time.Minute, now); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.FindConversation(ctx, c1.ID); c.State != models.ConvAssigned {
			t.Fatalf("resolved too early: %s", c.State)
		}
		// 31 minutes later: t1 idle → resolved and told; ann is free, so t2 is
		// assigned in the same tick; t2 waited > 10 min → one apology.
		later := now.Add(31 * time.Minute)
		s.Now = func() time.Time { return later }
		s.SetAgentStatus(ctx, ann.ID, true, 1) // heartbeat
		if err := d.svc.Tick(ctx, 30*time.Minute, 10*time.Minute, later); err != nil {
			t.Fatal(err)
		}
		c1, _ = s.FindConversation(ctx, c1.ID)
		if c1.State != models.ConvResolved || c1.ResolvedBy != "timeout" {
			t.Fatalf("idle conversation: %+v", c1)
		}
		if got := d.lastCustom("t1"); !strings.Contains(got, "自动结束") {
			t.Fatalf("t1 not told about the timeout: %q", got)
		}
		d.svc.Tick(ctx, 30*time.Minute, 10*time.Minute, later.Add(time.Minute))
		apologies := 0
		for _, x := range platform.Inbox(d.Acct.AppID, "t2") {
			if strings.Contains(x.Text, "让您久等了") {
				apologies++
			}
		}
		if apologies != 1 {
			t.Fatalf("apologies after two ticks: %d, want exactly 1", apologies)
		}
		c2, _ = s.FindConversation(ctx, c2.ID)
		if c2.State != models.ConvAssigned || *c2.AgentID != ann.ID {
			t.Fatalf("t2 not assigned when ann freed up: %+v", c2)
		}
		// Unfollowing ends the conversation; nothing more is sent.
		if err := platform.Unfollow(ctx, d.Acct.AppID, "t2"); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.FindConversation(ctx, c2.ID); c.State != models.ConvResolved || c.ResolvedBy != "fan" {
			t.Fatalf("unfollow: %+v", c)
		}
	})
}

func TestWeChatKfModeTransfersToMultiAgent(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		d := newDesk(t, s, func(svc *roles.Service) { svc.WeChatKf = true })
		d.Follow("k1")
		got, err := platform.SendText(context.Background(), d.Acct.AppID, "k1", "人工")
		if err != nil || got == nil || got.Kind != "transfer_customer_service" {
			t.Fatalf("transfer reply: %+v %v", got, err)
		}
	})
}

func TestTemplateFallbackAndTyping(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		d := newDesk(t, s, func(svc *roles.Service) { svc.TemplateID = "TPL_SERVICE" })
		ctx := context.Background()
		ann := d.agent("ann", true, 5)
		d.Follow("tf1")
		d.say("tf1", "人工")
		conv, _ := s.OpenConversation(ctx, d.member("tf1").ID)
		if err := d.Handler.WX.Typing(ctx, "tf1"); err != nil {
			t.Fatalf("typing right after the fan wrote: %v", err)
		}
		if err := d.svc.SendTemplateFallback(ctx, conv.ID, ann, strings.Repeat("长", 21)); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("21 characters: %v", err)
		}
		if err := d.svc.SendTemplateFallback(ctx, conv.ID, ann, "您的订单已发货"); err != nil {
			t.Fatal(err)
		}
		var got string
		for _, x := range platform.Inbox(d.Acct.AppID, "tf1") {
			if x.Source == fake.SourceTemplate {
				got = x.TemplateData["thing1"]
			}
		}
		if got != "您的订单已发货" {
			t.Fatalf("template not delivered: %q", got)
		}
		convLog, _ := s.Conversation(ctx, "tf1", 20)
		if last := convLog[len(convLog)-1]; last.Channel != models.ChannelTemplate || last.State != models.StateSent {
			t.Fatalf("template not in the conversation: %+v", last)
		}
		noTpl := newDesk(t, s, nil)
		if noTpl.svc.TemplateFallback() {
			t.Fatal("fallback offered without a template")
		}
	})
}
