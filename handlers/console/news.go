package console

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
)

// 图文 drafts (草稿箱) and publishing (Center): every staff member reads
// them; marketers and admins write, preview and publish.

func (h *Handler) registerNews(a *gin.RouterGroup) {
	if h.Drafts == nil {
		return
	}
	a.GET("/news", h.newsList)
	a.GET("/news/:id", h.newsEdit)
	ed := a.Group("", web.RequireRole(models.RoleAdmin, models.RoleMarketer))
	ed.POST("/news", h.newsSave)
	ed.POST("/news/image", h.newsImage)
	ed.POST("/news/:id", h.newsSave)
	ed.POST("/news/:id/delete", h.newsDelete)
	ed.POST("/news/:id/publish", h.newsPublish)
	ed.POST("/news/:id/preview", h.newsPreview)
}

// newsRow is a draft in the lists, with its outcome in words.
type newsRow struct {
	models.NewsDraft
	Covers     map[string]uint64 // cover media_id → library id (thumbnails)
	FailWhat   string
	FailNext   string
	FailedList string
}

type newsListData struct {
	Tab     string // drafts or published
	Rows    []newsRow
	CanEdit bool
}

// newsList lists the drafts (tab=drafts) or the published articles.
func (h *Handler) newsList(c *gin.Context) {
	tab := c.DefaultQuery("tab", "drafts")
	if tab != "published" {
		tab = "drafts"
	}
	list, err := h.Store.NewsDrafts(c.Request.Context(), tab == "published", 200)
	if err != nil {
		web.Error(c, err)
		return
	}
	d := newsListData{Tab: tab, CanEdit: canEditNews(c)}
	lang := h.lang(c)
	for _, nd := range list {
		d.Rows = append(d.Rows, h.newsRowOf(c, lang, nd))
	}
	p := h.page(c, "news", "news.title", d)
	switch k := c.Query("done"); k {
	case "news.deleted", "news.publishing":
		p.Flash = k
	}
	h.render(c, http.StatusOK, "news", p)
}

func (h *Handler) newsRowOf(c *gin.Context, lang string, nd models.NewsDraft) newsRow {
	r := newsRow{NewsDraft: nd, Covers: map[string]uint64{}}
	for _, a := range nd.Articles {
		if a.CoverMediaID == "" {
			continue
		}
		if m, err := h.Store.MaterialByMediaID(c.Request.Context(), a.CoverMediaID); err == nil && m.FileKey != "" {
			r.Covers[a.CoverMediaID] = m.ID
		}
	}
	if nd.PublishState == models.PublishFailed {
		r.FailWhat, r.FailNext = wechat.DescribePublishStatus(lang, nd.PublishStatus)
		var idx []string
		for _, n := range nd.FailedArticles() {
			idx = append(idx, strconv.Itoa(n))
		}
		r.FailedList = strings.Join(idx, "、")
	}
	return r
}

// URLAt is article i's published address ("" when there is none).
func (r newsRow) URLAt(i int) string {
	if urls := r.URLs(); i < len(urls) {
		return urls[i]
	}
	return ""
}

func canEditNews(c *gin.Context) bool {
	st := web.CurrentStaff(c)
	return st != nil && (st.Role == models.RoleAdmin || st.Role == models.RoleMarketer)
}

// newsArticleForm is one article as the editor shows it.
type newsArticleForm struct {
	Title, Author, Digest, Cover, Body, SourceURL string
	OpenComment, FansOnlyComment                  bool
}

type newsEditData struct {
	ID      uint64
	Row     *newsRow // the saved draft (state, URLs); nil for a new one
	Arts    []newsArticleForm
	Images  []models.Material
	Fans    []SimFan
	CanEdit bool
	Max     int
	Sent    string // the openid a preview went to
}

// newsEdit shows a draft: the editor for editors, read-only for others.
// /news/new is an empty draft.
func (h *Handler) newsEdit(c *gin.Context) {
	d := newsEditData{CanEdit: canEditNews(c)}
	if c.Param("id") == "new" {
		if !d.CanEdit {
			web.Errorf(c, models.EFORBIDDEN, "your role may not do this")
			return
		}
		d.Arts = []newsArticleForm{{}}
		h.newsEditor(c, http.StatusOK, d, nil)
		return
	}
	id, _ := strconv.ParseUint(c.Param("id"), 10, 64)
	nd, err := h.Store.NewsDraft(c.Request.Context(), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	d.ID = id
	row := h.newsRowOf(c, h.lang(c), *nd)
	d.Row = &row
	for _, a := range nd.Articles {
		d.Arts = append(d.Arts, newsArticleForm{Title: a.Title, Author: a.Author, Digest: a.Digest, Cover: a.CoverMediaID,
			Body: a.Content, SourceURL: a.SourceURL, OpenComment: a.OpenComment, FansOnlyComment: a.FansOnlyComment})
	}
	d.Sent = c.Query("preview")
	h.newsEditor(c, http.StatusOK, d, nil)
}

func (h *Handler) newsEditor(c *gin.Context, status int, d newsEditData, err error) {
	d.Max = models.MaxDraftArticles
	if page, e := h.Store.Materials(c.Request.Context(), models.MaterialImage, 0, pickerSize); e == nil {
		d.Images = page.Items
	} else {
		h.Log.Error("media picker", "err", e)
	}
	if h.Sim != nil {
		d.Fans = h.Sim.Fans()
	}
	title := "news.new_title"
	if d.ID != 0 {
		title = "news.edit_title"
	}
	p := h.page(c, "news", title, d)
	switch k := c.Query("done"); k {
	case "news.saved", "news.previewed", "news.publishing":
		p.Flash = k
	}
	if err != nil {
		p.Error = h.errFor(c, err)
	}
	h.render(c, status, "news_edit", p)
}

// newsForm reads the editor's articles (a0.title …, n articles).
func newsForm(c *gin.Context) []newsArticleForm {
	n, _ := strconv.Atoi(c.PostForm("n"))
	n = min(max(n, 0), models.MaxDraftArticles)
	out := make([]newsArticleForm, 0, n)
	for i := range n {
		f := func(k string) string { return c.PostForm("a" + strconv.Itoa(i) + "." + k) }
		out = append(out, newsArticleForm{Title: limited(f("title"), 200), Author: limited(f("author"), 64), Digest: limited(f("digest"), 400),
			Cover: limited(f("cover"), 191), Body: f("body"), SourceURL: limited(f("source_url"), 2048),
			OpenComment: f("open_comment") == "1", FansOnlyComment: f("fans_only") == "1"})
	}
	return out
}

// newsSave saves the draft, or adds/removes an article (op) and shows
// the editor again without saving.
func (h *Handler) newsSave(c *gin.Context) {
	var id uint64
	if p := c.Param("id"); p != "" {
		id, _ = strconv.ParseUint(p, 10, 64)
	}
	d := newsEditData{ID: id, Arts: newsForm(c), CanEdit: true}
	if id != 0 {
		if nd, err := h.Store.NewsDraft(c.Request.Context(), id); err == nil {
			row := h.newsRowOf(c, h.lang(c), *nd)
			d.Row = &row
		}
	}
	switch op := c.PostForm("op"); {
	case op == "add":
		if len(d.Arts) < models.MaxDraftArticles {
			d.Arts = append(d.Arts, newsArticleForm{})
		}
		h.newsEditor(c, http.StatusOK, d, nil)
		return
	case strings.HasPrefix(op, "remove."):
		if i, err := strconv.Atoi(strings.TrimPrefix(op, "remove.")); err == nil && i >= 0 && i < len(d.Arts) && len(d.Arts) > 1 {
			d.Arts = append(d.Arts[:i], d.Arts[i+1:]...)
		}
		h.newsEditor(c, http.StatusOK, d, nil)
		return
	}
	in := make([]roles.ArticleInput, 0, len(d.Arts))
	for _, a := range d.Arts {
		in = append(in, roles.ArticleInput{Title: a.Title, Author: a.Author, Digest: a.Digest, CoverMediaID: a.Cover,
			Body: a.Body, SourceURL: a.SourceURL, OpenComment: a.OpenComment, FansOnlyComment: a.FansOnlyComment})
	}
	nd, err := h.Drafts.Save(c.Request.Context(), id, in, web.CurrentStaff(c).ID)
	if err != nil {
		h.newsFailed(c, d, err)
		return
	}
	web.Audit(c, h.Store, "news.save", nd.Title, nd.MediaID)
	c.Redirect(http.StatusSeeOther, Base+"/news/"+strconv.FormatUint(nd.ID, 10)+"?done=news.saved")
}

// newsFailed shows the editor with the reason, or the error page for
// failures that are not the marketer's to fix.
func (h *Handler) newsFailed(c *gin.Context, d newsEditData, err error) {
	switch models.ErrorCode(err) {
	case models.EINVALID, models.EUPSTREAM, models.ECONFLICT:
		h.newsEditor(c, web.Status(models.ErrorCode(err)), d, err)
	default:
		web.Error(c, err)
	}
}

// newsLoaded is the saved draft in the editor, for errors of the actions.
func (h *Handler) newsLoaded(c *gin.Context) (newsEditData, bool) {
	id, _ := strconv.ParseUint(c.Param("id"), 10, 64)
	nd, err := h.Store.NewsDraft(c.Request.Context(), id)
	if err != nil {
		web.Error(c, err)
		return newsEditData{}, false
	}
	row := h.newsRowOf(c, h.lang(c), *nd)
	d := newsEditData{ID: id, Row: &row, CanEdit: true}
	for _, a := range nd.Articles {
		d.Arts = append(d.Arts, newsArticleForm{Title: a.Title, Author: a.Author, Digest: a.Digest, Cover: a.CoverMediaID,
			Body: a.Content, SourceURL: a.SourceURL, OpenComment: a.OpenComment, FansOnlyComment: a.FansOnlyComment})
	}
	return d, true
}

func (h *Handler) newsDelete(c *gin.Context) {
	d, ok := h.newsLoaded(c)
	if !ok {
		return
	}
	nd, err := h.Drafts.Delete(c.Request.Context(), d.ID)
	if err != nil {
		h.newsFailed(c, d, err)
		return
	}
	web.Audit(c, h.Store, "news.delete", nd.Title, nd.MediaID)
	c.Redirect(http.StatusSeeOther, Base+"/news?done=news.deleted")
}

func (h *Handler) newsPublish(c *gin.Context) {
	d, ok := h.newsLoaded(c)
	if !ok {
		return
	}
	nd, err := h.Drafts.Publish(c.Request.Context(), d.ID, web.CurrentStaff(c).ID)
	if err != nil {
		h.newsFailed(c, d, err)
		return
	}
	web.Audit(c, h.Store, "news.publish", nd.Title, nd.MediaID+" publish_id="+strconv.FormatInt(nd.PublishID, 10))
	c.Redirect(http.StatusSeeOther, Base+"/news/"+strconv.FormatUint(nd.ID, 10)+"?done=news.publishing")
}

func (h *Handler) newsPreview(c *gin.Context) {
	d, ok := h.newsLoaded(c)
	if !ok {
		return
	}
	openID := strings.TrimSpace(c.PostForm("openid"))
	if err := h.Drafts.SendPreview(c.Request.Context(), d.ID, openID); err != nil {
		h.newsFailed(c, d, err)
		return
	}
	web.Audit(c, h.Store, "news.preview", d.Row.Title, openID)
	c.Redirect(http.StatusSeeOther, Base+"/news/"+strconv.FormatUint(d.ID, 10)+"?done=news.previewed&preview="+openID)
}

// newsImage takes a body picture (the editor's script posts it) and
// answers {"url"} or {"error"} in the reader's language.
func (h *Handler) newsImage(c *gin.Context) {
	fh, err := c.FormFile("file")
	var data []byte
	name := ""
	if err == nil {
		name = fh.Filename
		data, err = readUpload(fh)
	} else {
		err = nil // no file: the role says "choose a file"
	}
	var url string
	if err == nil {
		url, err = h.Drafts.UploadBodyImage(c.Request.Context(), name, data)
	}
	if err != nil {
		code := models.ErrorCode(err)
		if code == models.EINTERNAL {
			h.Log.Error("body picture", "err", err)
		}
		b, _ := json.Marshal(map[string]string{"error": h.errFor(c, err)})
		c.Data(web.Status(code), "application/json; charset=utf-8", b)
		return
	}
	c.JSON(http.StatusOK, map[string]string{"url": url})
}

// newsCard is a 图文 draft as the broadcast form's picker shows it: the
// first article's card (cover, title, digest) as fans will see it.
type newsCard struct {
	MediaID, Title, Digest string
	CoverID                uint64 // library id of the cover (0: none kept)
	Articles               int
	Published              bool
}

// newsCards are the drafts and published 图文 a broadcast may send, newest
// first; nil when drafts are not offered.
func (h *Handler) newsCards(c *gin.Context) []newsCard {
	if h.Drafts == nil {
		return nil
	}
	var out []newsCard
	for _, published := range []bool{false, true} {
		list, err := h.Store.NewsDrafts(c.Request.Context(), published, 50)
		if err != nil {
			h.Log.Error("news picker", "err", err)
			return out
		}
		for _, d := range list {
			if len(d.Articles) == 0 || d.PublishState == models.PublishPublishing {
				continue
			}
			row := h.newsRowOf(c, h.lang(c), d)
			first := d.Articles[0]
			out = append(out, newsCard{MediaID: d.MediaID, Title: first.Title, Digest: first.Digest,
				CoverID: row.Covers[first.CoverMediaID], Articles: len(d.Articles), Published: published})
		}
	}
	return out
}
