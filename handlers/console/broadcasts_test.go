package console_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

func TestBroadcastComposePreviewApproveSend(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		wx := wxClient()
		mass := wechat.NewMass(wx, 6000)
		pol := models.BroadcastPolicy{Loc: time.UTC, AccountType: models.AccountService, Approval: true}
		a := newApp(t, s, false, func(_ *app, h *console.Handler) { h.Mass, h.Policy = mass, pol })
		s.Now = a.clock
		a.staff("mia", models.RoleMarketer)
		a.staff("alex", models.RoleAgent)
		a.staff("ada", models.RoleAdmin)
		for _, id := range []string{"bTest", "bFan", "bGone"} {
			follow(t, s, id, "")
			if err := platform.SeedFan(wx.Account.AppID, fake.Fan{OpenID: id, Subscribed: id != "bGone"}); err != nil {
				t.Fatal(err)
			}
		}
		s.RecordInbound(ctx, models.Inbound{DedupeKey: "gone", OpenID: "bGone", MsgType: "event", Event: "unsubscribe", Unsubscribe: true})

		// Agents look but cannot compose.
		agent := a.browser().login("alex")
		expect(t, agent.get("/console/broadcasts"), 200, "还没有发布")
		if r := agent.get("/console/broadcasts/new"); r.Code != 200 {
			t.Fatalf("agent compose page: %d", r.Code)
		}
		mia := a.browser().login("mia")
		save := func(form url.Values) resp {
			return mia.submit("/console/broadcasts/new", "/console/broadcasts/new", form)
		}
		expect(t, save(url.Values{"name": {"双十二"}, "kind": {"text"}, "text": {""}, "audience": {"all"}}), 400, "text reply is empty", `value="双十二"`)
		expect(t, save(url.Values{"name": {"双十二"}, "kind": {"text"}, "text": {"x"}, "audience": {"stage"}, "stage": {"vip"}}), 400, "choose a stage")
		r := save(url.Values{"name": {"双十二"}, "kind": {"text"}, "text": {"双十二全场八折"}, "audience": {"all"}})
		if r.Code != 303 {
			t.Fatalf("save: %d %s", r.Code, r.body())
		}
		page := regexp.MustCompile(`/console/broadcasts/\d+`).FindString(r.Header().Get("Location"))
		// Three members: two reachable by mass send, one unfollowed.
		expect(t, mia.get(page), 200, `id="plan-total">3<`, `id="plan-mass">2<`, `id="plan-unreachable">1`, "草稿")

		// Preview to the test fan: the sandbox phone shows it; an unknown
		// openid gets WeChat's refusal with its errcode.
		expect(t, mia.submit(page, page+"/preview", url.Values{"openids": {"bTest\nnobody"}}), 200, "预览已发送", "40003")
		var previews []fake.Delivery
		for _, d := range platform.Inbox(wx.Account.AppID, "bTest") {
			if d.Source == fake.SourcePreview {
				previews = append(previews, d)
			}
		}
		if len(previews) != 1 || previews[0].Text != "双十二全场八折" {
			t.Fatalf("bTest's previews: %+v", previews)
		}

		// A marketer's schedule waits for an admin; an agent cannot approve.
		at := a.clock().Add(time.Minute).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04")
		expect(t, mia.submit(page, page+"/schedule", url.Values{"cron": {"0 9 * * *"}}), 400, "at most 4 mass messages a month")
		r = mia.submit(page, page+"/schedule", url.Values{"at": {at}})
		if r.Code != 303 {
			t.Fatalf("schedule: %d %s", r.Code, r.body())
		}
		expect(t, mia.get(page), 200, "待审批")
		if r := agent.submit(page, page+"/approve", nil); r.Code != 403 {
			t.Fatalf("agent approves: %d", r.Code)
		}
		ada := a.browser().login("ada")
		if r := ada.submit(page, page+"/approve", nil); r.Code != 303 {
			t.Fatalf("approve: %d %s", r.Code, r.body())
		}
		expect(t, ada.get(page), 200, "已定时", "bc-pause")

		// A minute later the scheduler sends it; the progress bar is full.
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		bj := &delivery.Broadcasts{Store: s, Mass: mass, Log: log, Policy: pol, Now: a.clock}
		a.advance(2 * time.Minute)
		if err := bj.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		expect(t, mia.get(page), 200, `class="badge run-done">已发送`, `data-percent="100"`, `<span class="c-sent">已发送 2</span> · <span class="c-none">失败 0</span> · <span class="c-skipped">跳过 1</span>`)
		got := 0
		for _, d := range platform.Inbox(wx.Account.AppID, "bFan") {
			if d.Source == fake.SourceMass && d.Text == "双十二全场八折" {
				got++
			}
		}
		if got != 1 {
			t.Fatalf("bFan received %d mass messages", got)
		}
		runs, _ := s.BroadcastRuns(ctx, mustID(t, page))
		expect(t, mia.get(page+"/runs/"+itoa(runs[0].ID)), 200, `id="rep-sent">2<`, "已取消关注", "粉丝重新关注后才能收到", `id="rep-unfollows">0<`)
		expect(t, mia.submit(page, page+"/pause", nil), 409, "cannot be paused")
	})
}

// uploadList posts the compose form with an openid file (multipart).
func (b *browser) uploadList(csrf string, fields map[string]string, file string) resp {
	b.a.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	w.WriteField("csrf_token", csrf)
	fw, _ := w.CreateFormFile("openid_file", "list.txt")
	io.WriteString(fw, file)
	w.Close()
	req := httptest.NewRequest("POST", "/console/broadcasts/new", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.send(req)
}

func TestBroadcastUploadedOpenIDList(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false, func(_ *app, h *console.Handler) { h.Policy = models.BroadcastPolicy{Loc: time.UTC} })
		a.staff("mia", models.RoleMarketer)
		follow(t, s, "uA", "")
		follow(t, s, "uB", "")
		mia := a.browser().login("mia")
		r := mia.uploadList(mia.csrf("/console/broadcasts/new"),
			map[string]string{"name": "名单", "kind": "text", "text": "名单专享", "audience": "all"}, "uA\r\nuB, uB\nstranger\n")
		if r.Code != 303 {
			t.Fatalf("upload: %d %s", r.Code, r.body())
		}
		list, _ := s.ListBroadcasts(ctx, 1)
		b, _ := s.FindBroadcast(ctx, list[0].ID)
		if b.Audience != models.AudienceOpenIDs || len(b.OpenIDList()) != 3 || b.Channel != models.BroadcastMass {
			t.Fatalf("uploaded list: %+v %v", b, b.OpenIDList())
		}
		expect(t, mia.get(fmt.Sprintf("/console/broadcasts/%d", b.ID)), 200, `id="plan-total">2<`, "不是会员的 openid")
		big := strings.Repeat("o1234567890123456789012345678\n", 300000)
		expect(t, mia.uploadList(mia.csrf("/console/broadcasts/new"),
			map[string]string{"name": "大", "kind": "text", "text": "x", "audience": "all"}, big), 400, "名单超过 8 MB")
	})
}

func mustID(t *testing.T, page string) uint64 {
	t.Helper()
	var id uint64
	for _, c := range page[len("/console/broadcasts/"):] {
		id = id*10 + uint64(c-'0')
	}
	return id
}

// While composing, "estimate audience" counts the audience the form
// describes, by channel, without saving a draft; an incomplete audience
// says what is missing.
func TestBroadcastEstimateWhileComposing(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false, func(_ *app, h *console.Handler) {
			h.Policy = models.BroadcastPolicy{Loc: time.UTC, AccountType: models.AccountService}
		})
		a.staff("mia", models.RoleMarketer)
		a.staff("alex", models.RoleAgent)
		for _, id := range []string{"eA", "eB", "eGone"} {
			follow(t, s, id, "")
		}
		s.RecordInbound(ctx, models.Inbound{DedupeKey: "egone", OpenID: "eGone", MsgType: "event", Event: "unsubscribe", Unsubscribe: true})
		mia := a.browser().login("mia")
		const compose = "/console/broadcasts/new"
		estimate := func(form url.Values) resp { return mia.hx(compose, "/console/broadcasts/plan", form) }

		expect(t, mia.get(compose), 200, `id="bc-estimate"`, `id="bc-plan-live"`)
		expect(t, estimate(url.Values{"kind": {"text"}, "audience": {"all"}}), 200,
			`id="plan-total">3<`, `id="plan-mass">2<`, `id="plan-unreachable">1`)
		expect(t, estimate(url.Values{"kind": {"text"}, "audience": {"stage"}, "stage": {"prospect"}, "channel": {"direct"}}), 200,
			`id="plan-total">3<`, `id="plan-mass">0<`)
		expect(t, estimate(url.Values{"kind": {"text"}, "audience": {"openids"}, "openids": {"eA\nnobody"}}), 200,
			`id="plan-total">1<`, "不是会员的 openid")
		expect(t, estimate(url.Values{"kind": {"text"}, "audience": {"tag"}}), 200, `id="plan-error"`, "choose a tag")
		if list, err := s.ListBroadcasts(ctx, 10); err != nil || len(list) != 0 {
			t.Fatalf("estimating saved something: %v %v", list, err)
		}
		alex := a.browser().login("alex")
		if r := alex.hx(compose, "/console/broadcasts/plan", url.Values{"kind": {"text"}, "audience": {"all"}}); r.Code != 403 {
			t.Fatalf("agent estimate: %d", r.Code)
		}
	})
}
