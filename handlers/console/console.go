// Package console serves the staff web console under /console: login, the
// member list and conversations, staff administration, the audit log, API
// tokens and, in sandbox mode, the fan simulator. Pages are rendered from
// templates/ and refreshed with htmx.
package console

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/settings"
	"github.com/fivec/fivec/templates"
	"github.com/fivec/fivec/wechat"
)

// Base is where handlers.Server mounts the console; templates link to it.
const Base = "/console"

// LangCookie remembers the language chosen on the login page and copies a
// staff member's choice for after logout.
const LangCookie = "fivec_lang"

// Simulator is the fan side of the sandbox's fake WeChat platform. Actions
// return an error only when they could not be simulated; a server failure
// that the fan sees as a notice in the inbox is not an error.
type Simulator interface {
	Follow(ctx context.Context, openID, scene string) error
	Unfollow(ctx context.Context, openID string) error
	SendText(ctx context.Context, openID, text string) error
	Click(ctx context.Context, openID, key string) error
	// Inbox is what the fan's phone shows, oldest first.
	Inbox(openID string) []SimMessage
	Fans() []SimFan
}

// SimMessage is one entry of a fan's phone: the fan's own message, or a
// reply, customer-service, template or mass message from the account.
type SimMessage struct {
	At      time.Time
	FromFan bool
	Kind    string // text, image, news, template, event…
	Text    string
	Source  string // fan, passive, custom, template, mass, platform…
	// Articles are a news (图文) message's cards.
	Articles []SimArticle
	MediaID  string // an image or voice message's media id
	// File is the picture's or voice note's address in the console, when
	// the Simulator holds its bytes (SimMedia); Playable: a voice note the
	// browser can play (mp3).
	File     string
	Playable bool
}

// SimMedia is a Simulator that holds the bytes of the pictures and voice
// notes in its phones, so the phone shows them.
type SimMedia interface {
	MediaFile(mediaID string) (name string, data []byte, ok bool)
}

// SimArticle is one card of a news (图文) message.
type SimArticle struct {
	Title, Description, PicURL, URL string
}

// LocalPic: the picture is served by fivec itself. The console's CSP
// allows images from its own origin only, so other pictures show as a
// placeholder (with the URL as its title).
func (a SimArticle) LocalPic() bool {
	return strings.HasPrefix(a.PicURL, "/") && !strings.HasPrefix(a.PicURL, "//")
}

// SimPhone is what a Simulator may offer beyond text and clicks: the
// published custom menu, QR scans, pictures, voice notes, locations and
// view-button taps. The simulator page shows these tools only when the
// Simulator implements it.
type SimPhone interface {
	// Menu is the account's published custom menu (nil: none).
	Menu() []SimButton
	Scan(ctx context.Context, openID, scene string) error
	View(ctx context.Context, openID, url string) error
	// SendImage and SendVoice send the picked file (its name and bytes,
	// which the platform keeps for media/get) and return the media id the
	// platform issued.
	SendImage(ctx context.Context, openID, name string, data []byte) (string, error)
	SendVoice(ctx context.Context, openID, format, name string, data []byte) (string, error)
	SendLocation(ctx context.Context, openID string, lat, lng float64, label string) error
}

// SimBrowser is a Simulator whose phone can open fivec's fan pages as its
// fan: PageURL is the address to show in the phone's frame for the page at
// path (the fake WeChat's client, which then authorises as that fan).
type SimBrowser interface {
	PageURL(openID, path string) string
}

// SimButton is a button of the custom menu as the phone draws it.
type SimButton struct {
	Type, Name, Key, URL string
	Sub                  []SimButton
}

// SimFan is a fan known to the simulator.
type SimFan struct {
	OpenID     string
	Subscribed bool
	// BlocksTemplates: the fan turned the account's template messages off.
	BlocksTemplates bool
}

// SimTemplates is a Simulator whose fans can turn the account's template
// messages off and on again, as in WeChat: the platform then accepts a
// template send but never shows it, and reports it as not delivered
// (TEMPLATESENDJOBFINISH "failed:user block").
type SimTemplates interface {
	BlockTemplates(ctx context.Context, openID string, block bool) error
}

// Handler serves the console. Store is required; the rest have defaults.
type Handler struct {
	Store *models.Store
	Log   *slog.Logger
	// Loc is the account time zone for every time shown (Asia/Shanghai
	// when nil).
	Loc *time.Location
	Now func() time.Time
	// Sim is the fan simulator; nil outside sandbox mode.
	Sim Simulator
	// LoginPolicy limits failed logins (models.DefaultLoginPolicy when
	// zero).
	LoginPolicy models.LoginPolicy
	// Closing is closed when the server starts shutting down: open event
	// streams end at once instead of holding Shutdown until its timeout
	// (nil: streams end only when the client goes or streamLife passes).
	Closing <-chan struct{}
	// Pages renders the templates (built from Loc when nil).
	Pages *templates.Renderer
	// Consulting is the rules engine (rules, tester, import/export).
	Consulting *roles.Consulting
	// Service is Close Service (the staff inbox).
	Service *roles.Service
	// WX talks to WeChat (menu publishing, channel QR codes).
	WX *wechat.Client
	// MaxPermanentQR caps permanent channel codes (models.MaxPermanentQR,
	// the platform's limit, when 0).
	MaxPermanentQR int64
	// Policy is the account's broadcast configuration; Mass sends
	// broadcast previews (nil: previews are refused).
	Policy models.BroadcastPolicy
	Mass   *wechat.Mass
	// Library is the media library (素材库); nil: the page is not offered.
	Library *roles.Library
	// Drafts are the 图文 drafts (草稿箱) and publishing; nil: not offered.
	Drafts *roles.Drafts
	// FanFiles serves the files fans sent and the pictures sent to them
	// (nil: bubbles show text only).
	FanFiles *roles.FanFiles
	// Live holds the settings an admin changes on the settings page (nil:
	// no settings page).
	Live *settings.Live
	// PublicURL is where fans open fivec's pages; FanPages are the pages
	// (their paths, and their names' catalogue keys menu.fan_pages.NAME)
	// a menu's view button can be pointed at by picking one.
	PublicURL string
	FanPages  []FanPage
}

// FanPage is a page fans open that the menu editor offers.
type FanPage struct {
	Path string // e.g. /fan/me
	Name string // its label is menu.fan_pages.<Name>
}

// Register adds the console routes to g (mounted at Base).
func (h *Handler) Register(g *gin.RouterGroup) {
	h.defaults()
	g.Use(web.SecurityHeaders(), web.Errors(h.Log, h.errorPage), web.LimitBody(MaxRequest))
	g.GET("/static/*filepath", h.static)
	g.GET("/login", h.loginForm)
	g.POST("/login", web.LimitBody(MaxLoginRequest), h.login)

	a := g.Group("", web.SessionAuth(h.Store, Base+"/login"), web.CSRF(),
		web.RequireRole(models.RoleAdmin, models.RoleAgent, models.RoleMarketer))
	a.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, homePath(web.CurrentStaff(c).Role)) })
	a.POST("/logout", h.logout)
	a.POST("/lang", h.setLang)
	a.GET("/members", h.members)
	a.GET("/members/:openid", h.member)
	a.GET("/tokens", h.tokens)
	a.POST("/tokens", h.createToken)
	a.POST("/tokens/:id/delete", h.deleteToken)
	h.registerInbox(a)
	h.registerRules(a)
	h.registerCRM(a)
	h.registerShares(a)
	h.registerReports(a)
	h.registerBroadcasts(a)
	h.registerCare(a)
	h.registerMedia(a)
	h.registerNews(a)
	h.registerFanFiles(a)
	if h.Sim != nil {
		h.registerSimulator(a)
	}

	admin := a.Group("", web.RequireRole(models.RoleAdmin))
	admin.GET("/staff", h.staffList)
	admin.POST("/staff", h.createStaff)
	admin.POST("/staff/:id/:action", h.updateStaff)
	admin.GET("/audit", h.audit)
	h.registerRights(admin)
	if h.Live != nil {
		admin.GET("/settings", h.settingsView)
		admin.POST("/settings", h.settingsSave)
		admin.POST("/settings/:key/reset", h.settingsReset)
	}
}

func (h *Handler) defaults() {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	if h.Now == nil {
		h.Now = time.Now
	}
	if h.Loc == nil {
		h.Loc = web.DefaultLoc()
	}
	if h.LoginPolicy == (models.LoginPolicy{}) {
		h.LoginPolicy = models.DefaultLoginPolicy
	}
	if h.Pages == nil {
		pages, err := templates.New(h.Loc)
		if err != nil {
			panic(err) // embedded templates: a broken one fails every test
		}
		h.Pages = pages
	}
}

// lang is the staff member's language, else the login page's choice, else
// the default.
func (h *Handler) lang(c *gin.Context) string {
	if st := web.CurrentStaff(c); st != nil && templates.SupportedLang(st.Lang) {
		return st.Lang
	}
	if v, err := c.Cookie(LangCookie); err == nil && templates.SupportedLang(v) {
		return v
	}
	return templates.DefaultLang
}

// page fills the layout's fields for the current request.
func (h *Handler) page(c *gin.Context, nav, title string, data any) templates.Page {
	p := templates.Page{Title: title, Nav: nav, Lang: h.lang(c), Sandbox: h.Sim != nil, Data: data}
	if st := web.CurrentStaff(c); st != nil {
		name := st.DisplayName
		if name == "" {
			name = st.Username
		}
		p.User = &templates.User{Name: name, Role: st.Role, Admin: st.Role == models.RoleAdmin}
	}
	if s := web.CurrentSession(c); s != nil {
		p.CSRF = s.CSRFToken
	}
	if k := c.Query("ok"); validFlash(k) {
		p.Flash = k
	}
	return p
}

// validFlash limits ?ok= to notices the console itself redirects with.
func validFlash(k string) bool {
	switch k {
	case "staff.created", "staff.updated", "staff.unlocked", "tokens.revoked", "lang.changed", "sim.followed", "sim.unfollowed",
		"settings.saved", "settings.reset_done", "rights.erased":
		return true
	}
	return false
}

// render writes a full page. Pages hold personal data and CSRF tokens, so
// nothing is cached.
func (h *Handler) render(c *gin.Context, status int, name string, p templates.Page) {
	var buf bytes.Buffer
	if err := h.Pages.Render(&buf, p.Lang, name, p); err != nil {
		h.Log.Error("render page", "page", name, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// errorPage is the console's web.ErrorPage.
func (h *Handler) errorPage(c *gin.Context, status int, code, message string) {
	p := h.page(c, "", "error."+code, nil)
	if code == models.EINTERNAL {
		message = h.Pages.T(p.Lang, "error.internal_message")
	} else {
		message = h.translateMessage(p.Lang, message)
	}
	p.Data = struct {
		Status        int
		Code, Message string
	}{status, code, message}
	h.render(c, status, "error", p)
}

// static serves the embedded CSS and scripts (never a directory listing).
func (h *Handler) static(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("filepath"), "/")
	if fi, err := fs.Stat(templates.Static(), name); err != nil || fi.IsDir() || !fs.ValidPath(name) {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=3600")
	http.ServeFileFS(c.Writer, c.Request, templates.Static(), name)
}

// redirect answers a form post with 303 See Other, so a reload does not
// repeat it; ok names the notice to show.
func redirect(c *gin.Context, path, ok string) {
	if u, err := url.Parse(path); err == nil && ok != "" {
		q := u.Query()
		q.Set("ok", ok)
		u.RawQuery = q.Encode()
		path = u.String()
	}
	c.Redirect(http.StatusSeeOther, path)
}

// localPath returns raw when it is a path inside the console, else
// fallback: redirect targets from forms and Referer must not leave the site.
func localPath(raw, fallback string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil ||
		!strings.HasPrefix(u.Path, Base+"/") || strings.HasPrefix(u.Path, "//") || strings.Contains(u.Path, `\`) {
		return fallback
	}
	return u.RequestURI()
}
