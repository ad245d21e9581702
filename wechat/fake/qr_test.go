package fake

import (
	"context"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/basic"
)

func TestQRCodes(t *testing.T) {
	t.Parallel()
	const app = "wx-qr"
	s, clk := newFake(t, Options{TokenTTL: 365 * 24 * time.Hour}, Account{AppID: app})
	b := sdk(t, s, app).GetBasic()

	tmp, err := b.GetQRTicket(basic.NewTmpQrRequest(time.Hour, "poster-7"))
	if err != nil || tmp.Ticket == "" || tmp.ExpireSeconds != 3600 || tmp.URL == "" {
		t.Fatalf("temporary code: %+v, %v", tmp, err)
	}
	if scene, ok := s.SceneForTicket(tmp.Ticket); !ok || scene != "poster-7" {
		t.Fatalf("SceneForTicket = %q, %v", scene, ok)
	}
	perm, err := b.GetQRTicket(basic.NewLimitQrRequest(42))
	if err != nil || perm.ExpireSeconds != 0 {
		t.Fatalf("permanent code: %+v, %v", perm, err)
	}
	if q, ok := s.LookupTicket(perm.Ticket); !ok || q.Scene != "42" || q.Action != "QR_LIMIT_SCENE" || q.AppID != app {
		t.Fatalf("LookupTicket: %+v, %v", q, ok)
	}

	// The image: a PNG for a properly URL-encoded ticket.
	resp, err := http.Get(apiURL + "/cgi-bin/showqrcode?ticket=" + url.QueryEscape(tmp.Ticket))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(resp.Body)
	resp.Body.Close()
	if err != nil || resp.Header.Get("Content-Type") != "image/png" || img.Bounds().Dx() < 100 {
		t.Fatalf("showqrcode: %v, %v", resp.Header, err)
	}

	// Bad requests answer 40097.
	tok := fetchToken(t, s, app)
	bad := []map[string]any{
		{"action_name": "QR_SCENE", "action_info": map[string]any{"scene": map[string]any{"scene_id": 0}}},
		{"action_name": "QR_LIMIT_SCENE", "action_info": map[string]any{"scene": map[string]any{"scene_id": 100001}}},
		{"action_name": "QR_STR_SCENE", "action_info": map[string]any{"scene": map[string]any{"scene_str": strings.Repeat("s", 65)}}},
		{"action_name": "QR_LIMIT_STR_SCENE", "action_info": map[string]any{"scene": map[string]any{"scene_str": ""}}},
		{"action_name": "QR_STR_SCENE", "expire_seconds": 2592001, "action_info": map[string]any{"scene": map[string]any{"scene_str": "x"}}},
		{"action_name": "QR_MAGIC", "action_info": map[string]any{"scene": map[string]any{"scene_id": 1}}},
	}
	for _, req := range bad {
		wantCode(t, post(t, "/cgi-bin/qrcode/create", tok, req), 40097)
	}

	// Scanning: a stranger follows through the code, a follower sends SCAN.
	ctx := context.Background()
	if _, err := s.Scan(ctx, app, "fan", "poster-7"); err != nil {
		t.Fatal(err)
	}
	in := s.Inbox(app, "fan")
	if len(in) != 1 || in[0].Event != "subscribe" || in[0].EventKey != "qrscene_poster-7" || in[0].Message.Ticket != tmp.Ticket {
		t.Fatalf("scan by a stranger: %+v", in)
	}
	if _, err := s.Scan(ctx, app, "fan", "42"); err != nil {
		t.Fatal(err)
	}
	in = s.Inbox(app, "fan")
	if in[1].Event != "SCAN" || in[1].EventKey != "42" || in[1].Message.Ticket != perm.Ticket {
		t.Fatalf("scan by a follower: %+v", in[1])
	}
	info, err := sdk(t, s, app).GetUser().GetUserInfo("fan")
	if err != nil || info.SubscribeScene != "ADD_SCENE_QR_CODE" || info.QrSceneStr != "poster-7" {
		t.Fatalf("user/info after a QR follow: %+v, %v", info, err)
	}

	// Temporary codes expire.
	clk.Advance(time.Hour)
	if _, ok := s.SceneForTicket(tmp.Ticket); ok {
		t.Fatal("expired ticket still scannable")
	}
	if _, ok := s.SceneForTicket(perm.Ticket); !ok {
		t.Fatal("permanent ticket expired")
	}
}
