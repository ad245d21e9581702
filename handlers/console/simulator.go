package console

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
)

// openIDPattern is what the simulator accepts as a fan's openid.
var openIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (h *Handler) registerSimulator(a *gin.RouterGroup) {
	a.GET("/simulator", h.simPage)
	a.GET("/simulator/inbox", h.simInbox)
	a.GET("/simulator/media/:id", h.simMedia)
	a.POST("/simulator/fans", h.simNewFan)
	a.POST("/simulator/:action", h.simAct)
}

type simData struct {
	Fans       []SimFan
	OpenID     string
	Subscribed bool
	Inbox      []SimMessage // newest first: the phone stacks from the bottom
	// Phone: the simulator draws the menu bar and offers pictures, voice,
	// locations and QR scans (SimPhone); Menu is the published menu and
	// Channels the QR channels a fan may scan.
	Phone    bool
	Menu     []SimButton
	Channels []models.Channel
	// Templates: the fan can turn template messages off (SimTemplates);
	// BlocksTemplates says whether they have.
	Templates, BlocksTemplates bool
	// Web is the fan page the phone shows (its frame's address), opened
	// from a view button; "" shows the chat.
	Web string
	// Shareable: Web is a tracked link's page, which the fan may "share"
	// to another simulated fan (sim_share.go).
	Shareable bool
}

// simData gathers what the page shows; the fan list only for a whole page,
// as the polled phone screen does not show it.
func (h *Handler) simData(openID string, withFans bool) simData {
	d := simData{OpenID: openID}
	if withFans {
		d.Fans = h.Sim.Fans()
	}
	for _, f := range d.Fans {
		if f.OpenID == openID {
			d.Subscribed, d.BlocksTemplates = f.Subscribed, f.BlocksTemplates
		}
	}
	_, d.Templates = h.Sim.(SimTemplates)
	if openID != "" {
		in := h.Sim.Inbox(openID)
		d.Inbox = make([]SimMessage, len(in))
		sm, files := h.Sim.(SimMedia)
		for i, m := range in {
			if files && m.MediaID != "" && (m.Kind == "image" || m.Kind == "voice") {
				if name, _, ok := sm.MediaFile(m.MediaID); ok {
					m.File = Base + "/simulator/media/" + url.PathEscape(m.MediaID)
					m.Playable = strings.HasSuffix(strings.ToLower(name), ".mp3")
				}
			}
			d.Inbox[len(in)-1-i] = m
		}
	}
	return d
}

// simPage shows the fan list and the chosen fan's phone.
func (h *Handler) simPage(c *gin.Context) {
	openID := c.Query("openid")
	if !openIDPattern.MatchString(openID) {
		openID = ""
	}
	d := h.simData(openID, true)
	if p, ok := h.Sim.(SimPhone); ok {
		d.Phone, d.Menu = true, p.Menu()
		var err error
		if d.Channels, err = h.Store.ListChannels(c.Request.Context()); err != nil {
			web.Error(c, err)
			return
		}
	}
	if path := h.fanPagePath(c.Query("page")); path != "" && openID != "" {
		if b, ok := h.Sim.(SimBrowser); ok {
			d.Web = b.PageURL(openID, path)
			d.Shareable = isSharePath(path)
		}
	}
	h.render(c, http.StatusOK, "simulator", h.page(c, "simulator", "sim.title", d))
}

// fanPagePath is the path of address when it is one of fivec's fan pages
// (on any host: the phone opens it on this site), else "".
func (h *Handler) fanPagePath(address string) string {
	u, err := url.Parse(address)
	if err != nil || address == "" {
		return ""
	}
	for _, p := range h.FanPages {
		if u.Path == p.Path {
			return u.RequestURI()
		}
	}
	if isSharePath(u.Path) {
		return u.RequestURI()
	}
	return ""
}

// simInbox is the phone's screen for htmx polling: 204 (nothing to swap)
// while the inbox still has the n messages the browser shows.
func (h *Handler) simInbox(c *gin.Context) {
	openID := c.Query("openid")
	if !openIDPattern.MatchString(openID) {
		web.Errorf(c, models.EINVALID, "bad openid")
		return
	}
	d := h.simData(openID, false)
	if n, err := strconv.Atoi(c.Query("n")); err == nil && n == len(d.Inbox) {
		c.Status(http.StatusNoContent)
		return
	}
	h.renderInbox(c, d)
}

func (h *Handler) renderInbox(c *gin.Context, d simData) {
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := h.Pages.RenderBlock(c.Writer, h.lang(c), "simulator", "inbox", d); err != nil {
		h.Log.Error("render inbox", "err", err)
	}
}

// simNewFan picks a fan by openid, making one up when none is given. The
// fan exists on the platform from its first action.
func (h *Handler) simNewFan(c *gin.Context) {
	openID := strings.TrimSpace(c.PostForm("openid"))
	if openID == "" {
		openID = "oSIM" + models.RandomToken(18)
	}
	if !openIDPattern.MatchString(openID) {
		web.Errorf(c, models.EINVALID, "an openid is 1-64 letters, digits, '_' or '-'")
		return
	}
	c.Redirect(http.StatusSeeOther, Base+"/simulator?openid="+openID)
}

// simAct performs one fan action. htmx gets the refreshed phone screen;
// a plain form post is redirected back to the simulator.
func (h *Handler) simAct(c *gin.Context) {
	openID, ctx := c.PostForm("openid"), c.Request.Context()
	if !openIDPattern.MatchString(openID) {
		web.Errorf(c, models.EINVALID, "bad openid")
		return
	}
	var err error
	flash := ""
	switch c.Param("action") {
	case "follow":
		err, flash = h.Sim.Follow(ctx, openID, limited(c.PostForm("scene"), 64)), "sim.followed"
	case "unfollow":
		err, flash = h.Sim.Unfollow(ctx, openID), "sim.unfollowed"
	case "text":
		if err = required(c.PostForm("text")); err == nil {
			err = h.Sim.SendText(ctx, openID, limited(c.PostForm("text"), 2000))
		}
	case "click":
		if err = required(c.PostForm("key")); err == nil {
			err = h.Sim.Click(ctx, openID, limited(c.PostForm("key"), 128))
		}
	case "templates": // the fan turns the account's template messages off or on
		st, ok := h.Sim.(SimTemplates)
		if !ok {
			web.Errorf(c, models.ENOTFOUND, "unknown simulator action")
			return
		}
		block := c.PostForm("block") == "1"
		err, flash = st.BlockTemplates(ctx, openID, block), "sim.templates_on"
		if block {
			flash = "sim.templates_off"
		}
	default:
		p, ok := h.Sim.(SimPhone)
		if !ok {
			web.Errorf(c, models.ENOTFOUND, "unknown simulator action")
			return
		}
		var found bool
		if found, err = h.simPhoneAct(c, p, openID); !found {
			web.Errorf(c, models.ENOTFOUND, "unknown simulator action")
			return
		}
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	// A view button that opens a fan page: the phone shows the page.
	if _, ok := h.Sim.(SimBrowser); ok && c.Param("action") == "menu" && h.fanPagePath(c.PostForm("url")) != "" {
		to := Base + "/simulator?openid=" + url.QueryEscape(openID) + "&page=" + url.QueryEscape(c.PostForm("url"))
		if c.GetHeader("HX-Request") == "true" {
			c.Header("HX-Redirect", to)
			c.Status(http.StatusNoContent)
			return
		}
		c.Redirect(http.StatusSeeOther, to)
		return
	}
	if c.GetHeader("HX-Request") == "true" {
		h.renderInbox(c, h.simData(openID, false))
		return
	}
	redirect(c, Base+"/simulator?openid="+openID, flash)
}

func required(s string) error {
	if strings.TrimSpace(s) == "" {
		return models.Errorf(models.EINVALID, "nothing to send")
	}
	return nil
}

// limited trims s and cuts it to n characters.
func limited(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n])
	}
	return s
}

// Upload limits of WeChat's temporary media (wechat-platform.md §10).
const (
	maxSimImage = 8 << 20 // WeChat takes 10 MB; the console reads at most MaxRequest
	maxSimVoice = 2 << 20
)

// simPhoneAct performs the richer phone's actions: a view-menu tap, a QR
// scan, a picture, a voice note, a location. found is false for an unknown
// action.
func (h *Handler) simPhoneAct(c *gin.Context, p SimPhone, openID string) (found bool, err error) {
	ctx := c.Request.Context()
	switch c.Param("action") {
	case "menu": // a menu button: view buttons send their url, the others their key
		if u := c.PostForm("url"); u != "" {
			err = p.View(ctx, openID, limited(u, 1024))
		} else if err = required(c.PostForm("key")); err == nil {
			err = h.Sim.Click(ctx, openID, limited(c.PostForm("key"), 128))
		}
	case "scan":
		if err = required(c.PostForm("scene")); err == nil {
			err = p.Scan(ctx, openID, limited(c.PostForm("scene"), 64))
		}
	case "image":
		var name string
		var data []byte
		if name, data, err = simUpload(c, "file", maxSimImage, ".jpg", ".jpeg", ".png", ".gif", ".bmp"); err == nil {
			_, err = p.SendImage(ctx, openID, name, data)
		}
	case "voice":
		var name string
		var data []byte
		if name, data, err = simUpload(c, "file", maxSimVoice, ".amr", ".mp3"); err == nil {
			_, err = p.SendVoice(ctx, openID, voiceFormat(c), name, data)
		}
	case "location":
		lat, err1 := strconv.ParseFloat(strings.TrimSpace(c.PostForm("lat")), 64)
		lng, err2 := strconv.ParseFloat(strings.TrimSpace(c.PostForm("lng")), 64)
		if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lng < -180 || lng > 180 {
			return true, models.Errorf(models.EINVALID, "a location needs a latitude (-90…90) and a longitude (-180…180)")
		}
		err = p.SendLocation(ctx, openID, lat, lng, limited(c.PostForm("label"), 100))
	default:
		return false, nil
	}
	return true, err
}

// simUpload checks the fan's file as WeChat would (present, not too big,
// of an accepted type) and reads it: its name and bytes.
func simUpload(c *gin.Context, field string, max int64, exts ...string) (string, []byte, error) {
	f, err := c.FormFile(field)
	if err != nil || f.Size == 0 {
		return "", nil, models.Errorf(models.EINVALID, "choose a file to send")
	}
	if f.Size > max {
		return "", nil, models.Errorf(models.EINVALID, "the file is larger than WeChat takes (%d MB)", max>>20)
	}
	name := strings.ToLower(f.Filename)
	ok := false
	for _, e := range exts {
		ok = ok || strings.HasSuffix(name, e)
	}
	if !ok {
		return "", nil, models.Errorf(models.EINVALID, "WeChat takes %s files here", strings.Join(exts, ", "))
	}
	r, err := f.Open()
	if err != nil {
		return "", nil, fmt.Errorf("read the upload: %w", err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, max))
	if err != nil {
		return "", nil, fmt.Errorf("read the upload: %w", err)
	}
	return path.Base(strings.ReplaceAll(f.Filename, "\\", "/")), data, nil
}

// voiceFormat is the uploaded voice note's format (amr or mp3).
func voiceFormat(c *gin.Context) string {
	if f, err := c.FormFile("file"); err == nil && strings.HasSuffix(strings.ToLower(f.Filename), ".mp3") {
		return "mp3"
	}
	return "amr"
}

// simMedia serves a picture or voice note of the simulator's phones.
func (h *Handler) simMedia(c *gin.Context) {
	sm, ok := h.Sim.(SimMedia)
	if !ok {
		web.Errorf(c, models.ENOTFOUND, "file: not found")
		return
	}
	name, data, ok := sm.MediaFile(c.Param("id"))
	if !ok {
		web.Errorf(c, models.ENOTFOUND, "file: not found")
		return
	}
	ctype := mime.TypeByExtension(strings.ToLower(path.Ext(name)))
	if ctype == "" || !strings.HasPrefix(ctype, "image/") && ctype != "audio/mpeg" {
		ctype = http.DetectContentType(data)
	}
	disposition := "inline"
	if strings.HasSuffix(strings.ToLower(name), ".amr") {
		ctype, disposition = "audio/amr", "attachment"
	}
	c.Header("Cache-Control", "private, max-age=86400")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Disposition", disposition+"; filename*=UTF-8''"+url.PathEscape(path.Base(name)))
	c.Data(http.StatusOK, ctype, data)
}
