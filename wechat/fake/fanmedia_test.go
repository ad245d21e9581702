package fake

import (
	"context"
	"strings"
	"testing"
)

// TestFanMediaLocationView: the simulator's richer fan actions reach the
// account's server as WeChat sends them: an image message with a fresh
// media id and PicUrl, a voice message with its media id and format, a
// location with coordinates and label, and a VIEW event whose key is the URL.
func TestFanMediaLocationView(t *testing.T) {
	t.Parallel()
	acct := Account{AppID: "wx-fanmedia", Token: "tok-fanmedia", EncodingAESKey: testAESKey}
	cs := newCallbackServer(t, acct, echoHandler)
	acct.CallbackURL = cs.URL + "/wechat/callback"
	s, _ := newFake(t, Options{}, acct)
	ctx := context.Background()
	if _, err := s.Follow(ctx, acct.AppID, "fan-m", ""); err != nil {
		t.Fatal(err)
	}
	_, img, err := s.SendImage(ctx, acct.AppID, "fan-m")
	if err != nil || !strings.HasPrefix(img, "image_fan_") {
		t.Fatalf("image: %q %v", img, err)
	}
	_, img2, _ := s.SendImage(ctx, acct.AppID, "fan-m")
	if img2 == img {
		t.Fatal("two pictures share a media id")
	}
	_, voice, err := s.SendVoice(ctx, acct.AppID, "fan-m", "", "")
	if err != nil || !strings.HasPrefix(voice, "voice_fan_") {
		t.Fatalf("voice: %q %v", voice, err)
	}
	if _, err := s.SendLocation(ctx, acct.AppID, "fan-m", 31.23, 121.47, 0, "人民广场"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendLocation(ctx, acct.AppID, "fan-m", 91, 0, 0, "nowhere"); err == nil {
		t.Fatal("a latitude of 91 was sent")
	}
	if _, err := s.View(ctx, acct.AppID, "fan-m", "https://shop.example.com/"); err != nil {
		t.Fatal(err)
	}
	got := cs.messages()
	if len(got) != 6 {
		t.Fatalf("server got %d messages, want 6", len(got))
	}
	im, vo, lo, vi := got[1], got[3], got[4], got[5]
	if string(im.MsgType) != "image" || im.MediaID != img || im.PicURL == "" || im.MsgID == 0 {
		t.Fatalf("image message: %+v", im)
	}
	if string(vo.MsgType) != "voice" || vo.MediaID != voice || vo.Format != "amr" {
		t.Fatalf("voice message: %+v", vo)
	}
	if string(lo.MsgType) != "location" || lo.LocationX != 31.23 || lo.LocationY != 121.47 || lo.Label != "人民广场" || lo.Scale != 15 {
		t.Fatalf("location message: %+v", lo)
	}
	if string(vi.Event) != "VIEW" || vi.EventKey != "https://shop.example.com/" {
		t.Fatalf("view event: %+v", vi)
	}
}
