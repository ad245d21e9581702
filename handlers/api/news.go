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
	"github.com/fivec/fivec/wechat"
)

// 图文 drafts and publishing: the console's actions as JSON, through the
// same role methods (roles.Drafts).

func (h *Handler) registerNews(g, ed *gin.RouterGroup) {
	if h.Drafts == nil {
		return
	}
	g.GET("/news/drafts", h.newsDrafts)
	g.GET("/news/drafts/:id", h.newsDraft)
	ed.POST("/news/drafts", h.saveNewsDraft)
	ed.PUT("/news/drafts/:id", h.saveNewsDraft)
	ed.DELETE("/news/drafts/:id", h.deleteNewsDraft)
	ed.POST("/news/drafts/:id/publish", h.publishNewsDraft)
	ed.POST("/news/drafts/:id/preview", h.previewNewsDraft)
	ed.POST("/news/images", h.uploadNewsImage)
}

// NewsArticle is one article of a draft, in and out.
type NewsArticle struct {
	Title           string `json:"title"`
	Author          string `json:"author"`
	Digest          string `json:"digest"`
	CoverMediaID    string `json:"cover_media_id"`
	Content         string `json:"content"`
	SourceURL       string `json:"source_url"`
	OpenComment     bool   `json:"open_comment"`
	FansOnlyComment bool   `json:"fans_only_comment"`
}

// NewsDraft is a draft with its publish state. PublishReason and
// PublishNext say in words (Chinese) why a publish failed.
type NewsDraft struct {
	ID             uint64        `json:"id"`
	MediaID        string        `json:"media_id"`
	Title          string        `json:"title"`
	Articles       []NewsArticle `json:"articles"`
	PublishState   string        `json:"publish_state"`
	PublishID      int64         `json:"publish_id,omitempty"`
	PublishStatus  int           `json:"publish_status"`
	FailedArticles []int         `json:"failed_articles,omitempty"`
	PublishReason  string        `json:"publish_reason,omitempty"`
	PublishNext    string        `json:"publish_next,omitempty"`
	ArticleURLs    []string      `json:"article_urls,omitempty"`
	UpdatedAt      time.Time     `json:"updated_at"`
}

func newsDraftOut(d *models.NewsDraft) NewsDraft {
	out := NewsDraft{ID: d.ID, MediaID: d.MediaID, Title: d.Title, PublishState: d.PublishState, PublishID: d.PublishID,
		PublishStatus: d.PublishStatus, FailedArticles: d.FailedArticles(), ArticleURLs: d.URLs(), UpdatedAt: d.UpdatedAt,
		Articles: make([]NewsArticle, 0, len(d.Articles))}
	if out.PublishState == "" {
		out.PublishState = "draft"
	}
	if d.PublishState == models.PublishFailed {
		out.PublishReason, out.PublishNext = wechat.DescribePublishStatus("zh", d.PublishStatus)
	}
	for _, a := range d.Articles {
		out.Articles = append(out.Articles, NewsArticle{Title: a.Title, Author: a.Author, Digest: a.Digest, CoverMediaID: a.CoverMediaID,
			Content: a.Content, SourceURL: a.SourceURL, OpenComment: a.OpenComment, FansOnlyComment: a.FansOnlyComment})
	}
	return out
}

// newsDrafts lists ?state=drafts (default) or published, newest first.
func (h *Handler) newsDrafts(c *gin.Context) {
	state := c.DefaultQuery("state", "drafts")
	if state != "drafts" && state != "published" {
		web.Errorf(c, models.EINVALID, "state must be drafts or published")
		return
	}
	list, err := h.Store.NewsDrafts(c.Request.Context(), state == "published", 200)
	out := make([]NewsDraft, 0, len(list))
	for i := range list {
		out = append(out, newsDraftOut(&list[i]))
	}
	respond(c, out, err)
}

func (h *Handler) newsDraft(c *gin.Context) {
	respondOne(c, h.Store.NewsDraft, func(d *models.NewsDraft) (NewsDraft, error) { return newsDraftOut(d), nil })
}

// saveNewsDraft is POST (new) or PUT /:id (replace) {"articles":[...]}.
func (h *Handler) saveNewsDraft(c *gin.Context) {
	var id uint64
	if c.Param("id") != "" {
		var err error
		if id, err = idParam(c); err != nil {
			web.Error(c, err)
			return
		}
	}
	var req struct {
		Articles []NewsArticle `json:"articles"`
	}
	if !bindJSON(c, &req) {
		return
	}
	in := make([]roles.ArticleInput, 0, len(req.Articles))
	for _, a := range req.Articles {
		in = append(in, roles.ArticleInput{Title: a.Title, Author: a.Author, Digest: a.Digest, CoverMediaID: a.CoverMediaID,
			Body: a.Content, SourceURL: a.SourceURL, OpenComment: a.OpenComment, FansOnlyComment: a.FansOnlyComment})
	}
	d, err := h.Drafts.Save(c.Request.Context(), id, in, web.CurrentStaff(c).ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "news.save", d.Title, d.MediaID+" via API")
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	c.JSON(status, newsDraftOut(d))
}

func (h *Handler) deleteNewsDraft(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	d, err := h.Drafts.Delete(c.Request.Context(), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "news.delete", d.Title, d.MediaID+" via API")
	c.Status(http.StatusNoContent)
}

// publishNewsDraft submits the draft; GET it later for the outcome.
func (h *Handler) publishNewsDraft(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	d, err := h.Drafts.Publish(c.Request.Context(), id, web.CurrentStaff(c).ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "news.publish", d.Title, d.MediaID+" via API")
	c.JSON(http.StatusAccepted, newsDraftOut(d))
}

// previewNewsDraft is {"openid"}: WeChat's preview to one follower.
func (h *Handler) previewNewsDraft(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	var req struct {
		OpenID string `json:"openid"`
	}
	if !bindJSON(c, &req) {
		return
	}
	if err := h.Drafts.SendPreview(c.Request.Context(), id, req.OpenID); err != nil {
		web.Error(c, err)
		return
	}
	web.Audit(c, h.Store, "news.preview", "", req.OpenID+" via API")
	c.JSON(http.StatusOK, gin.H{"sent": true})
}

// uploadNewsImage takes multipart "file" (jpg/png ≤ 1 MB) for an article's
// body and answers {"url"}.
func (h *Handler) uploadNewsImage(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, roles.MaxBodyImage+64<<10)
	fh, err := c.FormFile("file")
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		web.Errorf(c, models.EINVALID, "a body picture may be at most 1 MB; this one is larger")
		return
	}
	var name string
	var data []byte
	if err == nil {
		name = fh.Filename
		f, err := fh.Open()
		if err != nil {
			web.Error(c, err)
			return
		}
		data, err = io.ReadAll(f)
		f.Close()
		if err != nil {
			web.Error(c, err)
			return
		}
	}
	url, err := h.Drafts.UploadBodyImage(c.Request.Context(), name, data)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"url": url})
}
