package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestNewsDraftValidate(t *testing.T) {
	ok := models.NewsArticle{Title: "春季上新", Content: "<p>正文</p>"}
	for _, c := range []struct {
		name string
		arts []models.NewsArticle
		err  string
	}{
		{"fine", []models.NewsArticle{ok, ok}, ""},
		{"none", nil, "at least one article"},
		{"nine", make([]models.NewsArticle, 9), "at most 8 articles"},
		{"no title", []models.NewsArticle{ok, {Content: "x"}}, "article 2 needs a title"},
		{"long title", []models.NewsArticle{{Title: strings.Repeat("长", 65), Content: "x"}}, "title may be at most 64"},
		{"no body", []models.NewsArticle{{Title: "t"}}, "article 1 needs a body"},
		{"long body", []models.NewsArticle{{Title: "t", Content: strings.Repeat("字", 20000)}}, "under 20000"},
		{"bad source", []models.NewsArticle{{Title: "t", Content: "x", SourceURL: "javascript:alert(1)"}}, "must start with http"},
	} {
		err := (&models.NewsDraft{Articles: c.arts}).Validate()
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.err)
		}
	}
}

func TestNewsDraftStore(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		d := &models.NewsDraft{MediaID: "draft-1", CreatedBy: 3, Articles: []models.NewsArticle{
			{Title: "春季上新", Digest: "三款", CoverMediaID: "img-1", Content: "<p>一</p>", OpenComment: true},
			{Title: "门店活动", Content: strings.Repeat("<p>长文</p>", 2000)},
		}}
		if err := s.SaveNewsDraft(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveNewsDraft(ctx, &models.NewsDraft{MediaID: "draft-1", Articles: d.Articles}); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("same media_id twice: %v", err)
		}
		if err := s.SaveNewsDraft(ctx, &models.NewsDraft{Articles: d.Articles}); models.ErrorCode(err) != models.EINVALID {
			t.Errorf("no media_id: %v", err)
		}
		got, err := s.NewsDraft(ctx, d.ID)
		if err != nil || got.Title != "春季上新" || len(got.Articles) != 2 || got.Articles[1].Idx != 1 ||
			!got.Articles[0].OpenComment || len(got.Articles[1].Content) != len(d.Articles[1].Content) {
			t.Fatalf("read back: %+v, %v", got, err)
		}
		// An edit replaces the articles and the media_id.
		got.MediaID = "draft-2"
		got.Articles = got.Articles[:1]
		got.Articles[0].Title = "春季上新（改）"
		if err := s.SaveNewsDraft(ctx, got); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.NewsDraftByMediaID(ctx, "draft-2"); got == nil || len(got.Articles) != 1 || got.Title != "春季上新（改）" {
			t.Fatalf("after edit: %+v", got)
		}
		if _, err := s.NewsDraftByMediaID(ctx, "draft-1"); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("old media_id: %v", err)
		}

		// Publishing: submitted, then PUBLISHJOBFINISH.
		if err := s.MarkNewsDraftPublishing(ctx, d.ID, 77, 3, now); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkNewsDraftPublishing(ctx, d.ID, 78, 3, now); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("publish twice: %v", err)
		}
		if ours, err := s.RecordPublishFinish(ctx, models.PublishFinish{PublishID: 99}, now); err != nil || ours {
			t.Errorf("someone else's job: %v %v", ours, err)
		}
		if ours, err := s.RecordPublishFinish(ctx, models.PublishFinish{PublishID: 77, Status: 3, FailIdx: []int{1}}, now); err != nil || !ours {
			t.Fatalf("failed job: %v %v", ours, err)
		}
		got, _ = s.NewsDraft(ctx, d.ID)
		if got.PublishState != models.PublishFailed || got.PublishStatus != 3 || len(got.FailedArticles()) != 1 || !got.Editable() {
			t.Fatalf("failed: %+v", got)
		}
		if err := s.MarkNewsDraftPublishing(ctx, d.ID, 80, 3, now); err != nil {
			t.Fatalf("publish again after a failure: %v", err)
		}
		if ours, err := s.RecordPublishFinish(ctx, models.PublishFinish{PublishID: 80, ArticleID: "art",
			URLs: []string{"http://mp.weixin.qq.com/s?a=1"}}, now.Add(time.Minute)); err != nil || !ours {
			t.Fatal(ours, err)
		}
		got, _ = s.NewsDraft(ctx, d.ID)
		if got.PublishState != models.PublishPublished || len(got.URLs()) != 1 || got.Editable() || got.FinishedAt == nil {
			t.Fatalf("published: %+v", got)
		}
		if pub, err := s.NewsDrafts(ctx, true, 50); err != nil || len(pub) != 1 || len(pub[0].Articles) != 1 {
			t.Fatalf("published list: %+v %v", pub, err)
		}
		if open, err := s.NewsDrafts(ctx, false, 50); err != nil || len(open) != 0 {
			t.Fatalf("draft list: %+v %v", open, err)
		}
		if err := s.DeleteNewsDraft(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteNewsDraft(ctx, d.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("delete twice: %v", err)
		}
	})
}
