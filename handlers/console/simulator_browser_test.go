package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat/fake"
)

// phoneSim is platformSim with the richer phone (console.SimPhone), as the
// sandbox's simulator in cmd/fivec offers it.
type phoneSim struct{ platformSim }

var _ console.SimPhone = phoneSim{}

func (p phoneSim) Inbox(openID string) []console.SimMessage {
	var out []console.SimMessage
	for _, d := range platform.Inbox(p.appID, openID) {
		m := console.SimMessage{At: d.Time, FromFan: d.Direction == fake.DirIn, Kind: d.Kind, Source: d.Source, Text: d.Text}
		if d.Kind == "event" {
			m.Text = d.Event + " " + d.EventKey
		}
		if d.Direction == fake.DirIn {
			m.MediaID = d.MediaID
		}
		for _, a := range d.Articles {
			m.Articles = append(m.Articles, console.SimArticle{Title: a.Title, Description: a.Description, PicURL: a.PicURL, URL: a.URL})
		}
		out = append(out, m)
	}
	return out
}

func (p phoneSim) Menu() []console.SimButton {
	var conv func([]fake.MenuButton) []console.SimButton
	conv = func(bs []fake.MenuButton) []console.SimButton {
		var out []console.SimButton
		for _, b := range bs {
			out = append(out, console.SimButton{Type: b.Type, Name: b.Name, Key: b.Key, URL: b.URL, Sub: conv(b.SubButtons)})
		}
		return out
	}
	return conv(platform.Menu(p.appID))
}

func (p phoneSim) Scan(ctx context.Context, openID, scene string) error {
	_, err := platform.Scan(ctx, p.appID, openID, scene)
	return err
}

func (p phoneSim) View(ctx context.Context, openID, url string) error {
	_, err := platform.View(ctx, p.appID, openID, url)
	return err
}

func (p phoneSim) SendImage(ctx context.Context, openID, name string, data []byte) (string, error) {
	_, id, err := platform.SendImageFile(ctx, p.appID, openID, name, data)
	return id, err
}

func (p phoneSim) SendVoice(ctx context.Context, openID, format, name string, data []byte) (string, error) {
	_, id, err := platform.SendVoiceFile(ctx, p.appID, openID, format, "", name, data)
	return id, err
}

func (p phoneSim) SendLocation(ctx context.Context, openID string, lat, lng float64, label string) error {
	_, err := platform.SendLocation(ctx, p.appID, openID, lat, lng, 15, label)
	return err
}

// TestBrowserSimulatorPhone plays a fan on the simulator's phone: the
// published custom menu is a WeChat-like bar whose sub-menu pops up; a click
// button sends the CLICK event with its key, a view button the VIEW event
// and shows the URL; a news (图文) message shows as cards; and the fan sends
// a picture and a voice note (uploads: the platform issues media ids and the
// server gets image and voice messages), a location and a QR scan of a
// channel. Screenshots at 1280 and 390 px with FIVEC_SCREENSHOTS.
func TestBrowserSimulatorPhone(t *testing.T) {
	br := browsertest.New(t, 120*time.Second)
	sb := newSandbox(t, "wxphone")
	s, wx, appID := sb.store, sb.wx, sb.appID
	web := sb.serve(&console.Handler{Sim: phoneSim{platformSim{appID}}})
	sb.staff("ann", models.RoleAdmin)
	ctx0 := context.Background()
	menu := models.Menu{Buttons: []models.MenuButton{
		{Type: "click", Name: "签到", Key: "SIGNIN"},
		{Name: "服务", SubButtons: []models.MenuButton{
			{Type: "view", Name: "官网", URL: "https://shop.example.com/home"},
			{Type: "click", Name: "人工客服", Key: "CONTACT_AGENT"},
		}},
	}}
	if err := wx.PublishMenu(ctx0, menu); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateChannel(ctx0, models.NewChannel{Name: "门店海报", Scene: "shopposter", Permanent: true}, "t", "http://weixin.qq.com/q/x", 0); err != nil {
		t.Fatal(err)
	}
	const fan = "oPhoneFan"
	dir := t.TempDir()
	photo, voice := filepath.Join(dir, "shop.png"), filepath.Join(dir, "hello.amr")
	// A 1×1 PNG and a few bytes of AMR: the console checks type and size only.
	os.WriteFile(photo, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"), 0o644)
	os.WriteFile(voice, []byte("#!AMR\n\x3c\x00\x00"), 0o644)

	ctx := br.Tab()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		br.Do(ctx, step, actions...)
	}
	got := func(pred func(fake.Delivery) bool) bool {
		for _, d := range platform.Inbox(appID, fan) {
			if d.Direction == fake.DirIn && pred(d) {
				return true
			}
		}
		return false
	}
	waitFan := func(step string, pred func(fake.Delivery) bool) {
		t.Helper()
		for i := 0; !got(pred); i++ {
			if i > 100 {
				t.Fatalf("%s: the server never got it; the fan's phone: %+v", step, platform.Inbox(appID, fan))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	do("log in", chromedp.Navigate(web.URL+"/console/simulator?openid="+fan), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "ann"), chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#login")), chromedp.WaitVisible(css("#new-fan")))
	do("the fan", chromedp.Navigate(web.URL+"/console/simulator?openid="+fan), chromedp.WaitVisible(css("#follow")))
	do("follow", chromedp.Click(css("#follow")), chromedp.WaitVisible(css("#unfollow")))

	// The menu bar: two buttons, no key box.
	br.Until(ctx, "menu bar", `document.querySelectorAll('#wx-menu .wx-menu-item').length === 2 && !document.querySelector('#click-form')`)
	do("sign-in button", chromedp.Click(css(`#wx-menu button[data-key="SIGNIN"]`)))
	waitFan("CLICK SIGNIN", func(d fake.Delivery) bool { return d.Event == "CLICK" && d.EventKey == "SIGNIN" })
	br.Until(ctx, "sub-menu closed", `!document.querySelector('#wx-menu details').open`)
	do("open 服务", chromedp.Click(css(`#wx-menu details.wx-menu-item > summary`)))
	br.Until(ctx, "sub-menu pops up", `document.querySelector('#wx-menu details').open && document.querySelector('#wx-menu .wx-sub').getBoundingClientRect().height > 40`)
	for _, w := range []int64{1280, 390} {
		do("width", chromedp.EmulateViewport(w, 900))
		br.Shot(ctx, fmt.Sprintf("simulator-menu-%d", w))
	}
	do("desktop", chromedp.EmulateViewport(1280, 900))
	do("官网", chromedp.Click(css(`#wx-menu button[name="url"]`)))
	waitFan("VIEW", func(d fake.Delivery) bool { return d.Event == "VIEW" && d.EventKey == "https://shop.example.com/home" })
	br.Until(ctx, "the URL on the phone", `document.querySelector('#inbox').innerText.includes('https://shop.example.com/home')`)

	// A news message from the account shows as a card (customer-service
	// news carries one article since 2023).
	news := models.Reply{Kind: models.ReplyNews, Articles: []models.Article{
		{Title: "新品上市", Description: "春季新品八折", PicURL: "https://mmbiz.example.com/a.jpg", URL: "https://shop.example.com/new"},
	}}
	if err := wx.SendCustom(ctx0, fan, news); err != nil {
		t.Fatal(err)
	}
	br.Until(ctx, "news cards", `document.querySelectorAll('#inbox .news-card').length === 1 &&
		document.querySelector('#inbox .news-card').innerText.includes('新品上市') &&
		document.querySelector('#inbox .news-card').innerText.includes('春季新品八折') &&
		document.querySelector('#inbox .news-card').getAttribute('href') === 'https://shop.example.com/new'`)

	// A picture, a voice note, a location and a scan.
	do("more", chromedp.Click(css("#sim-more summary")), chromedp.WaitVisible(css("#sim-image")))
	do("picture", chromedp.SetUploadFiles(css("#sim-image"), []string{photo}), chromedp.Click(css("#sim-image-send")), chromedp.WaitVisible(css("#unfollow")))
	waitFan("image", func(d fake.Delivery) bool { return d.Kind == "image" && strings.HasPrefix(d.MediaID, "image_fan_") })
	do("more", chromedp.Click(css("#sim-more summary")), chromedp.WaitVisible(css("#sim-voice")))
	do("voice", chromedp.SetUploadFiles(css("#sim-voice"), []string{voice}), chromedp.Click(css("#sim-voice-send")), chromedp.WaitVisible(css("#unfollow")))
	waitFan("voice", func(d fake.Delivery) bool {
		return d.Kind == "voice" && strings.HasPrefix(d.MediaID, "voice_fan_") && d.Message != nil && d.Message.Format == "amr"
	})
	do("more", chromedp.Click(css("#sim-more summary")), chromedp.WaitVisible(css("#sim-label")))
	do("location", chromedp.SendKeys(css("#sim-label"), "人民广场"), chromedp.Click(css("#sim-location-send")), chromedp.WaitVisible(css("#unfollow")))
	waitFan("location", func(d fake.Delivery) bool {
		return d.Kind == "location" && d.Text == "人民广场" && d.Message.LocationX == 31.2304 && d.Message.LocationY == 121.4737
	})
	do("more", chromedp.Click(css("#sim-more summary")), chromedp.WaitVisible(css("#sim-scene")))
	br.Until(ctx, "channels offered", `document.querySelector('#sim-scenes option[value="shopposter"]') !== null`)
	do("scan", chromedp.SendKeys(css("#sim-scene"), "shopposter"), chromedp.Click(css("#sim-scan-send")), chromedp.WaitVisible(css("#unfollow")))
	waitFan("scan", func(d fake.Delivery) bool { return d.Event == "SCAN" && d.EventKey == "shopposter" })
	br.Until(ctx, "media ids on the phone", `document.querySelector('#inbox').innerText.includes('image_fan_') && document.querySelector('#inbox').innerText.includes('人民广场')`)
	// The member's log holds the image message.
	var n int64
	for i := 0; i < 50 && n == 0; i++ {
		msgs, _ := s.Conversation(ctx0, fan, 50)
		for _, m := range msgs {
			if m.MsgType == "image" {
				n++
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n != 1 {
		t.Fatalf("the server recorded %d image messages", n)
	}
	for _, w := range []int64{1280, 390} {
		do("width", chromedp.EmulateViewport(w, 900))
		br.Shot(ctx, fmt.Sprintf("simulator-phone-%d", w))
	}
	do("more at 390", chromedp.Click(css("#sim-more summary")), chromedp.WaitVisible(css("#sim-image")))
	br.Shot(ctx, "simulator-more-390")
}
