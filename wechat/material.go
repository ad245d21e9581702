package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// The permanent-material API (素材管理, wechat-platform.md §10). The SDK's
// material calls take no context, read whole files from disk and bury the
// errcode in text, so fivec makes these requests itself, through the SDK's
// HTTP client (timeouts, metrics) and token, with the usual token retry.

// MaterialUpload is one file for add_material.
type MaterialUpload struct {
	Kind     string // image, voice, video, thumb
	FileName string
	Data     []byte
	// Title and Introduction describe a video (required for video).
	Title, Introduction string
}

// MaterialItem is one entry of batchget_material.
type MaterialItem struct {
	MediaID    string
	Name       string
	URL        string
	UpdateTime time.Time
	// Articles are a news material's articles (title and cover).
	Articles []MaterialArticle
}

// MaterialArticle is what fivec keeps of a news article in the list.
type MaterialArticle struct {
	Title        string `json:"title"`
	ThumbMediaID string `json:"thumb_media_id"`
	URL          string `json:"url"`
}

// MaterialPage is one page of batchget_material.
type MaterialPage struct {
	Total int
	Items []MaterialItem
}

// MaterialCount is get_materialcount's answer.
type MaterialCount struct {
	Image int `json:"image_count"`
	Voice int `json:"voice_count"`
	Video int `json:"video_count"`
	News  int `json:"news_count"`
}

// endpoint is the URL of a /cgi-bin path on the API base (real or fake).
func endpoint(path, token string, q url.Values) string {
	b, _ := apiBase.Load().(string)
	if b == "" {
		b = RealAPIBase
	}
	if q == nil {
		q = url.Values{}
	}
	q.Set("access_token", token)
	return b + "/cgi-bin/" + path + "?" + q.Encode()
}

// wxAnswer is the errcode part of an answer.
type wxAnswer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// do sends one request built by mk (given the token) and returns the body
// and content type, turning an errcode into an *APIError. The token retry
// of call applies.
func (c *Client) do(ctx context.Context, mk func(token string) (*http.Request, error)) ([]byte, string, error) {
	var body []byte
	var ctype string
	err := c.call(ctx, func() error {
		token, err := c.OA.GetAccessTokenContext(ctx)
		if err != nil {
			return err
		}
		req, err := mk(token)
		if err != nil {
			return err
		}
		resp, err := util.DefaultHTTPClient.Do(req.WithContext(ctx))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err = io.ReadAll(io.LimitReader(resp.Body, 32<<20))
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: HTTP %d", req.URL.Path, resp.StatusCode)
		}
		ctype = resp.Header.Get("Content-Type")
		if strings.Contains(ctype, "json") || strings.HasPrefix(ctype, "text/plain") || bytes.HasPrefix(bytes.TrimSpace(body), []byte(`{"errcode"`)) {
			var a wxAnswer
			if json.Unmarshal(body, &a) == nil && a.ErrCode != 0 {
				return &util.CommonError{ErrCode: int64(a.ErrCode), ErrMsg: a.ErrMsg}
			}
		}
		return nil
	})
	return body, ctype, err
}

func postJSON(u string, v any) (*http.Request, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(b))
	if err == nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	return req, err
}

// postFile sends data as the multipart field "media" (named fileName, with
// the plain fields besides) to path with query, and returns WeChat's answer.
// Every upload (material/add_material, media/upload, media/uploadimg) goes
// through it.
func (c *Client) postFile(ctx context.Context, path string, query url.Values, fileName string, data []byte, fields map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("media", fileName)
	if err != nil {
		return nil, err
	}
	fw.Write(data)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	body, _, err := c.do(ctx, func(token string) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, endpoint(path, token, query), bytes.NewReader(buf.Bytes()))
		if err == nil {
			req.Header.Set("Content-Type", w.FormDataContentType())
		}
		return req, err
	})
	return body, err
}

// AddMaterial uploads a permanent material and returns its media_id (and,
// for an image, its URL on WeChat).
func (c *Client) AddMaterial(ctx context.Context, up MaterialUpload) (mediaID, imageURL string, err error) {
	var fields map[string]string
	if up.Kind == "video" {
		desc, _ := json.Marshal(map[string]string{"title": up.Title, "introduction": up.Introduction})
		fields = map[string]string{"description": string(desc)}
	}
	body, err := c.postFile(ctx, "material/add_material", url.Values{"type": {up.Kind}}, up.FileName, up.Data, fields)
	if err != nil {
		return "", "", err
	}
	var a struct {
		MediaID string `json:"media_id"`
		URL     string `json:"url"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.MediaID == "" {
		return "", "", fmt.Errorf("add_material: answer without media_id: %.200s", body)
	}
	return a.MediaID, a.URL, nil
}

// BatchGetMaterial lists one page (count ≤ 20) of the permanent materials
// of kind (image, voice, video, news), newest first.
func (c *Client) BatchGetMaterial(ctx context.Context, kind string, offset, count int) (MaterialPage, error) {
	body, _, err := c.do(ctx, func(token string) (*http.Request, error) {
		return postJSON(endpoint("material/batchget_material", token, nil), map[string]any{"type": kind, "offset": offset, "count": count})
	})
	if err != nil {
		return MaterialPage{}, err
	}
	var a struct {
		Total int `json:"total_count"`
		Item  []struct {
			MediaID    string `json:"media_id"`
			Name       string `json:"name"`
			URL        string `json:"url"`
			UpdateTime int64  `json:"update_time"`
			Content    struct {
				NewsItem []MaterialArticle `json:"news_item"`
			} `json:"content"`
		} `json:"item"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return MaterialPage{}, fmt.Errorf("batchget_material: bad answer: %v", err)
	}
	p := MaterialPage{Total: a.Total}
	for _, it := range a.Item {
		p.Items = append(p.Items, MaterialItem{MediaID: it.MediaID, Name: it.Name, URL: it.URL,
			UpdateTime: time.Unix(it.UpdateTime, 0).UTC(), Articles: it.Content.NewsItem})
	}
	return p, nil
}

// CountMaterials is get_materialcount.
func (c *Client) CountMaterials(ctx context.Context) (MaterialCount, error) {
	body, _, err := c.do(ctx, func(token string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, endpoint("material/get_materialcount", token, nil), nil)
	})
	var n MaterialCount
	if err == nil {
		err = json.Unmarshal(body, &n)
	}
	return n, err
}

// GetMaterial downloads an image, voice or thumb material's bytes.
func (c *Client) GetMaterial(ctx context.Context, mediaID string) ([]byte, string, error) {
	return c.do(ctx, func(token string) (*http.Request, error) {
		return postJSON(endpoint("material/get_material", token, nil), map[string]string{"media_id": mediaID})
	})
}

// DeleteMaterial is del_material.
func (c *Client) DeleteMaterial(ctx context.Context, mediaID string) error {
	_, _, err := c.do(ctx, func(token string) (*http.Request, error) {
		return postJSON(endpoint("material/del_material", token, nil), map[string]string{"media_id": mediaID})
	})
	return err
}
