package wechat

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/fivec/fivec/models"
)

// IssueQR makes the code of a channel (a roles.QRIssuer): temporary for
// expire, permanent when expire is 0. A refusal is an *APIError with
// WeChat's errcode.
func (c *Client) IssueQR(ctx context.Context, scene string, expire time.Duration) (ticket, url string, expireSeconds int64, err error) {
	qr, err := c.CreateQR(ctx, scene, expire)
	if err != nil {
		return "", "", 0, err
	}
	return qr.Ticket, qr.URL, qr.ExpireSeconds, nil
}

// maxQRImage bounds a downloaded code image (WeChat's are ~30 KB).
const maxQRImage = 2 << 20

// QRImage downloads the PNG of a code from showqrcode, through the same
// HTTP client as every other WeChat call. The console proxies it so staff
// get a file and their browsers never talk to WeChat.
func (c *Client) QRImage(ctx context.Context, ticket string) (data []byte, contentType string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.QRImageURL(ticket), nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := util.DefaultHTTPClient.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("showqrcode: %s", Scrub(err.Error()))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, "", models.Errorf(models.ENOTFOUND, "WeChat no longer has this QR code (it may have expired)")
	}
	contentType = resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(contentType, "image/") {
		return nil, "", fmt.Errorf("showqrcode: HTTP %d, %q", resp.StatusCode, contentType)
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, maxQRImage+1))
	if err != nil {
		return nil, "", fmt.Errorf("showqrcode: %w", err)
	}
	if len(data) > maxQRImage {
		return nil, "", fmt.Errorf("showqrcode: image over %d bytes", maxQRImage)
	}
	return data, contentType, nil
}
