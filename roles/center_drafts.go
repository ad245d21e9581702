package roles

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// DraftAPI is the part of WeChat the 图文 drafts use (wechat.Client; tests
// use the fake WeChat API through it too).
type DraftAPI interface {
	AddDraft(ctx context.Context, articles []wechat.DraftArticle) (string, error)
	DeleteDraft(ctx context.Context, mediaID string) error
	PublishDraft(ctx context.Context, mediaID string) (int64, error)
	GetPublish(ctx context.Context, publishID int64) (wechat.PublishStatus, error)
	UploadArticleImage(ctx context.Context, fileName string, data []byte) (string, error)
}

// Previewer sends a preview of a message to one follower (wechat.Mass).
type Previewer interface {
	Preview(ctx context.Context, openID string, r models.Reply) error
}

// Drafts is the Center's 图文 drafts (草稿箱) and publishing (发布). A draft
// lives on WeChat and here in step: a save adds the draft on WeChat first
// and writes the row after (a refusal leaves the row as it was); an edit
// adds the new version on WeChat, rewrites the row and only then deletes
// the old version, so a failure at any step leaves one complete draft and
// never a half-updated one. Publishing does not push anything to fans:
// a broadcast of the draft's media_id (mpnews) does.
type Drafts struct {
	Store   *models.Store
	WX      DraftAPI
	Preview Previewer
	Log     *slog.Logger
	Now     func() time.Time
}

// ArticleInput is one article as staff write it.
type ArticleInput struct {
	Title, Author, Digest string
	CoverMediaID          string
	// Body is the editor's HTML; Save sanitises it.
	Body                         string
	SourceURL                    string
	OpenComment, FansOnlyComment bool
}

// mmbizImage matches the addresses media/uploadimg gives: the only images
// WeChat keeps in an article body.
var mmbizImage = regexp.MustCompile(`^https?://mmbiz\.q(pic|logo)\.cn/`)

// articlePolicy is the HTML WeChat's article bodies take: text formatting,
// lists, quotes, tables, links, and images from media/uploadimg. Scripts,
// styles sheets, iframes, forms and event handlers go.
var articlePolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "span", "section", "strong", "b", "em", "i", "u", "s", "sub", "sup",
		"h1", "h2", "h3", "h4", "blockquote", "pre", "code", "ul", "ol", "li", "figure", "figcaption",
		"table", "thead", "tbody", "tr", "th", "td")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https")
	p.RequireParseableURLs(true)
	p.AllowAttrs("src").Matching(mmbizImage).OnElements("img")
	p.AllowAttrs("alt").OnElements("img")
	p.AllowAttrs("colspan", "rowspan").OnElements("td", "th")
	p.AllowStyles("color", "background-color", "text-align", "font-weight", "font-style", "text-decoration").Globally()
	return p
}()

// imgSrc finds the images of a body before sanitising.
var imgSrc = regexp.MustCompile(`(?i)<img[^>]*\ssrc\s*=\s*["']?([^"'\s>]+)`)

// SanitizeBody returns the body as WeChat accepts it. An image from
// anywhere but media/uploadimg is an error rather than silently dropped:
// the marketer would lose a picture without knowing.
func SanitizeBody(article int, body string) (string, error) {
	for _, m := range imgSrc.FindAllStringSubmatch(body, -1) {
		if !mmbizImage.MatchString(m[1]) {
			return "", models.Errorf(models.EINVALID, "article %d: pictures must be uploaded with the editor's picture button; remove or re-upload the one from another site", article)
		}
	}
	return strings.TrimSpace(articlePolicy.Sanitize(body)), nil
}

// Save creates (id 0) or replaces a draft; see Drafts for the order.
func (d *Drafts) Save(ctx context.Context, id uint64, in []ArticleInput, by uint64) (*models.NewsDraft, error) {
	draft := &models.NewsDraft{ID: id, CreatedBy: by, UpdatedBy: by}
	var old *models.NewsDraft
	if id != 0 {
		var err error
		if old, err = d.Store.NewsDraft(ctx, id); err != nil {
			return nil, err
		}
		if !old.Editable() {
			return nil, models.Errorf(models.ECONFLICT, "a draft that is being published or was published cannot be edited")
		}
		draft.CreatedBy = old.CreatedBy
	}
	for i, a := range in {
		body, err := SanitizeBody(i+1, a.Body)
		if err != nil {
			return nil, err
		}
		draft.Articles = append(draft.Articles, models.NewsArticle{Title: strings.TrimSpace(a.Title),
			Author: strings.TrimSpace(a.Author), Digest: strings.TrimSpace(a.Digest), CoverMediaID: strings.TrimSpace(a.CoverMediaID),
			Content: body, SourceURL: strings.TrimSpace(a.SourceURL), OpenComment: a.OpenComment, FansOnlyComment: a.FansOnlyComment})
	}
	if err := draft.Validate(); err != nil {
		return nil, err
	}
	if err := d.checkCovers(ctx, draft.Articles); err != nil {
		return nil, err
	}
	mediaID, err := d.WX.AddDraft(ctx, wechatArticles(draft.Articles))
	if err != nil {
		return nil, wechatRefused(err)
	}
	draft.MediaID = mediaID
	if err := d.Store.SaveNewsDraft(ctx, draft); err != nil {
		d.dropOnWeChat(mediaID)
		return nil, err
	}
	if old != nil {
		d.dropOnWeChat(old.MediaID)
	}
	return d.Store.NewsDraft(ctx, draft.ID)
}

// checkCovers refuses a cover that is not an image in the library.
func (d *Drafts) checkCovers(ctx context.Context, arts []models.NewsArticle) error {
	for i, a := range arts {
		if a.CoverMediaID == "" {
			continue // allowed in a draft; publishing asks for it
		}
		m, err := d.Store.MaterialByMediaID(ctx, a.CoverMediaID)
		if models.ErrorCode(err) == models.ENOTFOUND || err == nil && m.Kind != models.MaterialImage && m.Kind != models.MaterialThumb {
			return models.Errorf(models.EINVALID, "article %d: the cover must be an image from the media library", i+1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// dropOnWeChat deletes a draft version WeChat holds but fivec no longer
// uses; a failure is logged (the 草稿箱 then shows one extra draft).
func (d *Drafts) dropOnWeChat(mediaID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.WX.DeleteDraft(ctx, mediaID); err != nil && wechat.ErrCode(err) != 40007 {
		d.Log.Warn("draft version left on WeChat", "media_id", mediaID, "err", err)
	}
}

func wechatArticles(arts []models.NewsArticle) []wechat.DraftArticle {
	out := make([]wechat.DraftArticle, 0, len(arts))
	for _, a := range arts {
		w := wechat.DraftArticle{Title: a.Title, Author: a.Author, Digest: a.Digest, Content: a.Content,
			ContentSourceURL: a.SourceURL, ThumbMediaID: a.CoverMediaID}
		if a.OpenComment {
			w.NeedOpenComment = 1
		}
		if a.FansOnlyComment {
			w.OnlyFansCanComment = 1
		}
		out = append(out, w)
	}
	return out
}

// Delete removes a draft on WeChat, then here. A published draft's row
// stays: it is the record of what was published.
func (d *Drafts) Delete(ctx context.Context, id uint64) (*models.NewsDraft, error) {
	draft, err := d.Store.NewsDraft(ctx, id)
	if err != nil {
		return nil, err
	}
	if !draft.Editable() {
		return nil, models.Errorf(models.ECONFLICT, "a draft that is being published or was published cannot be deleted")
	}
	if err := d.WX.DeleteDraft(ctx, draft.MediaID); err != nil && wechat.ErrCode(err) != 40007 {
		return nil, wechatRefused(err) // 40007: already gone on WeChat
	}
	return draft, d.Store.DeleteNewsDraft(ctx, id)
}

// Publish submits a draft to freepublish; PUBLISHJOBFINISH brings the
// outcome (RecordPublishFinish). Articles without a cover are refused
// here, with their numbers, before WeChat fails the job.
func (d *Drafts) Publish(ctx context.Context, id uint64, by uint64) (*models.NewsDraft, error) {
	draft, err := d.Store.NewsDraft(ctx, id)
	if err != nil {
		return nil, err
	}
	if !draft.Editable() {
		return nil, models.Errorf(models.ECONFLICT, "the draft is already being published or was published")
	}
	publishID, err := d.WX.PublishDraft(ctx, draft.MediaID)
	if err != nil {
		return nil, wechatRefused(err)
	}
	if err := d.Store.MarkNewsDraftPublishing(ctx, id, publishID, by, d.Now().UTC()); err != nil {
		return nil, err
	}
	// A PUBLISHJOBFINISH that overtook the row above found no draft; ask
	// once where the job stands so such an outcome is not lost.
	if st, err := d.WX.GetPublish(ctx, publishID); err == nil && st.Status != models.PublishStatusPublishing {
		if _, err := d.Store.RecordPublishFinish(ctx, models.PublishFinish{PublishID: publishID, Status: st.Status,
			ArticleID: st.ArticleID, URLs: st.ArticleURLs, FailIdx: st.FailIdx}, d.Now().UTC()); err != nil {
			d.Log.Warn("publish outcome not recorded", "publish_id", publishID, "err", err)
		}
	} else if err != nil {
		d.Log.Info("freepublish/get after submit", "publish_id", publishID, "err", err)
	}
	return d.Store.NewsDraft(ctx, id)
}

// SendPreview sends the draft to one follower as WeChat's preview (the
// fan sees the card as a broadcast will show it).
func (d *Drafts) SendPreview(ctx context.Context, id uint64, openID string) error {
	draft, err := d.Store.NewsDraft(ctx, id)
	if err != nil {
		return err
	}
	if strings.TrimSpace(openID) == "" {
		return models.Errorf(models.EINVALID, "choose a fan to preview to")
	}
	if err := d.Preview.Preview(ctx, openID, models.Reply{Kind: models.ReplyMpNews, MediaID: draft.MediaID}); err != nil {
		return wechatRefused(err)
	}
	return nil
}

// MaxBodyImage is media/uploadimg's limit.
const MaxBodyImage = 1 << 20

// UploadBodyImage sends a picture for an article's body to WeChat
// (media/uploadimg: jpg or png up to 1 MB) and returns its address.
func (d *Drafts) UploadBodyImage(ctx context.Context, fileName string, data []byte) (string, error) {
	ext := strings.ToLower(path.Ext(safeName(fileName)))
	ct := http.DetectContentType(data)
	switch {
	case len(data) == 0:
		return "", models.Errorf(models.EINVALID, "choose a file to upload")
	case ext != ".jpg" && ext != ".jpeg" && ext != ".png":
		return "", models.Errorf(models.EINVALID, "a body picture must be a jpg or png file")
	case ct != "image/jpeg" && ct != "image/png":
		return "", models.Errorf(models.EINVALID, "a body picture must be a jpg or png file")
	case len(data) > MaxBodyImage:
		return "", models.Errorf(models.EINVALID, "a body picture may be at most 1 MB; this one is %s", models.FormatBytes(int64(len(data))))
	}
	url, err := d.WX.UploadArticleImage(ctx, safeName(fileName), data)
	if err != nil {
		return "", wechatRefused(err)
	}
	return url, nil
}

// publishFinish is a PUBLISHJOBFINISH event as the Center stores it.
func publishFinish(m *message.MixMessage) models.PublishFinish {
	p := m.PublishEventInfo
	f := models.PublishFinish{PublishID: p.PublishID, Status: int(p.PublishStatus), ArticleID: p.ArticleID}
	for _, it := range p.ArticleDetail.Item {
		f.URLs = append(f.URLs, it.ArticleURL)
	}
	for _, n := range p.FailIndex {
		f.FailIdx = append(f.FailIdx, int(n))
	}
	return f
}
