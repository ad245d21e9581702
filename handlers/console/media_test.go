package console_test

import (
	"bytes"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/media/mediatest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
)

var conPNG = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{5}, 300)...)

// uploadFile posts the library's upload form with a file, as a browser does.
func (b *browser) uploadFile(fields map[string]string, filename string, data []byte) resp {
	b.a.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("csrf_token", b.csrf("/console/media"))
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if filename != "" {
		fw, _ := w.CreateFormFile("file", filename)
		fw.Write(data)
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, "/console/media", &buf)
	req.RemoteAddr = b.ip + ":40000"
	req.Header.Set("Content-Type", w.FormDataContentType())
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	rec := httptest.NewRecorder()
	b.a.router.ServeHTTP(rec, req)
	return resp{rec}
}

func newMediaApp(t *testing.T, s *models.Store) *app {
	files := mediatest.Open(t, mediatest.FileURL(t))
	return newApp(t, s, false, func(a *app, h *console.Handler) {
		h.Library = &roles.Library{Store: s, Files: files, WX: wxClient(),
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}
	})
}

func TestMediaLibraryPage(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := newMediaApp(t, s)
		a.staff("mk", models.RoleMarketer)
		a.staff("ag", models.RoleAgent)
		mk := a.browser().login("mk")

		expect(t, mk.get("/console/media"), 200, "素材库", `id="media-form"`, "从微信同步", "这一类还没有素材", `id="nav-media"`)
		r := mk.uploadFile(map[string]string{"kind": "image"}, "猫.png", conPNG)
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/console/media?kind=image&done=media.uploaded" {
			t.Fatalf("upload: %d %s %s", r.Code, r.Header().Get("Location"), r.body())
		}
		page := mk.get("/console/media?kind=image&done=media.uploaded")
		expect(t, page, 200, "已上传到微信", "猫.png", `<span class="count">1</span>`, "确定删除素材「猫.png」吗？")
		src := regexp.MustCompile(`<img src="(/console/media/(\d+)/file)"`).FindStringSubmatch(page.body())
		if src == nil {
			t.Fatalf("no thumbnail: %s", page.body())
		}
		img := mk.get(src[1])
		if img.Code != 200 || img.Header().Get("Content-Type") != "image/png" || !bytes.Equal(img.Body.Bytes(), conPNG) {
			t.Errorf("thumbnail: %d %s", img.Code, img.Header().Get("Content-Type"))
		}

		// Refusals in Chinese with what to do, the form kept, nothing saved.
		for _, c := range []struct {
			fields map[string]string
			name   string
			data   []byte
			want   string
		}{
			{map[string]string{"kind": "thumb"}, "cover.jpg", append([]byte("\xff\xd8\xff\xe0"), make([]byte, 70<<10)...), "缩略图不能超过 64 KB，「cover.jpg」有 70 KB。请压缩后再上传。"},
			{map[string]string{"kind": "voice"}, "hello.wav", []byte("RIFF...."), "语音必须是 amr/mp3 格式的文件，「hello.wav」不是。"},
			{map[string]string{"kind": "image"}, "notes.png", []byte("plain text, not a picture"), "「notes.png」的内容不是 bmp/png/jpeg/jpg/gif 格式"},
			{map[string]string{"kind": "video", "description": "新品"}, "clip.mp4", []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), "上传视频需要填写 1–64 个字的标题。"},
			{map[string]string{"kind": "image"}, "", nil, "请选择要上传的文件。"},
		} {
			r := mk.uploadFile(c.fields, c.name, c.data)
			expect(t, r, http.StatusBadRequest, c.want, `id="media-form"`)
			if strings.Contains(r.body(), "must be") || strings.Contains(r.body(), "may be at most") {
				t.Errorf("%s: English on the page", c.name)
			}
		}
		counts, _ := s.MaterialCounts(t.Context())
		if counts["thumb"]+counts["voice"]+counts["video"] != 0 || counts["image"] != 1 {
			t.Errorf("refused uploads saved: %v", counts)
		}

		// Agents browse; the form, delete and sync are not theirs.
		ag := a.browser().login("ag")
		page = ag.get("/console/media")
		expect(t, page, 200, "猫.png", "你的角色只能浏览素材")
		for _, s := range []string{`id="media-form"`, "/delete", `id="media-sync"`} {
			if strings.Contains(page.body(), s) {
				t.Errorf("agent's page offers %s", s)
			}
		}
		id := src[2]
		tok := ag.csrf("/console/media")
		for _, p := range []string{"/console/media/" + id + "/delete", "/console/media/sync"} {
			if r := ag.post(p, url.Values{"csrf_token": {tok}}); r.Code != http.StatusForbidden {
				t.Errorf("agent POST %s: %d", p, r.Code)
			}
		}

		// Sync asked for; a second ask while it runs says so in Chinese.
		r = mk.submit("/console/media", "/console/media/sync", url.Values{"kind": {"image"}})
		if r.Code != http.StatusSeeOther {
			t.Fatalf("sync: %d %s", r.Code, r.body())
		}
		expect(t, mk.get("/console/media"), 200, "正在从微信同步素材")
		expect(t, mk.submit("/console/media", "/console/media/sync", nil), http.StatusConflict, "素材同步已在进行中")

		// Delete.
		r = mk.submit("/console/media", "/console/media/"+id+"/delete", nil)
		if r.Code != http.StatusSeeOther {
			t.Fatalf("delete: %d %s", r.Code, r.body())
		}
		expect(t, mk.get("/console/media?kind=image&done=media.deleted"), 200, "素材已删除", "这一类还没有素材")
		expect(t, mk.get("/console/media/"+id+"/file"), http.StatusNotFound)
	})
}
