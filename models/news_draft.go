package models

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// NewsDraft is one 图文 draft (草稿): up to 8 articles, saved on WeChat
// (draft/add) and here. A row exists only for a draft WeChat holds: the
// Center adds it on WeChat first and writes the row after, and undoes the
// WeChat side when the row cannot be written. Publishing (freepublish)
// keeps the row, with the outcome PUBLISHJOBFINISH reported.
type NewsDraft struct {
	ID uint64 `gorm:"primaryKey"`
	// MediaID is the draft's media_id on WeChat; mass sends of mpnews use it.
	MediaID string `gorm:"size:191;not null;uniqueIndex:idx_news_drafts_media_id"`
	// Title is the first article's, for lists.
	Title string `gorm:"size:255;not null;default:''"`
	// PublishState is "" (a draft), publishing, published or failed.
	PublishState string `gorm:"size:16;not null;default:'';index:idx_news_drafts_state"`
	// PublishID is freepublish/submit's job id (0 before publishing).
	PublishID int64 `gorm:"not null;default:0;index:idx_news_drafts_publish_id"`
	// PublishStatus is WeChat's publish_status (0 success, 2–6 failures).
	PublishStatus int `gorm:"not null;default:0"`
	// FailIdx are the articles (1-based, comma-separated) WeChat refused.
	FailIdx   string `gorm:"size:64;not null;default:''"`
	ArticleID string `gorm:"size:191;not null;default:''"`
	// ArticleURLs are the published articles' addresses, one a line.
	ArticleURLs string     `gorm:"type:text"`
	SubmittedAt *time.Time // freepublish/submit accepted
	FinishedAt  *time.Time // PUBLISHJOBFINISH arrived
	CreatedBy   uint64     `gorm:"not null;default:0"`
	UpdatedBy   uint64     `gorm:"not null;default:0"`
	CreatedAt   time.Time
	UpdatedAt   time.Time

	// Articles are loaded by NewsDraft and written by SaveNewsDraft.
	Articles []NewsArticle `gorm:"foreignKey:DraftID"`
}

// NewsArticle is one article of a draft.
type NewsArticle struct {
	ID      uint64 `gorm:"primaryKey"`
	DraftID uint64 `gorm:"not null;uniqueIndex:idx_news_articles_draft_idx,priority:1"`
	// Idx is the article's place in the draft, from 0.
	Idx    int    `gorm:"not null;uniqueIndex:idx_news_articles_draft_idx,priority:2"`
	Title  string `gorm:"size:255;not null"`
	Author string `gorm:"size:64;not null;default:''"`
	Digest string `gorm:"size:512;not null;default:''"`
	// CoverMediaID is the cover: a permanent image material's media_id.
	CoverMediaID string `gorm:"size:191;not null;default:''"`
	// Content is the sanitised body HTML WeChat accepts.
	Content         string `gorm:"type:text;not null"`
	SourceURL       string `gorm:"size:1024;not null;default:''"`
	OpenComment     bool   `gorm:"not null;default:false"`
	FansOnlyComment bool   `gorm:"not null;default:false"`
}

// Publish states of a draft.
const (
	PublishNone       = ""
	PublishPublishing = "publishing"
	PublishPublished  = "published"
	PublishFailed     = "failed"
)

// Article limits (wechat-platform.md §11): the editor and the API check
// them before WeChat sees the draft.
const (
	MaxDraftArticles  = 8
	MaxArticleTitle   = 64
	MaxArticleAuthor  = 16
	MaxArticleDigest  = 120
	MaxArticleContent = 20000
	MaxArticleSource  = 1024
)

// Validate checks the articles against the platform's limits; the message
// names the article (from 1) and what to change.
func (d *NewsDraft) Validate() error {
	if len(d.Articles) == 0 {
		return Errorf(EINVALID, "a draft needs at least one article")
	}
	if len(d.Articles) > MaxDraftArticles {
		return Errorf(EINVALID, "a draft holds at most %d articles; this one has %d", MaxDraftArticles, len(d.Articles))
	}
	for i, a := range d.Articles {
		n := i + 1
		switch {
		case strings.TrimSpace(a.Title) == "":
			return Errorf(EINVALID, "article %d needs a title", n)
		case utf8.RuneCountInString(a.Title) > MaxArticleTitle:
			return Errorf(EINVALID, "article %d: the title may be at most %d characters", n, MaxArticleTitle)
		case utf8.RuneCountInString(a.Author) > MaxArticleAuthor:
			return Errorf(EINVALID, "article %d: the author may be at most %d characters", n, MaxArticleAuthor)
		case utf8.RuneCountInString(a.Digest) > MaxArticleDigest:
			return Errorf(EINVALID, "article %d: the digest may be at most %d characters", n, MaxArticleDigest)
		case strings.TrimSpace(a.Content) == "":
			return Errorf(EINVALID, "article %d needs a body", n)
		case utf8.RuneCountInString(a.Content) >= MaxArticleContent:
			return Errorf(EINVALID, "article %d: the body must stay under %d characters", n, MaxArticleContent)
		case len(a.SourceURL) > MaxArticleSource:
			return Errorf(EINVALID, "article %d: the source URL is too long", n)
		case a.SourceURL != "" && !strings.HasPrefix(a.SourceURL, "http://") && !strings.HasPrefix(a.SourceURL, "https://"):
			return Errorf(EINVALID, "article %d: the source URL must start with http:// or https://", n)
		}
	}
	return nil
}

// Editable reports whether the draft may still change: not while WeChat
// publishes it, nor after (WeChat removed it from the 草稿箱).
func (d *NewsDraft) Editable() bool {
	return d.PublishState == PublishNone || d.PublishState == PublishFailed
}

// URLs are the published articles' addresses.
func (d *NewsDraft) URLs() []string {
	if d.ArticleURLs == "" {
		return nil
	}
	return strings.Split(d.ArticleURLs, "\n")
}

// FailedArticles are the 1-based articles WeChat refused.
func (d *NewsDraft) FailedArticles() []int {
	var out []int
	for _, s := range strings.Split(d.FailIdx, ",") {
		if n, err := strconv.Atoi(s); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// SaveNewsDraft writes d and its articles in one transaction: a new row
// when d.ID is 0, else the row updated and its articles replaced.
func (s *Store) SaveNewsDraft(ctx context.Context, d *NewsDraft) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if d.MediaID == "" {
		return Errorf(EINVALID, "a draft needs WeChat's media_id")
	}
	d.Title = d.Articles[0].Title
	return translate("save news draft", s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		arts := d.Articles
		if d.ID == 0 {
			if err := tx.Omit("Articles").Create(d).Error; err != nil {
				return err
			}
		} else {
			res := tx.Model(&NewsDraft{}).Where("id = ?", d.ID).Updates(map[string]any{"media_id": d.MediaID,
				"title": d.Title, "updated_by": d.UpdatedBy, "updated_at": time.Now().UTC(),
				"publish_state": d.PublishState, "fail_idx": d.FailIdx, "publish_status": d.PublishStatus})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return Errorf(ENOTFOUND, "news draft %d: not found", d.ID)
			}
			if err := tx.Where("draft_id = ?", d.ID).Delete(&NewsArticle{}).Error; err != nil {
				return err
			}
		}
		for i := range arts {
			arts[i].ID, arts[i].DraftID, arts[i].Idx = 0, d.ID, i
		}
		return tx.Create(&arts).Error
	}))
}

// NewsDraft returns one draft with its articles in order.
func (s *Store) NewsDraft(ctx context.Context, id uint64) (*NewsDraft, error) {
	var d NewsDraft
	err := s.db.WithContext(ctx).Preload("Articles", func(db *gorm.DB) *gorm.DB { return db.Order("idx") }).Take(&d, id).Error
	if isNotFound(err) {
		return nil, Errorf(ENOTFOUND, "news draft %d: not found", id)
	}
	return &d, translate("news draft", err)
}

// NewsDraftByMediaID returns the draft WeChat knows as mediaID.
func (s *Store) NewsDraftByMediaID(ctx context.Context, mediaID string) (*NewsDraft, error) {
	var d NewsDraft
	err := s.db.WithContext(ctx).Preload("Articles", func(db *gorm.DB) *gorm.DB { return db.Order("idx") }).
		Where("media_id = ?", mediaID).Take(&d).Error
	if isNotFound(err) {
		return nil, Errorf(ENOTFOUND, "news draft %s: not found", mediaID)
	}
	return &d, translate("news draft", err)
}

// NewsDrafts lists drafts, newest first, with their articles: published
// ones when published is true, the others (drafts, publishing, failed)
// otherwise.
func (s *Store) NewsDrafts(ctx context.Context, published bool, limit int) ([]NewsDraft, error) {
	q := s.db.WithContext(ctx).Preload("Articles", func(db *gorm.DB) *gorm.DB { return db.Order("idx") })
	if published {
		q = q.Where("publish_state = ?", PublishPublished)
	} else {
		q = q.Where("publish_state <> ?", PublishPublished)
	}
	var out []NewsDraft
	err := q.Order("updated_at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, translate("news drafts", err)
}

// DeleteNewsDraft removes a draft and its articles.
func (s *Store) DeleteNewsDraft(ctx context.Context, id uint64) error {
	return translate("delete news draft", s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("draft_id = ?", id).Delete(&NewsArticle{}).Error; err != nil {
			return err
		}
		res := tx.Delete(&NewsDraft{}, id)
		if res.Error == nil && res.RowsAffected == 0 {
			return Errorf(ENOTFOUND, "news draft %d: not found", id)
		}
		return res.Error
	}))
}

// MarkNewsDraftPublishing records that WeChat took the draft for
// publishing as job publishID. Only a draft or a failed one moves.
func (s *Store) MarkNewsDraftPublishing(ctx context.Context, id uint64, publishID int64, by uint64, now time.Time) error {
	res := s.db.WithContext(ctx).Model(&NewsDraft{}).
		Where("id = ? AND publish_state IN ?", id, []string{PublishNone, PublishFailed}).
		Updates(map[string]any{"publish_state": PublishPublishing, "publish_id": publishID, "publish_status": 1,
			"fail_idx": "", "submitted_at": now, "finished_at": nil, "updated_by": by, "updated_at": now})
	if res.Error != nil {
		return translate("mark publishing", res.Error)
	}
	if res.RowsAffected == 0 {
		return Errorf(ECONFLICT, "the draft is already being published or was published")
	}
	return nil
}

// PublishFinish is a PUBLISHJOBFINISH event.
type PublishFinish struct {
	PublishID int64
	Status    int
	ArticleID string
	URLs      []string
	FailIdx   []int
}

// Publish statuses WeChat reports (wechat-platform.md §11).
const (
	PublishStatusSuccess    = 0
	PublishStatusPublishing = 1
)

// RecordPublishFinish stores the outcome on the draft published as
// f.PublishID; ours is false when no draft has that job (published in
// WeChat's own console). A repeat of the event changes nothing more.
func (s *Store) RecordPublishFinish(ctx context.Context, f PublishFinish, now time.Time) (ours bool, err error) {
	state := PublishFailed
	switch f.Status {
	case PublishStatusSuccess:
		state = PublishPublished
	case PublishStatusPublishing:
		state = PublishPublishing
	}
	idx := make([]string, 0, len(f.FailIdx))
	for _, n := range f.FailIdx {
		idx = append(idx, strconv.Itoa(n))
	}
	res := s.db.WithContext(ctx).Model(&NewsDraft{}).Where("publish_id = ? AND publish_id <> 0", f.PublishID).
		Updates(map[string]any{"publish_state": state, "publish_status": f.Status, "article_id": f.ArticleID,
			"article_urls": strings.Join(f.URLs, "\n"), "fail_idx": strings.Join(idx, ","), "finished_at": now, "updated_at": now})
	if res.Error != nil {
		return false, translate("record publish finish", res.Error)
	}
	return res.RowsAffected > 0, nil
}
