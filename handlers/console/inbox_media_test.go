package console_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// replyPicture posts the reply box with a picture from the computer, as
// htmx does (multipart).
func (b *browser) replyPicture(page, filename string, data []byte) resp {
	b.a.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("csrf_token", b.csrf(page))
	w.WriteField("kind", "image")
	fw, _ := w.CreateFormFile("picture", filename)
	fw.Write(data)
	w.Close()
	req := httptest.NewRequest(http.MethodPost, page+"/reply", &buf)
	req.RemoteAddr = b.ip + ":40000"
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	rec := httptest.NewRecorder()
	b.a.router.ServeHTTP(rec, req)
	return resp{rec}
}

var (
	fanFileSrc  = regexp.MustCompile(`<img src="(/console/members/oFanPic/files/\d+)"`)
	sentFileSrc = regexp.MustCompile(`<img src="(/console/members/oFanPic/sent/[^"]+)"`)
)

// TestFanPictureAndAgentPicture: a fan's photo, fetched from WeChat, shows
// inline in the conversation and the member's log, served through the
// console with its type; another fan's path or an unknown id is 404. The
// agent answers with a picture from the computer, which the fan receives
// and the conversation shows. A location is a map link with its label.
func TestFanPictureAndAgentPicture(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s)
		d.staff("ann", models.RoleAgent)
		a := d.browser().login("ann")
		d.fan("oFanPic", "人工")
		d.fan("oFanOther", "你好")
		conv := d.escalated("oFanPic")
		page := "/console/inbox/" + id(conv)
		d.advance(2 * time.Second) // the photo is the fan's last message, also at MariaDB's second precision
		if _, _, err := platform.SendImageFile(ctx, d.acct.AppID, "oFanPic", "receipt.png", conPNG); err != nil {
			t.Fatal(err)
		}
		expect(t, a.get(page), 200, "正在从微信下载文件")
		if n, err := d.files.Fetch(ctx, 10); err != nil || n != 1 {
			t.Fatalf("fetched %d, %v", n, err)
		}
		m := fanFileSrc.FindStringSubmatch(a.get(page).body())
		if m == nil {
			t.Fatalf("no inline picture in %s", a.get(page).body())
		}
		expect(t, a.get("/console/inbox/list?filter=open"), 200, `class="conv-pic" src="/console/members/oFanPic/files/`)
		if !fanFileSrc.MatchString(a.get("/console/members/oFanPic").body()) {
			t.Error("the member's log does not show the picture")
		}
		r := a.get(m[1])
		if r.Code != 200 || r.Header().Get("Content-Type") != "image/png" || !bytes.Equal(r.Body.Bytes(), conPNG) {
			t.Fatalf("picture: %d %s %d bytes", r.Code, r.Header().Get("Content-Type"), r.Body.Len())
		}
		msgID := m[1][len("/console/members/oFanPic/files/"):]
		for _, bad := range []string{"/console/members/oFanOther/files/" + msgID, "/console/members/oFanPic/files/99999999", "/console/members/oFanPic/files/x"} {
			if r := a.get(bad); r.Code != 404 {
				t.Errorf("%s: %d", bad, r.Code)
			}
		}
		if r := d.browser().get(m[1]); r.Code == 200 {
			t.Error("the picture is served without a login")
		}

		// The agent answers with a picture from the computer.
		if r := a.submit(page, page+"/claim", nil); r.Code >= 400 {
			t.Fatalf("claim: %d", r.Code)
		}
		expect(t, a.replyPicture(page, "notes.txt", []byte("plain text")), 400, "图片")
		expect(t, a.replyPicture(page, "map.png", conPNG), 200, "已发送")
		got := platform.Inbox(d.acct.AppID, "oFanPic")
		if last := got[len(got)-1]; last.Kind != "image" || last.MediaID == "" {
			t.Fatalf("the fan got %+v", last)
		}
		sent := sentFileSrc.FindStringSubmatch(a.get(page).body())
		if sent == nil {
			t.Fatal("the conversation does not show the agent's picture")
		}
		if r := a.get(sent[1]); r.Code != 200 || r.Header().Get("Content-Type") != "image/png" {
			t.Errorf("sent picture: %d %s", r.Code, r.Header().Get("Content-Type"))
		}
		if r := a.get("/console/members/oFanOther/sent/" + got[len(got)-1].MediaID); r.Code != 404 {
			t.Errorf("another fan's sent picture: %d", r.Code)
		}

		// A location: a map link with its label.
		if _, err := platform.SendLocation(ctx, d.acct.AppID, "oFanPic", 31.2304, 121.4737, 15, "人民广场"); err != nil {
			t.Fatal(err)
		}
		expect(t, a.get(page), 200, "https://uri.amap.com/marker?position=121.4737,31.2304", "人民广场", "在地图中打开")
	})
}
