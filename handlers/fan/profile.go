// Package fan serves the web pages fans open from WeChat: the profile form
// (the link's secret token identifies the member) and the member centre
// (WeChat's web authorisation does: oauth.go). They never take a staff
// login, and their cookies never reach the console or the API.
package fan

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/templates"
)

// Handler serves the fan pages.
type Handler struct {
	Store *models.Store
	Log   *slog.Logger
	// Client runs the member centre and its sign-in (nil: the member
	// centre is not served).
	Client *roles.Client
	// OAuth is web authorisation; Key signs the fan session cookie
	// (SessionKey). Both are needed with Client.
	OAuth Authorizer
	Key   []byte
	// PublicURL is the public address (the 网页授权域名 is its host).
	PublicURL string
	// Sandbox: the simulator's phone (the fake WeChat's cookie) counts as
	// WeChat's browser, and the simulator may show the pages in a frame.
	Sandbox bool
	// Share serves tracked links and their share pages (share.go; nil:
	// not served).
	Share *Sharing

	profile    *template.Template
	memberPage *template.Template
	noticePage *template.Template
	// centrePages are the member centre's other pages (centre.go).
	centrePages *template.Template
	css         []byte
	memberCSS   []byte
}

// MaxBody bounds what a fan page accepts: the profile form is a few hundred
// bytes. Anything larger is refused with 413 before it is read, so posts
// of many megabytes cannot grow the process.
const MaxBody = 1 << 20

// Register adds GET and POST /profile/:token and the page's stylesheet,
// with the console's security headers (no framing, no sniffing, no inline
// or foreign scripts and styles) and the body limit.
func (h *Handler) Register(g *gin.RouterGroup) {
	h.profile = template.Must(templates.FanPage("profile"))
	css, err := templates.FanAsset("profile.css")
	if err != nil {
		panic(err) // embedded; cannot fail
	}
	h.css = css
	p := g.Group("", web.SecurityHeaders(), web.LimitBody(MaxBody))
	p.GET("/fan/profile.css", h.stylesheet)
	p.GET("/profile/:token", h.showProfile)
	p.POST("/profile/:token", h.saveProfile)
	if h.Client == nil || h.OAuth == nil || len(h.Key) == 0 {
		return
	}
	h.memberPage = template.Must(templates.FanPage("member"))
	h.noticePage = template.Must(templates.FanPage("notice"))
	if h.memberCSS, err = templates.FanAsset("member.css"); err != nil {
		panic(err) // embedded; cannot fail
	}
	m := g.Group("", web.SecurityHeaders(), h.memberHeaders(), web.LimitBody(MaxBody))
	m.GET("/fan/member.css", h.memberStylesheet)
	m.GET(MemberPath, h.showMember)
	m.POST(MemberPath+"/signin", h.signIn)
	m.GET("/fan/oauth", h.oauthReturn)
	h.centrePages = template.Must(templates.FanPage("centre"))
	m.GET(GiftsPath, h.showGifts)
	m.GET(GiftsPath+"/:id", h.confirmRedeem)
	m.POST(GiftsPath+"/:id", h.redeem)
	m.GET(CouponsPath+"/:id", h.showCoupon)
	m.GET(LeaderboardPath, h.showLeaderboard)
	m.GET(TopicsPath, h.showTopics)
	m.POST(TopicsPath+"/:id", h.enterTopic)
	m.GET(DrawsPath, h.showDraws)
	m.GET(DrawsPath+"/:id", h.confirmDraw)
	m.POST(DrawsPath+"/:id", h.enterDraw)
	m.GET(InvitePath, h.showInvite)
	m.GET(InvitePath+"/qr.png", h.inviteQR)
	h.registerShare(m)
}

// memberHeaders loosens the console's policy for the member pages in two
// ways only: WeChat avatars (its image hosts) may show, and in the sandbox
// the simulator may show the pages inside its phone (a frame on the same
// site). Elsewhere no one may frame them.
func (h *Handler) memberHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		hd := c.Writer.Header()
		csp := strings.Replace(hd.Get("Content-Security-Policy"), "img-src 'self' data:",
			"img-src 'self' data: https://thirdwx.qlogo.cn https://wx.qlogo.cn", 1)
		if h.Sandbox {
			hd.Set("X-Frame-Options", "SAMEORIGIN")
			csp = strings.Replace(csp, "frame-ancestors 'none'", "frame-ancestors 'self'", 1)
		}
		hd.Set("Content-Security-Policy", csp)
		c.Next()
	}
}

func (h *Handler) memberStylesheet(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "text/css; charset=utf-8", h.memberCSS)
}

type profileView struct {
	In      models.ProfileInput
	Error   string
	Saved   bool
	Expired bool // the link is past its expiry: say how to get a new one
}

func (h *Handler) stylesheet(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "text/css; charset=utf-8", h.css)
}

func (h *Handler) showProfile(c *gin.Context) {
	m, err := h.Store.MemberByProfileToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		h.fail(c, err)
		return
	}
	v := profileView{}
	if p, err := h.Store.Profile(c.Request.Context(), m.ID); err == nil && p != nil {
		v.In = models.ProfileInput{Name: p.Name, Birthday: p.Birthday, Region: p.Region, Phone: p.Phone, Interests: p.Interests, Consent: true}
	}
	h.render(c, http.StatusOK, v)
}

func (h *Handler) saveProfile(c *gin.Context) {
	m, err := h.Store.MemberByProfileToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		h.fail(c, err)
		return
	}
	// A chunked body gives no length up front: LimitBody cuts it, and
	// parsing fails here rather than reading on.
	if err := c.Request.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			c.Header("Connection", "close")
			c.Data(http.StatusRequestEntityTooLarge, "text/plain; charset=utf-8", []byte("提交的内容太大。"))
			return
		}
		h.render(c, http.StatusBadRequest, profileView{})
		return
	}
	in := models.ProfileInput{Name: c.PostForm("name"), Birthday: c.PostForm("birthday"), Region: c.PostForm("region"),
		Phone: c.PostForm("phone"), Interests: c.PostForm("interests"), Consent: c.PostForm("consent") == "yes"}
	if _, err := h.Store.SaveProfile(c.Request.Context(), m.ID, in); err != nil {
		if models.ErrorCode(err) != models.EINVALID {
			h.fail(c, err)
			return
		}
		// Keep what the fan typed, and say what is wrong.
		h.render(c, http.StatusBadRequest, profileView{In: in, Error: profileErrors[models.ErrorMessage(err)]})
		return
	}
	h.render(c, http.StatusOK, profileView{In: in, Saved: true})
}

// profileErrors are the fan-facing Chinese texts of validation errors.
var profileErrors = map[string]string{
	"please agree to how we keep your information": "请先勾选同意，我们才能保存您的资料。",
	"a field is too long":                          "有一项内容太长了，请精简后再保存。",
	"birthday must look like 1990-01-31":           "生日格式不正确。",
	"phone number looks wrong":                     "手机号格式不正确。",
}

func (h *Handler) render(c *gin.Context, status int, v profileView) {
	if v.Error == "" && status == http.StatusBadRequest {
		v.Error = "请检查填写的内容。"
	}
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	if err := h.profile.Execute(c.Writer, v); err != nil {
		h.Log.Error("render profile", "err", err)
	}
}

func (h *Handler) fail(c *gin.Context, err error) {
	if errors.Is(err, models.ErrProfileLinkExpired) {
		h.render(c, http.StatusGone, profileView{Expired: true})
		return
	}
	status := http.StatusInternalServerError
	msg := "服务暂时不可用，请稍后再试。"
	if models.ErrorCode(err) == models.ENOTFOUND {
		status, msg = http.StatusNotFound, "链接无效或已过期，请在公众号里回复“资料”获取新链接。"
	} else {
		h.Log.Error("profile page", "err", err)
	}
	c.Data(status, "text/plain; charset=utf-8", []byte(msg))
}
