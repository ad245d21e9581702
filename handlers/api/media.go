package api

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// MaxMaterialBody bounds an upload to the media library: the largest
// material (10 MB) and its form.
const MaxMaterialBody = 11 << 20

func (h *Handler) registerMedia(g, ed *gin.RouterGroup) {
	if h.Library == nil {
		return
	}
	g.GET("/materials", h.materials)
	g.GET("/materials/:id", h.material)
	g.GET("/materials/:id/file", h.materialFile)
	g.GET("/materials/sync", h.materialSyncStatus)
	ed.POST("/materials", h.uploadMaterial)
	ed.DELETE("/materials/:id", h.deleteMaterial)
	ed.POST("/materials/sync", h.materialSyncStart)
}

// Material is a media library entry as the API shows it.
type Material struct {
	ID           uint64    `json:"id"`
	MediaID      string    `json:"media_id"`
	Kind         string    `json:"kind"`
	Name         string    `json:"name"`
	Title        string    `json:"title,omitempty"`
	Description  string    `json:"description,omitempty"`
	URL          string    `json:"url,omitempty"`
	ContentType  string    `json:"content_type,omitempty"`
	Size         int64     `json:"size,omitempty"`
	ThumbMediaID string    `json:"thumb_media_id,omitempty"`
	HasFile      bool      `json:"has_file"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func materialOut(m *models.Material) Material {
	return Material{ID: m.ID, MediaID: m.MediaID, Kind: m.Kind, Name: m.Name, Title: m.Title, Description: m.Description,
		URL: m.URL, ContentType: m.ContentType, Size: m.Size, ThumbMediaID: m.ThumbMediaID, HasFile: m.FileKey != "",
		UpdatedAt: m.WeChatUpdatedAt}
}

// MaterialList is one page of one kind, with the counts of every kind.
type MaterialList struct {
	Items  []Material       `json:"items"`
	Total  int64            `json:"total"`
	Counts map[string]int64 `json:"counts"`
}

// materials lists ?kind= (image by default), newest first.
func (h *Handler) materials(c *gin.Context) {
	kind := c.DefaultQuery("kind", models.MaterialImage)
	if _, ok := models.UploadLimits[kind]; !ok && kind != models.MaterialNews {
		web.Errorf(c, models.EINVALID, "kind must be image, voice, video, thumb or news")
		return
	}
	limit, offset, err := paging(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	ctx := c.Request.Context()
	page, err := h.Store.Materials(ctx, kind, offset, limit)
	if err != nil {
		web.Error(c, err)
		return
	}
	out := MaterialList{Items: make([]Material, 0, len(page.Items)), Total: page.Total}
	for i := range page.Items {
		out.Items = append(out.Items, materialOut(&page.Items[i]))
	}
	out.Counts, err = h.Store.MaterialCounts(ctx)
	respond(c, out, err)
}

func (h *Handler) material(c *gin.Context) {
	respondOne(c, h.Store.Material, func(m *models.Material) (Material, error) { return materialOut(m), nil })
}

// materialFile downloads the kept file.
func (h *Handler) materialFile(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	m, f, err := h.Library.File(c.Request.Context(), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	defer f.Close()
	c.DataFromReader(http.StatusOK, f.Size, m.ContentType, f, map[string]string{"Content-Disposition": "attachment"})
}

// uploadMaterial takes multipart/form-data: kind, file, and for a video
// title and description. Limits are checked before WeChat is called.
func (h *Handler) uploadMaterial(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxMaterialBody)
	fh, err := c.FormFile("file")
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		web.Errorf(c, models.EINVALID, "the upload is over %s; a material is at most 10 MB", models.FormatBytes(MaxMaterialBody))
		return
	}
	up := roles.Upload{Kind: c.PostForm("kind"), Title: c.PostForm("title"), Description: c.PostForm("description"), By: web.CurrentStaff(c).ID}
	if err == nil {
		up.FileName = fh.Filename
		f, err := fh.Open()
		if err != nil {
			web.Error(c, err)
			return
		}
		up.Data, err = io.ReadAll(f)
		f.Close()
		if err != nil {
			web.Error(c, err)
			return
		}
	}
	m, err := h.Library.Upload(c.Request.Context(), up)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "material.upload", m.Name, m.Kind+" "+m.MediaID+" via API")
	c.JSON(http.StatusCreated, materialOut(m))
}

func (h *Handler) deleteMaterial(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	m, err := h.Library.Delete(c.Request.Context(), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "material.delete", m.Name, m.Kind+" "+m.MediaID+" via API")
	c.Status(http.StatusNoContent)
}

// MaterialSync is the library sync's progress.
type MaterialSync struct {
	Running    bool       `json:"running"`
	Done       int        `json:"done"`
	Total      int        `json:"total"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
}

func materialSyncOut(st models.MaterialSync) MaterialSync {
	return MaterialSync{Running: st.Running, Done: st.Done, Total: st.Total,
		StartedAt: timeOrNil(st.StartedAt), FinishedAt: timeOrNil(st.FinishedAt), Error: st.Error}
}

func (h *Handler) materialSyncStatus(c *gin.Context) {
	st, err := h.Store.MaterialSyncState(c.Request.Context())
	respond(c, materialSyncOut(st), err)
}

// materialSyncStart asks for a sync from WeChat: 202 with the progress,
// 409 while one runs.
func (h *Handler) materialSyncStart(c *gin.Context) {
	if err := h.Library.StartSync(c.Request.Context()); err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "material.sync", "", "via API")
	st, err := h.Store.MaterialSyncState(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusAccepted, materialSyncOut(st))
}
