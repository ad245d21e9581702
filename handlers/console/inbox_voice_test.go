package console_test

import (
	"context"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestInboxVoiceNote: a fan's voice note without WeChat's recognition was an
// empty bubble in the inbox and the member's log. Sent through the real
// callback, it shows as [语音] in the inbox list; in the conversation and
// the member's log it is fetched from WeChat and offered as a download
// (AMR: browsers cannot play it), and a recognised note shows its text.
func TestInboxVoiceNote(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s)
		d.staff("ann", models.RoleAgent)
		a := d.browser().login("ann")
		d.fan("oFanVoice", "人工")
		conv := d.escalated("oFanVoice")
		if _, _, err := platform.SendVoice(ctx, d.acct.AppID, "oFanVoice", "amr", ""); err != nil {
			t.Fatal(err)
		}
		expect(t, a.get("/console/inbox/list?filter=open"), 200, "oFanVoice", "[语音]")
		expect(t, a.get("/console/inbox/"+id(conv)), 200, "[语音]", "正在从微信下载文件")
		if _, err := d.files.Fetch(ctx, 10); err != nil {
			t.Fatal(err)
		}
		expect(t, a.get("/console/inbox/"+id(conv)), 200, "下载语音", "浏览器无法直接播放")
		expect(t, a.get("/console/members/oFanVoice"), 200, "[语音]", "下载语音")

		if _, _, err := platform.SendVoice(ctx, d.acct.AppID, "oFanVoice", "amr", "明天营业吗"); err != nil {
			t.Fatal(err)
		}
		expect(t, a.get("/console/inbox/list?filter=open"), 200, "[语音] 识别：明天营业吗")
		expect(t, a.get("/console/members/oFanVoice"), 200, "微信语音识别：明天营业吗")
	})
}
