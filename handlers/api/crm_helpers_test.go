package api_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
)

// crmEnv is newEnv with a WeChat client on the fake platform; configure
// adjusts the handler before its routes are registered.
func crmEnv(t *testing.T, s *models.Store, configure ...func(*api.Handler)) (*env, *api.Handler) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &api.Handler{Store: s, Log: log, WX: wxClient()}
	for _, f := range configure {
		f(h)
	}
	srv := &handlers.Server{Store: s, API: h, Metrics: metrics.New(), Log: log, Callback: &callback.Handler{}}
	return &env{t: t, store: s, router: srv.Router()}, h
}

// callHeader is call with extra request headers.
func (e *env) callHeader(token, method, path, body string, header map[string]string) result {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = "192.0.2.20:5555"
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.router.ServeHTTP(w, req)
	return result{w.Code, w.Header(), w.Body.String()}
}
