package console_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/media/mediatest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// mediaPhoneSim is phoneSim whose phone shows pictures and voice notes
// (console.SimMedia), as the sandbox's simulator does.
type mediaPhoneSim struct{ phoneSim }

func (p mediaPhoneSim) Inbox(openID string) []console.SimMessage {
	out := p.phoneSim.Inbox(openID)
	for i, d := range platform.Inbox(p.appID, openID) {
		if i < len(out) && (d.Kind == "image" || d.Kind == "voice") {
			out[i].MediaID = d.MediaID
		}
	}
	return out
}

func (p mediaPhoneSim) MediaFile(mediaID string) (string, []byte, bool) {
	return platform.MediaFile(p.appID, mediaID)
}

var _ console.SimMedia = mediaPhoneSim{}

// TestBrowserInboxPictures: in Chromium (zh-CN), a simulated fan asks for
// a person and sends a photo picked from the computer; the fetch job
// brings it from WeChat and the agent sees it inline in the conversation
// (1280 and 390 px), answers with a picture from the computer, and the
// fan's phone shows both pictures.
func TestBrowserInboxPictures(t *testing.T) {
	br := browsertest.New(t, 120*time.Second)
	sb := newSandbox(t, "wxpics")
	files := mediatest.Open(t, mediatest.FileURL(t))
	ff := &roles.FanFiles{Store: sb.store, Files: files, WX: sb.wx, Log: sb.log, Retention: 180 * 24 * time.Hour}
	sender := &wechat.Sender{Store: sb.store, WX: sb.wx, Log: sb.log}
	svc := &roles.Service{Store: sb.store, Sender: sender, Log: sb.log, Keywords: []string{"人工"},
		Policy: models.PolicyLeastLoaded, Texts: roles.DefaultServiceTexts, Window: models.DefaultWindowRules,
		Pictures: &roles.Pictures{Files: files, WX: sb.wx}}
	web := sb.serve(&console.Handler{Sim: mediaPhoneSim{phoneSim{platformSim{sb.appID}}}, Service: svc, FanFiles: ff},
		svc, &roles.Center{Store: sb.store, Log: sb.log, FanFiles: ff})
	sb.staff("ann", models.RoleAdmin)
	// The fan-media-fetch job, as cmd/fivec runs it every 5 s.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				ff.Fetch(context.Background(), 10)
			}
		}
	}()

	const fan = "oPicFan"
	dir := t.TempDir()
	photo, answer := filepath.Join(dir, "receipt.png"), filepath.Join(dir, "map.png")
	os.WriteFile(photo, bigPNG(t, 0x2e8b57), 0o644)
	os.WriteFile(answer, bigPNG(t, 0x1e90ff), 0o644)

	ctx := br.Tab()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		br.Do(ctx, step, actions...)
	}
	do("log in", chromedp.Navigate(web.URL+"/console/simulator?openid="+fan), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "ann"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#new-fan")))
	do("the fan", chromedp.Navigate(web.URL+"/console/simulator?openid="+fan), chromedp.WaitVisible(css("#follow")))
	do("follow", chromedp.Click(css("#follow")), chromedp.WaitVisible(css("#unfollow")))
	do("ask for a person", chromedp.SendKeys(css("#sim-text"), "人工"), chromedp.Click(css("#send")))
	br.Until(ctx, "asked", `document.querySelector('#inbox').innerText.includes('人工')`)
	do("more", chromedp.Click(css("#sim-more summary")), chromedp.WaitVisible(css("#sim-image")))
	do("photo", chromedp.SetUploadFiles(css("#sim-image"), []string{photo}), chromedp.Click(css("#sim-image-send")), chromedp.WaitVisible(css("#unfollow")))
	eventually(t, ctx, "the photo on the phone", `[...document.querySelectorAll('#inbox .bubble.pic img')].some(i => i.complete && i.naturalWidth === 40)`)

	// The agent's inbox.
	ctx0 := context.Background()
	m, err := sb.store.FindMemberByOpenID(ctx0, fan)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := sb.store.OpenConversation(ctx0, m.ID)
	if err != nil || conv == nil {
		t.Fatalf("no conversation: %v", err)
	}
	page := fmt.Sprintf("%s/console/inbox/%d", web.URL, conv.ID)
	do("the conversation", chromedp.Navigate(page), chromedp.WaitVisible(css("#conversation")))
	for i := 0; i < 50; i++ { // the fetch job brings the file within a second
		ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('#conversation .msg-pic img')`))
		if ok {
			break
		}
		do("reload", chromedp.Navigate(page), chromedp.WaitVisible(css("#conversation")))
		time.Sleep(200 * time.Millisecond)
	}
	br.Until(ctx, "the photo shows", `(() => { const i = document.querySelector('#conversation .msg-pic img'); return i && i.complete && i.naturalWidth === 40 })()`)
	for _, w := range []int64{1280, 390} {
		do("the inbox list", chromedp.EmulateViewport(w, 900), chromedp.Navigate(web.URL+"/console/inbox?filter=open"), chromedp.WaitVisible(css("body")))
		br.Until(ctx, "the photo's thumbnail in the list", `(() => { const i = document.querySelector('.conv-pic'); return i && i.complete && i.naturalWidth === 40 })()`)
		br.Shot(ctx, fmt.Sprintf("inbox-list-photo-%d", w))
	}
	do("back", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(page), chromedp.WaitVisible(css("#conversation")))
	if !isClaimed(ctx) {
		do("claim", chromedp.Click(css("#claim")), chromedp.WaitVisible(css("#reply-form")))
	}
	for _, w := range []int64{1280, 390} {
		do("width", chromedp.EmulateViewport(w, 900), chromedp.Navigate(page), chromedp.WaitVisible(css("#reply-form")))
		br.Until(ctx, "the photo shows", `(() => { const i = document.querySelector('#conversation .msg-pic img'); return i && i.complete && i.naturalWidth === 40 })()`)
		br.Shot(ctx, fmt.Sprintf("inbox-photo-%d", w))
	}
	do("desktop", chromedp.EmulateViewport(1280, 900))
	do("picture kind", chromedp.Click(css(`#reply-form input[name="kind"][value="image"]`)), chromedp.WaitVisible(css("#reply-picture")))
	do("choose the answer", chromedp.SetUploadFiles(css("#reply-picture"), []string{answer}))
	br.Shot(ctx, "inbox-reply-picture-1280")
	do("send", chromedp.Click(css("#send")))
	br.Until(ctx, "sent", `document.querySelector('#reply-result').innerText.includes('已发送')`)
	br.Until(ctx, "the agent's picture in the conversation", `[...document.querySelectorAll('#conversation img')].some(i => i.src.includes('/sent/') && i.complete && i.naturalWidth === 40)`)
	var got fake.Delivery
	for _, d := range platform.Inbox(sb.appID, fan) {
		if d.Source == fake.SourceCustom && d.Kind == "image" {
			got = d
		}
	}
	if got.MediaID == "" {
		t.Fatalf("the fan got no picture: %+v", platform.Inbox(sb.appID, fan))
	}

	// The fan's phone shows both pictures.
	do("the phone", chromedp.Navigate(web.URL+"/console/simulator?openid="+fan), chromedp.WaitVisible(css("#unfollow")))
	br.Until(ctx, "both pictures on the phone", `[...document.querySelectorAll('#inbox .bubble.pic img')].filter(i => i.complete && i.naturalWidth === 40).length === 2`)
	for _, w := range []int64{1280, 390} {
		do("width", chromedp.EmulateViewport(w, 900))
		br.Until(ctx, "pictures", `[...document.querySelectorAll('#inbox .bubble.pic img')].filter(i => i.complete && i.naturalWidth === 40).length === 2`)
		br.Shot(ctx, fmt.Sprintf("simulator-pictures-%d", w))
	}
}

// isClaimed: the reply box is there (the conversation is the viewer's).
func isClaimed(ctx context.Context) bool {
	ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('#reply-form')`))
	return ok
}

// bigPNG is a 40×40 PNG of one colour.
func bigPNG(t *testing.T, rgb uint32) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 40))
	c := color.RGBA{uint8(rgb >> 16), uint8(rgb >> 8), uint8(rgb), 255}
	for x := 0; x < 40; x++ {
		for y := 0; y < 40; y++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// eventually polls js until it is true, through the page's reload after a
// plain form post (an evaluation during the navigation fails and is tried
// again).
func eventually(t *testing.T, ctx context.Context, step, js string) {
	t.Helper()
	for i := 0; i < 150; i++ {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: never true: %s", step, js)
}
