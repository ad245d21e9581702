package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// sandboxAppID is the fake account's AppID in sandbox mode.
const sandboxAppID = "wxsandbox0000000000"

// sandbox is the in-process fake WeChat used when no credentials are set:
// it serves the API the SDK calls and plays the fans in the simulator.
type sandbox struct {
	fake    *fake.Server
	account wechat.Account
}

// newSandbox creates the fake platform with one safe-mode account whose
// callbacks go to base + "/wechat". Its state (fans, follows, phones, menu,
// tags, QR codes, materials, the MsgId counter) is kept in the file
// statePath, saved on every change (uploaded files' bytes in the directory
// statePath + "-media"), so a restart on the same database (even after SIGKILL)
// finds the fans the database knows. The account's secrets are new each
// start: fivec is the only client and fetches a new token.
func newSandbox(base, statePath string, log *slog.Logger) (*sandbox, error) {
	acct := wechat.Account{AppID: sandboxAppID, AppSecret: randomKey(32), Token: randomKey(32), AESKey: randomKey(43)}
	f, err := fake.Open(fake.Options{State: fake.FileState{Path: statePath}, MediaDir: statePath + "-media",
		StateError: func(err error) { log.Error("sandbox: save the fake WeChat's state", "path", statePath, "err", err) }})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox state %s: %v (move the file away to start the simulator afresh)", statePath, err)
	}
	f.AddAccount(fake.Account{
		AppID: acct.AppID, AppSecret: acct.AppSecret, Token: acct.Token, EncodingAESKey: acct.AESKey,
		CallbackURL: base + "/wechat", Verified: true,
	})
	return &sandbox{fake: f, account: acct}, nil
}

// simulator adapts the fake platform to the console's fan simulator.
type simulator struct{ s *sandbox }

func (m simulator) Follow(ctx context.Context, openID, scene string) error {
	_, err := m.s.fake.Follow(ctx, sandboxAppID, openID, scene)
	return shownToFan(err)
}

func (m simulator) Unfollow(ctx context.Context, openID string) error {
	return shownToFan(m.s.fake.Unfollow(ctx, sandboxAppID, openID))
}

func (m simulator) SendText(ctx context.Context, openID, text string) error {
	_, err := m.s.fake.SendText(ctx, sandboxAppID, openID, text)
	return shownToFan(err)
}

func (m simulator) Click(ctx context.Context, openID, key string) error {
	_, err := m.s.fake.Click(ctx, sandboxAppID, openID, key)
	return shownToFan(err)
}

// shownToFan drops errors the phone already shows: when fivec did not
// answer a callback, the fan sees WeChat's "service unavailable" notice.
// What the fan cannot do (follow twice, write without following) is a
// conflict the operator is told about in Chinese, not an internal error.
func shownToFan(err error) error {
	var cbErr *fake.CallbackError
	switch {
	case errors.As(err, &cbErr):
		return nil
	case errors.Is(err, fake.ErrAlreadyFollowing):
		return models.Errorf(models.ECONFLICT, "该粉丝已经关注了公众号，无需再次关注")
	case errors.Is(err, fake.ErrNotFollowing):
		return models.Errorf(models.ECONFLICT, "该粉丝尚未关注公众号，请先点击“关注”")
	}
	return err
}

func (m simulator) Inbox(openID string) []console.SimMessage {
	var out []console.SimMessage
	for _, d := range m.s.fake.Inbox(sandboxAppID, openID) {
		out = append(out, simMessage(d, deliveryText(d)))
	}
	return out
}

// simMessage is one delivery as the simulator's phone shows it: news
// messages as cards, fans' pictures and voice notes with their media id.
func simMessage(d fake.Delivery, text string) console.SimMessage {
	msg := console.SimMessage{At: d.Time, FromFan: d.Direction == fake.DirIn, Kind: d.Kind, Source: d.Source, Text: text}
	if d.Kind == "image" || d.Kind == "voice" {
		msg.MediaID = d.MediaID
	}
	if d.Kind == "news" || d.Kind == "mpnews" {
		for _, a := range d.Articles {
			art := console.SimArticle{Title: a.Title, Description: a.Description, PicURL: a.PicURL, URL: a.URL}
			if d.Kind == "mpnews" {
				// A 图文 card shows no address in WeChat (and the long one
				// would push the title of a small card out of view).
				art.URL = ""
			}
			msg.Articles = append(msg.Articles, art)
		}
	}
	return msg
}

// Menu is the account's published menu (console.SimPhone).
func (m simulator) Menu() []console.SimButton { return simButtons(m.s.fake.Menu(sandboxAppID)) }

func simButtons(bs []fake.MenuButton) []console.SimButton {
	var out []console.SimButton
	for _, b := range bs {
		out = append(out, console.SimButton{Type: b.Type, Name: b.Name, Key: b.Key, URL: b.URL, Sub: simButtons(b.SubButtons)})
	}
	return out
}

func (m simulator) Scan(ctx context.Context, openID, scene string) error {
	_, err := m.s.fake.Scan(ctx, sandboxAppID, openID, scene)
	return shownToFan(err)
}

func (m simulator) View(ctx context.Context, openID, url string) error {
	_, err := m.s.fake.View(ctx, sandboxAppID, openID, url)
	return shownToFan(err)
}

func (m simulator) SendImage(ctx context.Context, openID, name string, data []byte) (string, error) {
	_, id, err := m.s.fake.SendImageFile(ctx, sandboxAppID, openID, name, data)
	return id, shownToFan(err)
}

func (m simulator) SendVoice(ctx context.Context, openID, format, name string, data []byte) (string, error) {
	_, id, err := m.s.fake.SendVoiceFile(ctx, sandboxAppID, openID, format, "", name, data)
	return id, shownToFan(err)
}

func (m simulator) SendLocation(ctx context.Context, openID string, lat, lng float64, label string) error {
	_, err := m.s.fake.SendLocation(ctx, sandboxAppID, openID, lat, lng, 15, label)
	return shownToFan(err)
}

func (m simulator) Fans() []console.SimFan {
	var out []console.SimFan
	for _, f := range m.s.fake.Fans(sandboxAppID) {
		out = append(out, console.SimFan{OpenID: f.OpenID, Subscribed: f.Subscribed, BlocksTemplates: f.BlocksTemplates})
	}
	return out
}

// deliveryText renders what a phone would show for one delivery.
func deliveryText(d fake.Delivery) string {
	switch d.Kind {
	case "text":
		return d.Text
	case "event":
		switch strings.ToLower(d.Event) {
		case "subscribe":
			if scene := strings.TrimPrefix(d.EventKey, "qrscene_"); scene != "" {
				return "关注了公众号（扫码：" + scene + "）"
			}
			return "关注了公众号"
		case "unsubscribe":
			return "取消关注"
		case "click":
			return "点击菜单：" + d.EventKey
		case "scan":
			return "扫码：" + d.EventKey
		case "view":
			return "打开网页：" + d.EventKey
		}
		return "[" + d.Event + "]"
	case "news", "mpnews":
		var titles []string
		for _, a := range d.Articles {
			titles = append(titles, a.Title)
		}
		if len(titles) == 0 && d.Title != "" {
			titles = append(titles, d.Title)
		}
		return "[图文] " + strings.Join(titles, " / ")
	case "template":
		keys := make([]string, 0, len(d.TemplateData))
		for k := range d.TemplateData {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+": "+d.TemplateData[k])
		}
		return "[模板消息] " + strings.Join(parts, "；")
	case "image":
		return "[图片]"
	case "voice":
		return "[语音] " + d.Text
	case "video":
		return "[视频] " + d.Title
	case "music":
		return "[音乐] " + d.Title
	case "location":
		return "[位置] " + d.Text
	case "transfer_customer_service":
		return "[已转接客服]"
	}
	if d.Text != "" {
		return d.Text
	}
	return "[" + d.Kind + "]"
}

// BlockTemplates turns the fan's template messages off or on again
// (console.SimTemplates): the fake then reports template sends to them as
// "failed:user block", through the callback, as WeChat does.
func (m simulator) BlockTemplates(_ context.Context, openID string, block bool) error {
	return m.s.fake.BlockTemplates(sandboxAppID, openID, block)
}

// PageURL opens a fan page in the phone's frame through the fake WeChat's
// client, which makes the browser this fan's phone (console.SimBrowser).
func (m simulator) PageURL(openID, path string) string {
	return handlers.SandboxAPIPrefix + "/connect/oauth2/phone?" + url.Values{"openid": {openID}, "next": {path}}.Encode()
}

var _ console.SimBrowser = simulator{}

// The sandbox simulator offers the richer phone (menu bar, pictures, voice, locations, scans).
var _ console.SimPhone = simulator{}

// MediaFile is the bytes of a picture or voice note in a phone
// (console.SimMedia).
func (m simulator) MediaFile(mediaID string) (string, []byte, bool) {
	return m.s.fake.MediaFile(sandboxAppID, mediaID)
}

// Its phones show pictures and voice notes.
var _ console.SimMedia = simulator{}

// Its fans can turn template messages off.
var _ console.SimTemplates = simulator{}
