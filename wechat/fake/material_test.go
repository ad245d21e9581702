package fake

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/material"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// uploadTo posts a multipart upload to path (query: the rest of the URL)
// and returns the decoded answer, or the raw bytes for a download.
func uploadTo(t *testing.T, s *Server, path, query, filename string, body []byte, description string) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if filename != "" {
		fw, _ := w.CreateFormFile("media", filename)
		fw.Write(body)
	}
	if description != "" {
		w.WriteField("description", description)
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, path+"?"+query, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return answerOf(t, rec.Body.Bytes())
}

// call makes a request and returns the status, content type and body.
func call(t *testing.T, s *Server, method, target string, body any) (int, string, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(method, target, r))
	return rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()
}

func TestMaterialLifecycle(t *testing.T) {
	t.Parallel()
	const app = "wx-materials"
	s, clk := newFake(t, Options{TokenTTL: 365 * 24 * time.Hour, MaterialLimits: map[string]int{"voice": 1}}, Account{AppID: app})
	tok := fetchToken(t, s, app)
	q := "access_token=" + tok + "&type="
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 100)...)

	img := uploadTo(t, s, "/cgi-bin/material/add_material", q+"image", "cat.png", png, "")
	id, _ := img["media_id"].(string)
	if id == "" || !strings.HasPrefix(img["url"].(string), "http://mmbiz.qpic.cn/") {
		t.Fatalf("add image: %v", img)
	}
	clk.Advance(time.Second)
	// The platform's refusals.
	wantCode(t, uploadTo(t, s, "/cgi-bin/material/add_material", q+"picture", "cat.png", png, ""), 40004)
	wantCode(t, uploadTo(t, s, "/cgi-bin/material/add_material", q+"image", "cat.webp", png, ""), 40005)
	wantCode(t, uploadTo(t, s, "/cgi-bin/material/add_material", q+"thumb", "big.jpg", make([]byte, 64<<10+1), ""), 45001)
	wantCode(t, uploadTo(t, s, "/cgi-bin/material/add_material", q+"voice", "v.amr", make([]byte, 2<<20+1), ""), 45001)
	wantCode(t, uploadTo(t, s, "/cgi-bin/material/add_material", q+"image", "", nil, ""), 41005)
	wantCode(t, uploadTo(t, s, "/cgi-bin/material/add_material", q+"video", "clip.mp4", []byte("mp4"), ""), 40035)
	vid := uploadTo(t, s, "/cgi-bin/material/add_material", q+"video", "clip.mp4", []byte("mp4-bytes"),
		`{"title":"开箱","introduction":"新品开箱"}`)
	wantCode(t, uploadTo(t, s, "/cgi-bin/material/add_material", q+"voice", "hi.mp3", []byte("ID3"), ""), 0)
	wantCode(t, uploadTo(t, s, "/cgi-bin/material/add_material", q+"voice", "again.mp3", []byte("ID3"), ""), 45009)

	_, _, b := call(t, s, "GET", "/cgi-bin/material/get_materialcount?access_token="+tok, nil)
	var count map[string]int
	json.Unmarshal(b, &count)
	if count["image_count"] != 1 || count["video_count"] != 1 || count["voice_count"] != 1 || count["news_count"] != 0 {
		t.Errorf("count: %s", b)
	}
	_, _, b = call(t, s, "POST", "/cgi-bin/material/batchget_material?access_token="+tok, map[string]any{"type": "image", "offset": 0, "count": 20})
	var page material.ArticleList
	json.Unmarshal(b, &page)
	if page.TotalCount != 1 || len(page.Item) != 1 || page.Item[0].MediaID != id || page.Item[0].Name != "cat.png" {
		t.Errorf("batchget: %s", b)
	}
	wantCode(t, answerOf(t, call3(t, s, "POST", "/cgi-bin/material/batchget_material?access_token="+tok, map[string]any{"type": "image", "count": 21})), 40035)

	status, ct, b := call(t, s, "POST", "/cgi-bin/material/get_material?access_token="+tok, map[string]string{"media_id": id})
	if status != 200 || ct != "image/png" || !bytes.Equal(b, png) {
		t.Errorf("get_material image: %d %s %d bytes", status, ct, len(b))
	}
	_, _, b = call(t, s, "POST", "/cgi-bin/material/get_material?access_token="+tok, map[string]string{"media_id": vid["media_id"].(string)})
	if !strings.Contains(string(b), `"title":"开箱"`) || !strings.Contains(string(b), "down_url") {
		t.Errorf("get_material video: %s", b)
	}
	// A permanent image can be sent; after del_material it is refused.
	if err := s.SeedFan(app, Fan{OpenID: "fan", Subscribed: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendText(context.Background(), app, "fan", "hi"); err != nil {
		t.Fatal(err)
	}
	cs := sdk(t, s, app).GetCustomerMessageManager()
	if err := cs.Send(message.NewCustomerImgMessage("fan", id)); err != nil {
		t.Errorf("send permanent image: %v", err)
	}
	wantCode(t, answerOf(t, call3(t, s, "POST", "/cgi-bin/material/del_material?access_token="+tok, map[string]string{"media_id": id})), 0)
	wantCode(t, answerOf(t, call3(t, s, "POST", "/cgi-bin/material/del_material?access_token="+tok, map[string]string{"media_id": id})), 40007)
	wantCode(t, answerOf(t, call3(t, s, "POST", "/cgi-bin/material/get_material?access_token="+tok, map[string]string{"media_id": id})), 40007)
	wantErrCode(t, cs.Send(message.NewCustomerImgMessage("fan", id)), 40007)
}

func call3(t *testing.T, s *Server, method, target string, body any) []byte {
	_, _, b := call(t, s, method, target, body)
	return b
}

func answerOf(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

// TestTemporaryMediaExpire: media/upload ids live 3 days on the fake's
// clock; then media/get and sends answer 40007.
func TestTemporaryMediaExpire(t *testing.T) {
	t.Parallel()
	const app = "wx-temp-media"
	s, clk := newFake(t, Options{TokenTTL: 365 * 24 * time.Hour}, Account{AppID: app})
	tok := fetchToken(t, s, app)
	jpg := []byte("\xff\xd8\xff\xe0 a small jpeg")
	up := uploadTo(t, s, "/cgi-bin/media/upload", "access_token="+tok+"&type=image", "p.jpg", jpg, "")
	id := up["media_id"].(string)
	wantCode(t, uploadTo(t, s, "/cgi-bin/media/upload", "access_token="+tok+"&type=voice", "v.wav", []byte("RIFF"), ""), 40005)
	wantCode(t, uploadTo(t, s, "/cgi-bin/media/upload", "access_token="+tok+"&type=thumb", "t.jpg", make([]byte, 65<<10), ""), 45001)

	status, ct, b := call(t, s, "GET", "/cgi-bin/media/get?access_token="+tok+"&media_id="+id, nil)
	if status != 200 || ct != "image/jpeg" || !bytes.Equal(b, jpg) {
		t.Fatalf("media/get: %d %s %q", status, ct, b)
	}
	if err := s.SeedFan(app, Fan{OpenID: "fan", Subscribed: true}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(72*time.Hour - time.Minute)
	if _, err := s.SendText(context.Background(), app, "fan", "hi"); err != nil {
		t.Fatal(err)
	}
	cs := sdk(t, s, app).GetCustomerMessageManager()
	if err := cs.Send(message.NewCustomerImgMessage("fan", id)); err != nil {
		t.Errorf("within 3 days: %v", err)
	}
	clk.Advance(time.Minute)
	wantCode(t, answerOf(t, call3(t, s, "GET", "/cgi-bin/media/get?access_token="+tok+"&media_id="+id, nil)), 40007)
	wantErrCode(t, cs.Send(message.NewCustomerImgMessage("fan", id)), 40007)

	// Article images: jpg/png ≤ 1 MB, a URL and no media id.
	img := uploadTo(t, s, "/cgi-bin/media/uploadimg", "access_token="+tok, "body.png", []byte("\x89PNG"), "")
	if u, _ := img["url"].(string); !strings.HasPrefix(u, "http://mmbiz.qpic.cn/") || img["media_id"] != nil {
		t.Errorf("uploadimg: %v", img)
	}
	wantCode(t, uploadTo(t, s, "/cgi-bin/media/uploadimg", "access_token="+tok, "body.gif", []byte("GIF8"), ""), 40005)
	wantCode(t, uploadTo(t, s, "/cgi-bin/media/uploadimg", "access_token="+tok, "big.jpg", make([]byte, 1<<20+1), ""), 45001)
}

// TestMaterialsSurviveRestart: materials and their bytes come back when
// the fake is opened again on the same state file and media directory.
func TestMaterialsSurviveRestart(t *testing.T) {
	t.Parallel()
	const app = "wx-materials-restart"
	dir := t.TempDir()
	opts := Options{TokenTTL: 365 * 24 * time.Hour, State: FileState{Path: filepath.Join(dir, "state.json")}, MediaDir: filepath.Join(dir, "media")}
	s, _ := newFake(t, opts, Account{AppID: app})
	tok := fetchToken(t, s, app)
	data := []byte("\xff\xd8\xff a thumb")
	id := uploadTo(t, s, "/cgi-bin/material/add_material", "access_token="+tok+"&type=thumb", "t.jpg", data, "")["media_id"].(string)
	news, err := s.AddNews(app, []NewsArticle{{Title: "新品上市", ThumbMediaID: id}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2 := New(Options{TokenTTL: 365 * 24 * time.Hour, State: opts.State, MediaDir: opts.MediaDir})
	defer s2.Close()
	s2.AddAccount(Account{AppID: app, AppSecret: "secret-" + app, Token: "t"})
	_, _, tb := call(t, s2, "GET", "/cgi-bin/token?grant_type=client_credential&appid="+app+"&secret=secret-"+app, nil)
	tok2, _ := answerOf(t, tb)["access_token"].(string)
	status, _, b := call(t, s2, "POST", "/cgi-bin/material/get_material?access_token="+tok2, map[string]string{"media_id": id})
	if status != 200 || !bytes.Equal(b, data) {
		t.Errorf("thumb after restart: %d %q", status, b)
	}
	if got := s2.Materials(app, "news"); len(got) != 1 || got[0].MediaID != news || got[0].Articles[0].Title != "新品上市" {
		t.Errorf("news after restart: %+v", got)
	}
}
