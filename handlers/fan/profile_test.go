package fan_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/handlers/fan"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestProfileFormKeepsInputAndRecordsConsent(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		srv := &handlers.Server{Store: s, Callback: &callback.Handler{}, Metrics: metrics.New(), Log: log, Fan: &fan.Handler{Store: s, Log: log}}
		router := srv.Router()
		_, m, _, _ := s.RecordInbound(ctx, models.Inbound{DedupeKey: "p", OpenID: "o_profile", MsgType: "text"})
		tok, err := s.ProfileLink(ctx, m.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		do := func(method, path string, form url.Values) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			router.ServeHTTP(rec, req)
			return rec
		}
		if rec := do("GET", "/profile/"+tok, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "完善个人资料") {
			t.Fatalf("form: %d", rec.Code)
		}
		if rec := do("GET", "/profile/not-a-token", nil); rec.Code != 404 {
			t.Fatalf("bad token: %d", rec.Code)
		}
		// No consent: refused, nothing stored, what was typed is still there.
		rec := do("POST", "/profile/"+tok, url.Values{"name": {"小王"}, "region": {"深圳"}})
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "请先勾选同意") || !strings.Contains(rec.Body.String(), `value="小王"`) {
			t.Fatalf("no consent: %d %s", rec.Code, rec.Body.String())
		}
		if p, _ := s.Profile(ctx, m.ID); p != nil {
			t.Fatal("profile stored without consent")
		}
		rec = do("POST", "/profile/"+tok, url.Values{"name": {"小王"}, "phone": {"abc"}, "consent": {"yes"}})
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "手机号格式不正确") {
			t.Fatalf("bad phone: %d", rec.Code)
		}
		rec = do("POST", "/profile/"+tok, url.Values{"name": {"小王"}, "region": {"广东 深圳"}, "birthday": {"1990-05-01"}, "consent": {"yes"}})
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "已保存") {
			t.Fatalf("save: %d", rec.Code)
		}
		p, _ := s.Profile(ctx, m.ID)
		if p == nil || p.Name != "小王" || p.ConsentAt.IsZero() {
			t.Fatalf("stored: %+v", p)
		}
		if rec := do("GET", "/profile/"+tok, nil); !strings.Contains(rec.Body.String(), `value="广东 深圳"`) {
			t.Fatal("saved profile not shown again")
		}
		_ = http.StatusOK
	})
}
