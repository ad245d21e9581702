package console

import (
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// The media library (素材库, Center): every staff member browses it;
// marketers and admins upload, delete and sync.

// maxMaterial is the largest file the library takes (an image or video);
// MaxRequest leaves room for it and the form.
const maxMaterial = 10 << 20

const mediaPageSize = 48

func (h *Handler) registerMedia(a *gin.RouterGroup) {
	if h.Library == nil {
		return
	}
	a.GET("/media", h.mediaPage)
	a.GET("/media/:id/file", h.mediaFile)
	ed := a.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer))
	ed.POST("/media", h.mediaUpload)
	ed.POST("/media/:id/delete", h.mediaDelete)
	ed.POST("/media/sync", h.mediaSync)
}

type mediaData struct {
	Kind    string
	Tabs    []mediaTab
	Items   []mediaItem
	Total   int64
	Pager   pager
	CanEdit bool
	Sync    models.MaterialSync
	// Form is the upload form as submitted, after an error.
	Form    mediaForm
	Uploads []uploadOption // the kinds one can upload, in order
}

// mediaItem is a material as the grid shows it.
type mediaItem struct {
	models.Material
	SizeText string
}

// uploadOption is one kind in the upload form, with the limits the page
// checks before sending the file (the server checks again).
type uploadOption struct {
	Kind    string
	Max     int64
	MaxText string
	Exts    string // comma-separated, lower case
}

type mediaTab struct {
	Kind  string
	Count int64
}

type mediaForm struct{ Kind, Title, Description string }

// mediaPage lists one kind of material, with counts per kind, the sync
// state and (for editors) the upload form.
func (h *Handler) mediaPage(c *gin.Context) {
	h.mediaList(c, http.StatusOK, mediaForm{Kind: c.Query("kind")}, nil)
}

func (h *Handler) mediaList(c *gin.Context, status int, form mediaForm, formErr error) {
	ctx := c.Request.Context()
	kind := c.Query("kind")
	if kind == "" {
		kind = form.Kind
	}
	if _, ok := models.UploadLimits[kind]; !ok && kind != models.MaterialNews {
		kind = models.MaterialImage
	}
	if _, ok := models.UploadLimits[form.Kind]; !ok {
		form.Kind = kind
		if kind == models.MaterialNews {
			form.Kind = models.MaterialImage
		}
	}
	st := web.CurrentStaff(c)
	d := mediaData{Kind: kind, Form: form, CanEdit: st.Role == models.RoleAdmin || st.Role == models.RoleMarketer}
	for _, k := range []string{models.MaterialImage, models.MaterialVoice, models.MaterialVideo, models.MaterialThumb} {
		lim := models.UploadLimits[k]
		d.Uploads = append(d.Uploads, uploadOption{Kind: k, Max: lim.MaxBytes, MaxText: models.FormatBytes(lim.MaxBytes), Exts: strings.Join(lim.Exts, ",")})
	}
	counts, err := h.Store.MaterialCounts(ctx)
	if err != nil {
		web.Error(c, err)
		return
	}
	for _, k := range models.MaterialKinds {
		d.Tabs = append(d.Tabs, mediaTab{Kind: k, Count: counts[k]})
	}
	page := pageParam(c)
	list, err := h.Store.Materials(ctx, kind, (page-1)*mediaPageSize, mediaPageSize)
	if err != nil {
		web.Error(c, err)
		return
	}
	d.Total = list.Total
	for _, m := range list.Items {
		it := mediaItem{Material: m}
		if m.Size > 0 {
			it.SizeText = models.FormatBytes(m.Size)
		}
		d.Items = append(d.Items, it)
	}
	u := *c.Request.URL
	q := u.Query()
	q.Set("kind", kind)
	u.RawQuery = q.Encode()
	d.Pager = newPager(&u, page, list.Total)
	d.Pager.Pages = int((list.Total + mediaPageSize - 1) / mediaPageSize)
	if page >= d.Pager.Pages {
		d.Pager.Next = ""
	}
	if d.Sync, err = h.Store.MaterialSyncState(ctx); err != nil {
		web.Error(c, err)
		return
	}
	if d.Sync.Error != "" {
		d.Sync.Error = h.translateMessage(h.lang(c), d.Sync.Error)
	}
	p := h.page(c, "media", "media.title", d)
	switch k := c.Query("done"); k {
	case "media.uploaded", "media.deleted", "media.sync_started":
		p.Flash = k
	}
	if formErr != nil {
		p.Error = h.errFor(c, formErr)
	}
	h.render(c, status, "media", p)
}

// mediaFile serves a kept file: the library's thumbnails and players.
func (h *Handler) mediaFile(c *gin.Context) {
	id, _ := strconv.ParseUint(c.Param("id"), 10, 64)
	m, f, err := h.Library.File(c.Request.Context(), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	defer f.Close()
	c.Header("Cache-Control", "private, max-age=86400")
	c.Header("Content-Disposition", "inline; filename*=UTF-8''"+url.PathEscape(m.Name))
	c.DataFromReader(http.StatusOK, f.Size, m.ContentType, f, nil)
}

// mediaUpload checks the file and sends it to WeChat; any refusal shows
// the form again with the reason in words.
func (h *Handler) mediaUpload(c *gin.Context) {
	form := mediaForm{Kind: c.PostForm("kind"), Title: limited(c.PostForm("title"), 64), Description: limited(c.PostForm("description"), 120)}
	up := roles.Upload{Kind: form.Kind, Title: form.Title, Description: form.Description, By: web.CurrentStaff(c).ID}
	fh, err := c.FormFile("file")
	if err == nil {
		up.FileName = fh.Filename
		up.Data, err = readUpload(fh)
	} else {
		err = nil // no file: CheckUpload says "choose a file"
	}
	var m *models.Material
	if err == nil {
		m, err = h.Library.Upload(c.Request.Context(), up)
	}
	if err != nil {
		switch models.ErrorCode(err) {
		case models.EINVALID, models.EUPSTREAM, models.ECONFLICT:
			h.mediaList(c, web.Status(models.ErrorCode(err)), form, err)
		default:
			web.Error(c, err)
		}
		return
	}
	web.Audit(c, h.Store, "material.upload", m.Name, m.Kind+" "+m.MediaID)
	c.Redirect(http.StatusSeeOther, Base+"/media?kind="+m.Kind+"&done=media.uploaded")
}

// readUpload reads an uploaded file (MaxRequest bounds its size; the check
// against its kind's limit follows in the library).
func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxRequest))
}

// mediaDelete deletes a material on WeChat and here.
func (h *Handler) mediaDelete(c *gin.Context) {
	id, _ := strconv.ParseUint(c.Param("id"), 10, 64)
	m, err := h.Library.Delete(c.Request.Context(), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "material.delete", m.Name, m.Kind+" "+m.MediaID)
	c.Redirect(http.StatusSeeOther, Base+"/media?kind="+m.Kind+"&done=media.deleted")
}

// mediaSync asks for a sync from WeChat (the material-sync job runs it).
func (h *Handler) mediaSync(c *gin.Context) {
	if err := h.Library.StartSync(c.Request.Context()); err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "material.sync", "", "")
	c.Redirect(http.StatusSeeOther, Base+"/media?kind="+url.QueryEscape(c.PostForm("kind"))+"&done=media.sync_started")
}
