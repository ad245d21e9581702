package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Temporary media (wechat-platform.md §10): fans' images, voice notes and
// videos arrive as media ids that media/get downloads for 3 days, and an
// agent's picture goes out as a media/upload id, also good for 3 days.

// GetTempMedia downloads a temporary medium: its bytes and content type.
// For a video WeChat answers with a video_url instead, which GetTempMedia
// follows. An expired or unknown id is errcode 40007 (an *APIError).
func (c *Client) GetTempMedia(ctx context.Context, mediaID string) ([]byte, string, error) {
	body, ctype, err := c.do(ctx, func(token string) (*http.Request, error) {
		return http.NewRequest(http.MethodGet, endpoint("media/get", token, url.Values{"media_id": {mediaID}}), nil)
	})
	if err != nil {
		return nil, "", err
	}
	var v struct {
		VideoURL string `json:"video_url"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) && json.Unmarshal(body, &v) == nil && v.VideoURL != "" {
		return c.download(ctx, v.VideoURL)
	}
	return body, ctype, nil
}

// download fetches a plain URL WeChat gave (a video's).
func (c *Client) download(ctx context.Context, u string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("video download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("video download: HTTP %d", resp.StatusCode)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, 32<<20)); err != nil {
		return nil, "", fmt.Errorf("video download: %w", err)
	}
	return buf.Bytes(), resp.Header.Get("Content-Type"), nil
}

// UploadTempMedia uploads a temporary medium (kind image, voice, video or
// thumb) and returns its media_id, valid 3 days.
func (c *Client) UploadTempMedia(ctx context.Context, kind, fileName string, data []byte) (string, error) {
	body, err := c.postFile(ctx, "media/upload", url.Values{"type": {kind}}, fileName, data, nil)
	if err != nil {
		return "", err
	}
	var a struct {
		MediaID string `json:"media_id"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.MediaID == "" {
		return "", fmt.Errorf("media/upload: answer without media_id: %.200s", body)
	}
	return a.MediaID, nil
}
