package console_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
)

// testPicture writes a real PNG (a green and white poster) for uploads.
func testPicture(t *testing.T, dir string) string {
	img := image.NewRGBA(image.Rect(0, 0, 240, 180))
	for y := 0; y < 180; y++ {
		for x := 0; x < 240; x++ {
			c := color.RGBA{7, 193, 96, 255}
			if (x/30+y/30)%2 == 0 {
				c = color.RGBA{255, 255, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "新品海报.png")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBrowserMediaLibrary: a marketer, in Chromium in Chinese at 1280 and
// 390 px, uploads a picture and sees its thumbnail in the library; an
// oversize thumb and a file of the wrong type are stopped in the page with
// a Chinese message before anything is sent, and a file whose content does
// not match its name is refused by the server, in Chinese, with nothing
// saved.
func TestBrowserMediaLibrary(t *testing.T) {
	br := browsertest.New(t, 2*time.Minute, chromedp.Flag("lang", "zh-CN"))
	s := modelstest.MustOpen(t, "sqlite")
	a := newMediaApp(t, s)
	a.staff("mia", models.RoleMarketer)
	srv := httptest.NewServer(a.router)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	picture := testPicture(t, dir)
	bigThumb := filepath.Join(dir, "cover.jpg")
	os.WriteFile(bigThumb, append([]byte("\xff\xd8\xff\xe0"), make([]byte, 80<<10)...), 0o644)
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("not a picture"), 0o644)
	fakePNG := filepath.Join(dir, "fake.png")
	os.WriteFile(fakePNG, []byte("not a picture either"), 0o644)

	ctx := br.Tab()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string {
		v, _ := chromedp.Run(ctx, chromedp.Text(css(sel)))
		return v
	}
	br.Do(ctx, "log in", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/console/media"),
		chromedp.WaitVisible(css("#username")), chromedp.SendKeys(css("#username"), "mia"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#account")))
	br.Do(ctx, "open the library", chromedp.Navigate(srv.URL+"/console/media"), chromedp.WaitVisible(css("#media-form")))
	br.Do(ctx, "upload a picture", chromedp.SetUploadFiles(css("#media-file"), []string{picture}),
		chromedp.Click(css("#media-upload")), chromedp.WaitVisible(css("#media-list img")))
	br.Until(ctx, "the thumbnail shows", `(() => { const i = document.querySelector('#media-list img'); return i.complete && i.naturalWidth === 240; })()`)
	if got := text(".notice.ok"); !strings.Contains(got, "已上传到微信") {
		t.Errorf("notice: %q", got)
	}
	if got := text("#media-list .media-name"); got != "新品海报.png" {
		t.Errorf("name: %q", got)
	}
	br.Shot(ctx, "media-library-1280")

	// Checked in the page: nothing is sent.
	for _, c := range []struct{ kind, file, want string }{
		{"thumb", bigThumb, "缩略图不能超过 64 KB，所选文件有 80 KB。请压缩后再上传。"},
		{"image", notes, "图片必须是 bmp/png/jpeg/jpg/gif 格式的文件，所选的「notes.txt」不是。请换一个文件。"},
	} {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const k = document.querySelector('#media-kind'); k.value = %q; k.dispatchEvent(new Event('change')); return true; })()`, c.kind))); err != nil {
			t.Fatal(err)
		}
		br.Do(ctx, "choose "+c.file, chromedp.SetUploadFiles(css("#media-file"), []string{c.file}), chromedp.WaitVisible(css("#media-error")))
		br.Do(ctx, "try to send", chromedp.Click(css("#media-upload")), chromedp.Sleep(300*time.Millisecond))
		if got := text("#media-error"); got != c.want {
			t.Errorf("%s: %q, want %q", c.file, got, c.want)
		}
		br.Shot(ctx, "media-refused-"+c.kind)
	}
	// Checked by the server: the content is not what the name says.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const k = document.querySelector('#media-kind'); k.value = 'image'; k.dispatchEvent(new Event('change')); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	br.Do(ctx, "send a fake png", chromedp.SetUploadFiles(css("#media-file"), []string{fakePNG}),
		chromedp.Click(css("#media-upload")), chromedp.WaitVisible(css(".notice.err")))
	if got := text(".notice.err"); !strings.Contains(got, "「fake.png」的内容不是 bmp/png/jpeg/jpg/gif 格式") || !strings.Contains(got, "请用原始文件重新上传") {
		t.Errorf("server refusal: %q", got)
	}
	br.Shot(ctx, "media-refused-server")
	counts, _ := s.MaterialCounts(t.Context())
	if counts["image"] != 1 || counts["thumb"] != 0 {
		t.Errorf("library after the refusals: %v", counts)
	}

	br.Do(ctx, "phone width", chromedp.EmulateViewport(390, 900), chromedp.Navigate(srv.URL+"/console/media"),
		chromedp.WaitVisible(css("#media-list img")))
	br.Until(ctx, "the thumbnail shows on a phone", `(() => { const i = document.querySelector('#media-list img'); return i.complete && i.naturalWidth === 240 && i.getBoundingClientRect().width > 100; })()`)
	br.Until(ctx, "no sideways scrolling", `document.documentElement.scrollWidth <= window.innerWidth`)
	br.Shot(ctx, "media-library-390")
}

// TestBrowserRuleImagePicker: a marketer writing an image reply picks a
// picture from the library (a thumbnail grid) instead of typing its
// media_id; the preview card shows it, and the rule saves with its id. A
// typed unknown id is flagged in the page at once. At 1280 and 390 px.
func TestBrowserRuleImagePicker(t *testing.T) {
	br := browsertest.New(t, 2*time.Minute, chromedp.Flag("lang", "zh-CN"))
	s := modelstest.MustOpen(t, "sqlite")
	a, lib := pickerApp(t, s)
	a.staff("mia", models.RoleMarketer)
	raw, err := os.ReadFile(testPicture(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	img, err := lib.Upload(t.Context(), roles.Upload{Kind: "image", FileName: "菜单.png", Data: raw})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.router)
	t.Cleanup(srv.Close)
	ctx := br.Tab()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	for _, w := range []int64{1280, 390} {
		if w == 1280 {
			br.Do(ctx, "log in", chromedp.EmulateViewport(w, 900), chromedp.Navigate(srv.URL+"/console/rules/new"),
				chromedp.WaitVisible(css("#username")), chromedp.SendKeys(css("#username"), "mia"), chromedp.SendKeys(css("#password"), password),
				chromedp.Click(css("#login")), chromedp.WaitVisible(css("#account")))
		}
		br.Do(ctx, "new rule", chromedp.EmulateViewport(w, 900), chromedp.Navigate(srv.URL+"/console/rules/new"), chromedp.WaitVisible(css("#replies")))
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const k = document.querySelector('select[name="reply.0.kind"]'); k.value = 'image'; k.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`)); err != nil {
			t.Fatal(err)
		}
		br.Do(ctx, "type an unknown id", chromedp.SendKeys(css(`input[name="reply.0.media_id"]`), "no-such-id"), chromedp.WaitVisible(css(".pick-unknown")))
		br.Do(ctx, "open the picker", chromedp.Click(css(".media-pick summary")), chromedp.WaitVisible(css(".pick")))
		br.Shot(ctx, fmt.Sprintf("rule-picker-open-%d", w))
		br.Do(ctx, "pick", chromedp.Click(css(`.pick[data-media-id="`+img.MediaID+`"]`)), chromedp.WaitVisible(css(".pick-preview img")))
		got, _ := chromedp.Run(ctx, chromedp.Value(css(`input[name="reply.0.media_id"]`)))
		if got != img.MediaID {
			t.Errorf("%d px: media_id box %q, want %q", w, got, img.MediaID)
		}
		name, _ := chromedp.Run(ctx, chromedp.Text(css(".pick-preview .pick-name")))
		if name != "菜单.png" {
			t.Errorf("%d px: preview %q", w, name)
		}
		br.Until(ctx, "no sideways scrolling", `document.documentElement.scrollWidth <= window.innerWidth`)
		br.Shot(ctx, fmt.Sprintf("rule-picker-chosen-%d", w))
	}
	br.Do(ctx, "name and keyword", chromedp.SendKeys(css(`input[name="name"]`), "菜单图"), chromedp.SendKeys(css(`input[name="kw.0.text"]`), "菜单"))
	br.Do(ctx, "save", chromedp.Click(css("#save-rule")), chromedp.WaitVisible(css(".notice.ok")))
	list, err := s.ListRules(t.Context())
	if err != nil || len(list) != 1 {
		t.Fatalf("rules: %v %v", list, err)
	}
	spec, err := list[0].Decode()
	if err != nil || len(spec.Replies) != 1 || spec.Replies[0].MediaID != img.MediaID {
		t.Errorf("saved replies: %+v %v", spec.Replies, err)
	}
}
