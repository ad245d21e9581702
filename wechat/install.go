// Package wechat is everything that talks to WeChat: it sets up the SDK
// (API host, HTTP client, token cache, retries) and sends messages to fans.
package wechat

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/util"
	"github.com/sirupsen/logrus"

	"github.com/fivec/fivec/metrics"
)

// RealAPIBase is the host the SDK's URLs are written against.
const RealAPIBase = "https://api.weixin.qq.com"

// The SDK keeps its HTTP client and URL rewriter in package variables. fivec
// sets them exactly once per process (installOnce) and keeps what may vary
// (the API base, the metrics sink) behind atomics, so tests can share one
// installation.
var (
	installOnce sync.Once
	apiBase     atomic.Value // string
	sink        atomic.Pointer[metrics.Metrics]
)

// Install points the SDK at apiBase (the real WeChat, or a fake), gives it an
// HTTP client with timeouts that records every call in m, and silences the
// SDK's logrus, which would otherwise log fans' messages at debug level.
// Calling it again changes the base and the metrics sink.
func Install(base string, m *metrics.Metrics) {
	apiBase.Store(strings.TrimRight(base, "/"))
	sink.Store(m)
	installOnce.Do(func() {
		logrus.SetLevel(logrus.WarnLevel)
		logrus.SetOutput(io.Discard)
		util.SetURIModifier(func(u string) string {
			b, _ := apiBase.Load().(string)
			if b == "" || b == RealAPIBase {
				return u
			}
			return strings.Replace(u, RealAPIBase, b, 1)
		})
		util.DefaultHTTPClient = &http.Client{
			Timeout: 10 * time.Second,
			Transport: &observedTransport{next: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				MaxIdleConnsPerHost: 64,
				IdleConnTimeout:     90 * time.Second,
				TLSHandshakeTimeout: 5 * time.Second,
			}},
		}
	})
}

// observedTransport counts WeChat API calls by endpoint and errcode.
type observedTransport struct{ next http.RoundTripper }

func (t *observedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	endpoint := strings.TrimPrefix(req.URL.Path, "/cgi-bin/")
	if b, _ := apiBase.Load().(string); b != "" {
		if i := strings.Index(b, "://"); i >= 0 {
			if j := strings.Index(b[i+3:], "/"); j >= 0 {
				endpoint = strings.TrimPrefix(strings.TrimPrefix(req.URL.Path, b[i+3+j:]), "/cgi-bin/")
			}
		}
	}
	resp, err := t.next.RoundTrip(req)
	m := sink.Load()
	if m == nil {
		return resp, err
	}
	code := "transport_error"
	if err == nil {
		code = "http_" + strconv.Itoa(resp.StatusCode)
		if resp.StatusCode == http.StatusOK && strings.Contains(resp.Header.Get("Content-Type"), "json") {
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(body))
			if rerr == nil {
				var e struct {
					ErrCode int `json:"errcode"`
				}
				_ = json.Unmarshal(body, &e)
				code = strconv.Itoa(e.ErrCode)
			}
		} else if resp.StatusCode == http.StatusOK {
			code = "0"
		}
	}
	m.WeChatCalls.WithLabelValues(endpoint, code).Inc()
	return resp, err
}
