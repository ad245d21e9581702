package console_test

import (
	"bytes"
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

func TestChannelsCreateStatsAndQR(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false, func(_ *app, h *console.Handler) {
			h.WX = wxClient()
			h.MaxPermanentQR = 1
		})
		a.staff("mia", models.RoleMarketer)
		a.staff("alex", models.RoleAgent)
		b := a.browser().login("mia")
		expect(t, b.get("/console/channels"), 200, "还没有渠道二维码", `id="channel-form"`, `value="30"`)

		cup, _ := s.SaveGift(ctx, models.Gift{Name: "欢迎咖啡券", Kind: models.GiftCoupon, Cost: 1, Stock: 10, ValidDays: 7, Active: true})
		create := func(form url.Values) resp { return b.submit("/console/channels", "/console/channels", form) }
		expect(t, create(url.Values{"name": {"收银台海报"}, "scene": {"counter"}, "kind": {"temporary"}, "expire_days": {"7"},
			"welcome_points": {"5"}, "welcome_tags": {"门店，海报"}, "welcome_gift": {itoa(cup.ID)}}), 303)
		expect(t, create(url.Values{"name": {"官网"}, "scene": {"site"}, "kind": {"permanent"}}), 303)
		for _, tt := range []struct {
			form   url.Values
			status int
			want   []string
		}{
			{url.Values{"name": {"推荐"}, "scene": {"ref_abc"}, "kind": {"temporary"}, "expire_days": {"7"}}, 400, []string{"reserved", `value="ref_abc"`, `value="推荐"`}},
			{url.Values{"name": {"长"}, "scene": {"long"}, "kind": {"temporary"}, "expire_days": {"31"}}, 400, []string{"1 to 30 days", `value="31"`}},
			{url.Values{"name": {"点数"}, "scene": {"pts"}, "kind": {"temporary"}, "expire_days": {"3"}, "welcome_points": {"many"}}, 400, []string{"welcome points must be a whole number"}},
			{url.Values{"name": {"又一个"}, "scene": {"site2"}, "kind": {"permanent"}}, 409, []string{"permanent QR codes are used", `value="permanent" checked`}},
			{url.Values{"name": {"重复"}, "scene": {"counter"}, "kind": {"temporary"}, "expire_days": {"1"}}, 409, []string{"already used"}},
			{url.Values{"name": {"礼"}, "scene": {"gift"}, "kind": {"temporary"}, "expire_days": {"1"}, "welcome_gift": {"999"}}, 400, []string{"welcome gift does not exist"}},
		} {
			expect(t, create(tt.form), tt.status, tt.want...)
		}
		// WeChat's refusal is shown with its errcode, and nothing is stored.
		platform.InjectFault("/cgi-bin/qrcode/create", fake.Fault{ErrCode: 45009})
		expect(t, create(url.Values{"name": {"配额"}, "scene": {"quota"}, "kind": {"temporary"}, "expire_days": {"1"}}), 502, "微信错误码 45009", `value="配额"`)
		if c, _ := s.ChannelByScene(ctx, "quota"); c != nil {
			t.Fatal("a refused code was stored")
		}

		counter, _ := s.ChannelByScene(ctx, "counter")
		if counter == nil || counter.WelcomeGiftID == nil || *counter.WelcomeGiftID != cup.ID || counter.WelcomePoints != 5 || strings.Join(counter.Tags(), ",") != "门店,海报" || counter.ExpireSeconds != 7*86400 {
			t.Fatalf("channel %+v", counter)
		}
		m := follow(t, s, "oScan", "counter")
		s.RecordChannelEvent(ctx, counter.ID, m.ID, "follow")
		s.RecordChannelEvent(ctx, counter.ID, m.ID, "scan")
		if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "u", OpenID: "oScan", MsgType: "event", Event: "unsubscribe", Unsubscribe: true}); err != nil {
			t.Fatal(err)
		}
		r := b.get("/console/channels?ok=crm.flash.channel")
		expect(t, r, 200, "渠道二维码已创建", "收银台海报", "5 积分", `<span class="kw">门店</span>`, "🎁 欢迎咖啡券", "1 · 1 · 1", "永久",
			`href="/console/channels/`+itoa(counter.ID)+`/qr"`)

		// The image comes through fivec as a download.
		r = b.get("/console/channels/" + itoa(counter.ID) + "/qr")
		expect(t, r, 200)
		if ct := r.Header().Get("Content-Type"); ct != "image/png" || !bytes.HasPrefix(r.Body.Bytes(), []byte("\x89PNG")) {
			t.Fatalf("QR: %q %q", ct, r.Body.Bytes()[:8])
		}
		if cd := r.Header().Get("Content-Disposition"); cd != `attachment; filename="qr-counter.png"` {
			t.Fatalf("Content-Disposition %q", cd)
		}
		expect(t, b.get("/console/channels/999/qr"), 404)

		// Agents see the numbers and download, but cannot create.
		ag := a.browser().login("alex")
		if r := ag.get("/console/channels"); strings.Contains(r.body(), `id="channel-form"`) {
			t.Fatal("agent sees the form")
		}
		expect(t, ag.get("/console/channels/"+itoa(counter.ID)+"/qr"), 200)
		expect(t, ag.submit("/console/channels", "/console/channels", url.Values{"name": {"x"}}), 403)

		// Past its expiry the temporary code is marked and not fetched.
		a.advance(8 * 24 * time.Hour)
		expect(t, b.get("/console/channels"), 200, "已过期")
		// The API's words (roles.ChannelQRImage), in Chinese.
		expect(t, b.get("/console/channels/"+itoa(counter.ID)+"/qr"), 404,
			"这个二维码已于 "+counter.ExpiresAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04")+" &#43;08:00 过期", "请新建一个渠道二维码")
		expect(t, b.get("/console/channels/x/qr"), 404)

		entries, _, _ := s.ListAudit(ctx, 20, 0)
		var got []string
		for _, e := range entries {
			if e.Action == "channel.create" {
				got = append(got, e.Target+" "+e.Detail)
			}
		}
		if strings.Join(got, "|") != "官网 scene=site permanent|收银台海报 scene=counter temporary 604800s" {
			t.Fatalf("audited %v", got)
		}
	})
}

// itoa formats an id for a path.
func itoa(id uint64) string { return strconv.FormatUint(id, 10) }
