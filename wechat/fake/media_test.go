package fake

import (
	"context"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/material"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// TestFakeAcceptedAnyMediaID: the fake delivered customer-service and mass
// messages with any media_id at all, so a typo or an expired id passed the
// sandbox and failed on WeChat. Only ids the platform issued (an upload, a
// fan's own media) or SeedMedia registered are taken; any other is 40007.
func TestFakeAcceptedAnyMediaID(t *testing.T) {
	t.Parallel()
	const app = "wx-media-ids"
	s, _ := newFake(t, Options{TokenTTL: 365 * 24 * time.Hour}, Account{AppID: app, Verified: true})
	ctx := context.Background()
	for _, id := range []string{"fan", "fan2"} {
		if err := s.SeedFan(app, Fan{OpenID: id, Subscribed: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Post(ctx, app, "fan", CallbackMessage{MsgType: "video", MediaID: "fan-video-1", ThumbMediaID: "fan-thumb-1"}); err != nil {
		t.Fatal(err)
	}
	oa := sdk(t, s, app)
	cs := oa.GetCustomerMessageManager()
	img := func(id string) error { return cs.Send(message.NewCustomerImgMessage("fan", id)) }

	wantErrCode(t, img("made-up-id"), 40007)
	up, err := oa.GetMaterial().MediaUpload(material.MediaTypeImage, "testdata/upload.jpg")
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if up.MediaID == "" || up.Type != "image" {
		t.Fatalf("upload answer: %+v", up)
	}
	if err := img(up.MediaID); err != nil {
		t.Errorf("uploaded id refused: %v", err)
	}
	video := func(media, thumb string) map[string]any {
		return map[string]any{"touser": "fan", "msgtype": "video", "video": map[string]string{"media_id": media, "thumb_media_id": thumb}}
	}
	tok := fetchToken(t, s, app)
	wantCode(t, post(t, "/cgi-bin/message/custom/send", tok, video("fan-video-1", "fan-thumb-1")), 0) // the fan's own video
	wantCode(t, post(t, "/cgi-bin/message/custom/send", tok, video("fan-video-1", "no-such-thumb")), 40007)
	if err := s.SeedMedia(app, "SEEDED_VOICE", "voice"); err != nil {
		t.Fatal(err)
	}
	if err := cs.Send(message.NewCustomerVoiceMessage("fan", "SEEDED_VOICE")); err != nil {
		t.Errorf("seeded id refused: %v", err)
	}
	wantCode(t, post(t, "/cgi-bin/message/mass/send", tok, map[string]any{"touser": []string{"fan", "fan2"},
		"msgtype": "mpnews", "mpnews": map[string]string{"media_id": "no-such-draft"}}), 40007)
	wantCode(t, post(t, "/cgi-bin/message/mass/preview", tok, map[string]any{"touser": "fan",
		"msgtype": "voice", "voice": map[string]string{"media_id": "SEEDED_VOICE"}}), 0)
	if got := len(outbox(s, app, "fan", SourceCustom)); got != 3 {
		t.Errorf("delivered customer-service messages: %d, want 3 (the refused ones never reach the phone)", got)
	}
}
