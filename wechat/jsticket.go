package wechat

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/credential"
)

// JSTicketKey is the key the shared jsapi_ticket of appID is kept under,
// beside the access token (same table or Redis keys, its own row).
func JSTicketKey(appID string) string { return "jsapi:" + appID }

// JSTicket returns the jsapi_ticket source of c, shared with the other
// processes through store with the access token's rules (one process
// refreshes it, a little before its 7200 s run out; the others read it).
// The ticket is fetched with c's access token.
func (c *Client) JSTicket(store TokenStore, holder string) *SharedToken {
	acct := c.Account
	acct.AppID = JSTicketKey(c.Account.AppID)
	return &SharedToken{Store: store, Account: acct, Holder: holder, Fetch: c.fetchJSTicket}
}

// fetchJSTicket asks WeChat for a jsapi_ticket (/cgi-bin/ticket/getticket).
func (c *Client) fetchJSTicket(ctx context.Context) (string, time.Duration, error) {
	var res credential.ResTicket
	err := c.call(ctx, func() error {
		tok, err := c.OA.GetAccessTokenContext(ctx)
		if err != nil {
			return err
		}
		res, err = credential.GetTicketFromServerContext(ctx, tok)
		return err
	})
	if err != nil {
		return "", 0, fmt.Errorf("fetch jsapi_ticket: %w", err)
	}
	if res.Ticket == "" || res.ExpiresIn <= 0 {
		return "", 0, errors.New("fetch jsapi_ticket: WeChat answered without a ticket")
	}
	return res.Ticket, time.Duration(res.ExpiresIn) * time.Second, nil
}

// JSConfig is what a page passes to wx.config.
type JSConfig struct {
	AppID     string `json:"appId"`
	Timestamp int64  `json:"timestamp"`
	NonceStr  string `json:"nonceStr"`
	Signature string `json:"signature"`
}

// JSSignature is the wx.config signature (wechat-platform.md §12): the
// SHA-1 of jsapi_ticket=…&noncestr=…&timestamp=…&url=… with the page's URL
// as the browser has it, without its #fragment.
func JSSignature(ticket, nonce string, timestamp int64, pageURL string) string {
	if i := strings.IndexByte(pageURL, '#'); i >= 0 {
		pageURL = pageURL[:i]
	}
	sum := sha1.Sum([]byte(fmt.Sprintf("jsapi_ticket=%s&noncestr=%s&timestamp=%d&url=%s", ticket, nonce, timestamp, pageURL)))
	return hex.EncodeToString(sum[:])
}
