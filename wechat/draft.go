package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Drafts and publishing (草稿箱 / 发布能力, wechat-platform.md §11), made
// with the same request helper as the material API: the SDK's draft and
// freepublish calls take no context and hide the errcode in text.

// DraftArticle is one article as draft/add and draft/update take it.
type DraftArticle struct {
	Title              string `json:"title"`
	Author             string `json:"author"`
	Digest             string `json:"digest"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url"`
	ThumbMediaID       string `json:"thumb_media_id"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
}

// AddDraft is draft/add: the draft's media_id.
func (c *Client) AddDraft(ctx context.Context, articles []DraftArticle) (string, error) {
	body, _, err := c.do(ctx, func(token string) (*http.Request, error) {
		return postJSON(endpoint("draft/add", token, nil), map[string]any{"articles": articles})
	})
	if err != nil {
		return "", err
	}
	var a struct {
		MediaID string `json:"media_id"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.MediaID == "" {
		return "", fmt.Errorf("draft/add: answer without media_id: %.200s", body)
	}
	return a.MediaID, nil
}

// UpdateDraft is draft/update: article index (0-based) of the draft replaced.
func (c *Client) UpdateDraft(ctx context.Context, mediaID string, index int, art DraftArticle) error {
	_, _, err := c.do(ctx, func(token string) (*http.Request, error) {
		return postJSON(endpoint("draft/update", token, nil), map[string]any{"media_id": mediaID, "index": index, "articles": art})
	})
	return err
}

// DeleteDraft is draft/delete.
func (c *Client) DeleteDraft(ctx context.Context, mediaID string) error {
	_, _, err := c.do(ctx, func(token string) (*http.Request, error) {
		return postJSON(endpoint("draft/delete", token, nil), map[string]string{"media_id": mediaID})
	})
	return err
}

// PublishDraft is freepublish/submit: the publish_id whose PUBLISHJOBFINISH
// event tells the outcome.
func (c *Client) PublishDraft(ctx context.Context, mediaID string) (int64, error) {
	body, _, err := c.do(ctx, func(token string) (*http.Request, error) {
		return postJSON(endpoint("freepublish/submit", token, nil), map[string]string{"media_id": mediaID})
	})
	if err != nil {
		return 0, err
	}
	var a struct {
		PublishID json.Number `json:"publish_id"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&a); err != nil {
		return 0, fmt.Errorf("freepublish/submit: bad answer: %.200s", body)
	}
	id, err := a.PublishID.Int64()
	if err != nil || id == 0 {
		return 0, fmt.Errorf("freepublish/submit: answer without publish_id: %.200s", body)
	}
	return id, nil
}

// PublishStatus is freepublish/get's answer.
type PublishStatus struct {
	Status      int
	ArticleID   string
	ArticleURLs []string
	FailIdx     []int
}

// GetPublish is freepublish/get: where a publish job stands.
func (c *Client) GetPublish(ctx context.Context, publishID int64) (PublishStatus, error) {
	body, _, err := c.do(ctx, func(token string) (*http.Request, error) {
		return postJSON(endpoint("freepublish/get", token, nil), map[string]any{"publish_id": publishID})
	})
	if err != nil {
		return PublishStatus{}, err
	}
	var a struct {
		Status    int    `json:"publish_status"`
		ArticleID string `json:"article_id"`
		Detail    struct {
			Item []struct {
				URL string `json:"article_url"`
			} `json:"item"`
		} `json:"article_detail"`
		FailIdx []int `json:"fail_idx"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return PublishStatus{}, fmt.Errorf("freepublish/get: bad answer: %v", err)
	}
	st := PublishStatus{Status: a.Status, ArticleID: a.ArticleID, FailIdx: a.FailIdx}
	for _, it := range a.Detail.Item {
		st.ArticleURLs = append(st.ArticleURLs, it.URL)
	}
	return st, nil
}

// UploadArticleImage is media/uploadimg: an image for an article's body
// (jpg/png ≤ 1 MB), answered with its URL on WeChat.
func (c *Client) UploadArticleImage(ctx context.Context, fileName string, data []byte) (string, error) {
	body, err := c.postFile(ctx, "media/uploadimg", nil, fileName, data, nil)
	if err != nil {
		return "", err
	}
	var a struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.URL == "" {
		return "", fmt.Errorf("media/uploadimg: answer without url: %.200s", body)
	}
	return a.URL, nil
}
