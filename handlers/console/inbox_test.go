package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
)

// TestInboxHandoff follows one chat through the console: the fan asks for
// a person, an agent claims, replies, notes and transfers, the second agent
// resolves, the fan rates, and the metrics count it.
func TestInboxHandoff(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s)
		ann := d.staff("ann", models.RoleAgent)
		bob := d.staff("bob", models.RoleAgent)
		d.staff("mia", models.RoleMarketer)
		a, b := d.browser().login("ann"), d.browser().login("bob")

		d.fan("oFanHandoff", "人工")
		if !strings.Contains(d.phone("oFanHandoff"), "已为您转接人工客服") {
			t.Fatalf("the fan was not told about the queue:\n%s", d.phone("oFanHandoff"))
		}
		conv := d.escalated("oFanHandoff")
		path := "/console/inbox/" + id(conv)
		expect(t, a.get("/console/inbox?filter=waiting"), 200, "oFanHandoff", `href="`+path+`"`, "人工")
		expect(t, a.get("/console/inbox/list?filter=open"), 200, "oFanHandoff")
		expect(t, a.get(path), 200, "可发送", "还剩", "oFanHandoff", `id="claim"`)

		// Claim, then the page offers the reply box and transfer.
		r := a.submit(path, path+"/claim", nil)
		expect(t, r, 303)
		expect(t, a.get(r.Header().Get("Location")), 200, "你已接待这个会话", `id="reply-form"`, `id="transfer-form"`, "bob")
		expect(t, a.get("/console/inbox?filter=mine"), 200, "oFanHandoff")

		// A reply reaches the fan's phone as a customer-service message.
		expect(t, a.hx(path, path+"/reply", url.Values{"kind": {"text"}, "text": {"您好，我是安，请讲。"}}), 200, "已发送")
		if !strings.Contains(d.phone("oFanHandoff"), "[custom] 您好，我是安，请讲。") {
			t.Fatalf("the fan did not get the reply:\n%s", d.phone("oFanHandoff"))
		}
		expect(t, a.get(path+"/live"), 200, "您好，我是安，请讲。", "可再发 4 条", `hx-swap-oob="true"`)
		// An empty reply or an image without media_id is refused in place.
		expect(t, a.hx(path, path+"/reply", url.Values{"kind": {"text"}, "text": {"  "}}), 400, `class="notice err"`, "empty")
		expect(t, a.hx(path, path+"/reply", url.Values{"kind": {"image"}}), 400, "请先选择图片")

		// Internal notes are listed for staff only.
		expect(t, a.hx(path, path+"/notes", url.Values{"text": {"老客户，<b>态度很好</b>"}}), 200, "备注已保存")
		expect(t, b.get(path), 200, "老客户，&lt;b&gt;态度很好&lt;/b&gt;", "ann")
		if strings.Contains(d.phone("oFanHandoff"), "老客户") {
			t.Fatal("a note reached the fan")
		}

		// Bob may not reply to or resolve Ann's chat.
		expect(t, b.hx(path, path+"/reply", url.Values{"text": {"我来"}}), 409, "请先接待这个会话")
		expect(t, b.submit(path, path+"/resolve", nil), 409, "only the assigned agent")
		expect(t, b.submit(path, path+"/claim", nil), 409, "another agent has already taken this conversation")

		// Transfer to Bob with a note.
		r = a.submit(path, path+"/transfer", url.Values{"to": {strconv.FormatUint(bob.ID, 10)}, "note": {"需要退款"}})
		expect(t, r, 303)
		if got, _ := s.FindConversation(ctx, conv.ID); got.AgentID == nil || *got.AgentID != bob.ID {
			t.Fatalf("after the transfer: %+v", got)
		}
		expect(t, b.get("/console/inbox?filter=mine"), 200, "oFanHandoff")
		expect(t, b.get(path), 200, "转接给 bob：需要退款", `id="reply-form"`)
		expect(t, a.get(path), 200, "这个会话由 bob 接待中")
		expect(t, a.hx(path, path+"/reply", url.Values{"text": {"还在吗"}}), 409)
		expect(t, a.submit(path, path+"/transfer", url.Values{"to": {strconv.FormatUint(ann.ID, 10)}}), 409)

		// Bob resolves: the fan is told and asked for a rating, and rates.
		expect(t, b.submit(path, path+"/resolve", nil), 303)
		phone := d.phone("oFanHandoff")
		if !strings.Contains(phone, "本次服务已结束") || !strings.Contains(phone, "请为本次服务打分") {
			t.Fatalf("no satisfaction question:\n%s", phone)
		}
		expect(t, b.submit(path, path+"/resolve", nil), 409, "already resolved")
		d.fan("oFanHandoff", "5")
		if got, _ := s.FindConversation(ctx, conv.ID); got.Satisfaction == nil || *got.Satisfaction != 5 {
			t.Fatalf("rating not stored: %+v", got)
		}
		expect(t, b.get("/console/inbox?filter=resolved"), 200, "oFanHandoff", "评分 5")
		expect(t, b.get(path), 200, `id="pickup-again"`)

		// The metrics count the chat for Bob, who held it last.
		r = b.get("/console/inbox/metrics")
		expect(t, r, 200, `id="metrics-agents"`, "bob", "5.0")
		expect(t, b.get("/console/inbox/metrics?from=2020-01-01&to=2020-01-01"), 200, "这段时间没有会话")
		expect(t, b.get("/console/inbox/metrics?from=2020-01-01&to=2021-01-01"), 400)
		expect(t, b.get("/console/inbox/metrics?from=nope"), 400)

		// Every step is in the audit log.
		entries, _, _ := s.ListAudit(ctx, 100, 0)
		var acts []string
		for _, e := range entries {
			if strings.HasPrefix(e.Action, "conversation.") {
				acts = append(acts, e.Username+":"+e.Action)
			}
		}
		if got := strings.Join(acts, " "); got != "bob:conversation.resolve ann:conversation.transfer ann:conversation.claim" {
			t.Fatalf("audit: %s", got)
		}
	})
}

// TestInboxClaimRace: many agents claim one waiting chat at once; exactly
// one wins and the others get 409 with a clear message.
func TestInboxClaimRace(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		d := newDesk(t, s)
		d.fan("oFanRace", "人工")
		conv := d.escalated("oFanRace")
		path := "/console/inbox/" + id(conv)
		const n = 12
		type agent struct {
			b   *browser
			tok string
		}
		agents := make([]agent, n)
		for i := range agents {
			d.staff("agent"+strconv.Itoa(i), models.RoleAgent)
			b := d.browser().login("agent" + strconv.Itoa(i))
			agents[i] = agent{b, b.csrf(path)}
		}
		codes := make([]int, n)
		bodies := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, ag := range agents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := ag.b.do("POST", path+"/claim", url.Values{}, map[string]string{"HX-Request": "true", "X-CSRF-Token": ag.tok})
				codes[i], bodies[i] = r.Code, r.body()
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, c := range codes {
			switch c {
			case http.StatusOK:
				won++
			case http.StatusConflict:
				if !strings.Contains(bodies[i], "another agent has already taken this conversation") {
					t.Fatalf("409 without the reason: %s", bodies[i])
				}
			default:
				t.Fatalf("claim answered %d: %s", c, bodies[i])
			}
		}
		if won != 1 {
			t.Fatalf("%d claims won, want exactly 1 (codes %v)", won, codes)
		}
	})
}

// TestInboxWindowRefusal: replies WeChat would reject are refused with the
// reason, whether fivec knows it (closed window, used-up quota) or only the
// platform does (its real errcodes).
func TestInboxWindowRefusal(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s)
		d.staff("ann", models.RoleAgent)
		a := d.browser().login("ann")
		d.fan("oFanWindow", "人工")
		path := "/console/inbox/" + id(d.escalated("oFanWindow"))
		expect(t, a.submit(path, path+"/claim", nil), 303)
		for i := range 5 {
			expect(t, a.hx(path, path+"/reply", url.Values{"text": {"回复 " + strconv.Itoa(i)}}), 200)
		}
		// The fifth used the quota: fivec refuses without asking WeChat.
		expect(t, a.hx(path, path+"/reply", url.Values{"text": {"第六条"}}), 409, "本窗口的消息额度已用完")
		expect(t, a.get(path), 200, "本窗口的消息额度已用完", `id="no-template"`)
		// Two days later the window has closed (and the session expired).
		d.advance(49 * time.Hour)
		later := d.browser().login("ann")
		expect(t, later.hx(path, path+"/reply", url.Values{"text": {"还在吗"}}), 409, "粉丝 48 小时内没有发过消息")
		expect(t, later.get(path), 200, "粉丝 48 小时内没有发过消息", "不可发送")
		d.advance(-49 * time.Hour)
		a = d.browser().login("ann")

		// fivec believes the window open, WeChat does not: errcode 45015.
		if err := platform.SeedFan(d.acct.AppID, fakeFan("oFanSeeded")); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "seed-1", OpenID: "oFanSeeded", MsgType: "text", Content: "在吗"}); err != nil {
			t.Fatal(err)
		}
		conv, err := s.PickUp(ctx, "oFanSeeded", d.staffID("ann"))
		if err != nil {
			t.Fatal(err)
		}
		p2 := "/console/inbox/" + id(conv)
		expect(t, a.hx(p2, p2+"/reply", url.Values{"text": {"您好"}}), 409, "超出 48 小时回复时限", "微信错误码 45015")

		// With looser local rules than the platform's, WeChat's own quota
		// answer (45047) comes back as the reason.
		d2 := newDesk(t, modelstest.MustOpen(t, "sqlite"), func(svc *roles.Service) { svc.Window.Quota = 6 })
		d2.staff("ann", models.RoleAgent)
		a2 := d2.browser().login("ann")
		d2.fan("oFanQuota", "人工")
		p3 := "/console/inbox/" + id(d2.escalated("oFanQuota"))
		expect(t, a2.submit(p3, p3+"/claim", nil), 303)
		for i := range 5 {
			expect(t, a2.hx(p3, p3+"/reply", url.Values{"text": {"回复 " + strconv.Itoa(i)}}), 200)
		}
		expect(t, a2.hx(p3, p3+"/reply", url.Values{"text": {"第六条"}}), 409, "客服消息条数已用完", "微信错误码 45047")
	})
}

// TestInboxRoles: marketers never see the inbox; agents and admins do.
func TestInboxRoles(t *testing.T) {
	t.Parallel()
	s := modelstest.MustOpen(t, "sqlite")
	d := newDesk(t, s)
	d.staff("mia", models.RoleMarketer)
	d.staff("ann", models.RoleAgent)
	d.staff("root", models.RoleAdmin)
	mia := d.browser().login("mia")
	for _, p := range []string{"/console/inbox", "/console/inbox/list?filter=open", "/console/inbox/events",
		"/console/canned", "/console/inbox/metrics", "/console/inbox/1"} {
		expect(t, mia.get(p), 403)
	}
	expect(t, mia.submit("/console/members", "/console/inbox/pickup", url.Values{"openid": {"x"}}), 403)
	if r := mia.get("/console/members"); strings.Contains(r.body(), `id="nav-inbox"`) {
		t.Fatal("a marketer sees the inbox link")
	}
	for _, name := range []string{"ann", "root"} {
		b := d.browser().login(name)
		expect(t, b.get("/console/members"), 200, `id="nav-inbox"`)
		expect(t, b.get("/console/inbox"), 200, `id="agent-status"`)
		expect(t, b.get("/console/inbox/99999"), 404)
		expect(t, b.get("/console/inbox/nope"), 404)
		expect(t, b.get("/console/inbox/list?filter=bogus"), 400)
		expect(t, b.submit("/console/inbox", "/console/inbox/pickup", url.Values{"openid": {"oNobody"}}), 404)
	}
	// Without the CSRF token nothing changes.
	ann := d.browser().login("ann")
	expect(t, ann.post("/console/inbox/status", url.Values{"online": {"on"}}), 403)
}

// TestInboxStatusAndPickUp: going online takes waiting chats; staff can
// open a chat with any member themselves.
func TestInboxStatusAndPickUp(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s)
		ann := d.staff("ann", models.RoleAgent)
		a := d.browser().login("ann")
		d.fan("oFanEarly", "人工")
		r := a.submit("/console/inbox", "/console/inbox/status", url.Values{"online": {"on"}, "capacity": {"3"}})
		expect(t, r, 303)
		expect(t, a.get(r.Header().Get("Location")), 200, "你已上线", `id="go-offline"`, `value="3"`)
		st, _ := s.FindAgentStatus(ctx, ann.ID)
		if !st.Online || st.Capacity != 3 {
			t.Fatalf("status %+v", st)
		}
		if c := d.escalated("oFanEarly"); c.AgentID == nil || *c.AgentID != ann.ID {
			t.Fatalf("going online did not assign the waiting chat: %+v", c)
		}
		if !strings.Contains(d.phone("oFanEarly"), "客服 ann 为您服务") {
			t.Fatalf("the fan was not told who serves them:\n%s", d.phone("oFanEarly"))
		}
		expect(t, a.submit("/console/inbox", "/console/inbox/status", url.Values{"capacity": {"500"}}), 400)
		expect(t, a.submit("/console/inbox", "/console/inbox/status", url.Values{"online": {"off"}}), 303)

		// Pick up a member who never asked for a person.
		d.fan("oFanQuiet", "你好")
		r = a.submit("/console/inbox", "/console/inbox/pickup", url.Values{"openid": {"oFanQuiet"}})
		expect(t, r, 303)
		c := d.escalated("oFanQuiet")
		if c.Reason != models.ReasonStaff || c.AgentID == nil || *c.AgentID != ann.ID {
			t.Fatalf("picked-up conversation: %+v", c)
		}
		expect(t, a.get(r.Header().Get("Location")), 200, "客服主动接待", `id="reply-form"`)
		// Picking up again is harmless; someone else gets 409.
		expect(t, a.submit("/console/inbox", "/console/inbox/pickup", url.Values{"openid": {"oFanQuiet"}}), 303)
		d.staff("bob", models.RoleAgent)
		expect(t, d.browser().login("bob").submit("/console/inbox", "/console/inbox/pickup", url.Values{"openid": {"oFanQuiet"}}), 409)
	})
}
