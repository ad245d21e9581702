package console_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
)

// TestLogsInWords: the member log and the inbox show what fans did and why
// a send failed in words ("关注了公众号", "点击菜单「联系客服」", the 45015
// description with the errcode in small print), never "[click]
// CONTACT_AGENT" or "wechat errcode 45015: …"; the audit log names actions.
func TestLogsInWords(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		a.staff("ann", models.RoleAdmin)
		b := a.browser().login("ann")
		menu := models.Menu{Buttons: []models.MenuButton{{Type: "click", Name: "联系客服", Key: "CONTACT_AGENT"}}}
		if err := s.SaveMenuDraft(ctx, menu); err != nil {
			t.Fatal(err)
		}
		const fan = "oFanWords"
		for i, in := range []models.Inbound{
			{MsgType: "event", Event: "subscribe", Subscribe: true},
			{MsgType: "event", Event: "click", EventKey: "CONTACT_AGENT"},
			{MsgType: "image"},
		} {
			in.DedupeKey, in.OpenID = "words-"+strconv.Itoa(i), fan
			if _, _, _, err := s.RecordInbound(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		err := s.LogOutbound(ctx, models.Outbound{OpenID: fan, Channel: models.ChannelCustom, Reply: models.TextReply("您好"),
			ErrCode: 45015, Err: &wechat.APIError{Code: 45015, Msg: "response out of time limit or subscription is canceled"}})
		if err != nil {
			t.Fatal(err)
		}
		info, _ := wechat.Explain(45015)
		r := b.get("/console/members/" + fan)
		expect(t, r, 200, "关注了公众号", "点击菜单「联系客服」", "[图片]", info.ZH, info.NextZH, "微信错误码 45015")
		for _, raw := range []string{"[subscribe]", "[click]", "CONTACT_AGENT", "wechat errcode", "out of time limit", "[image]"} {
			if strings.Contains(r.body(), raw) {
				t.Errorf("the member log shows %q", raw)
			}
		}

		// The audit log names actions in words, the code in small print.
		expect(t, b.get("/console/audit"), 200, "登录")
		other := a.staff("olaf", models.RoleAgent)
		expect(t, b.submit("/console/staff", "/console/staff/"+strconv.FormatUint(other.ID, 10)+"/disable", nil), 303)
		expect(t, b.get("/console/audit"), 200, "停用员工", `staff.disable</small>`)
	})
}

// TestStaffSelfDisableRefused: an admin's own "停用" is refused with a
// Chinese reason, and the account stays enabled; the last-admin rule and
// the 403 page speak Chinese too.
func TestStaffSelfDisableRefused(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := newApp(t, s, false)
		ann := a.staff("ann", models.RoleAdmin)
		a.staff("alex", models.RoleAgent)
		b := a.browser().login("ann")
		me := "/console/staff/" + strconv.FormatUint(ann.ID, 10)
		expect(t, b.submit("/console/staff", me+"/disable", nil), 409, "不能停用你自己的账号")
		if st, err := s.FindStaff(context.Background(), ann.ID); err != nil || st.Disabled {
			t.Fatalf("the admin disabled themself: %+v %v", st, err)
		}
		expect(t, b.get("/console/members"), 200) // still logged in
		// Demoting the only admin is refused in Chinese.
		expect(t, b.submit("/console/staff", me+"/role", url.Values{"role": {models.RoleAgent}}), 409, "至少要保留一位启用中的管理员")
		// An agent at an admin page gets a Chinese 403.
		r := a.browser().login("alex").get("/console/staff")
		expect(t, r, 403, "无权访问", "你的角色不能执行这个操作")
		if strings.Contains(r.body(), "your role may not") {
			t.Fatal("the 403 page is in English")
		}
	})
}
