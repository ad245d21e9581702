// Package fan serves the few web pages fans open from WeChat (the profile
// form). They need no staff login: the link's secret token identifies the
// member.
package fan

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/templates"
)

// Handler serves the fan pages.
type Handler struct {
	Store   *models.Store
	Log     *slog.Logger
	profile *template.Template
	css     []byte
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
