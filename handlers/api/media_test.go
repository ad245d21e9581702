package api_test

import (
	"bytes"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/media/mediatest"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
)

var apiPNG = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{9}, 300)...)

// upload posts a multipart material with token.
func (e *env) upload(token string, fields map[string]string, filename string, data []byte) result {
	e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if filename != "" {
		fw, _ := w.CreateFormFile("file", filename)
		fw.Write(data)
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/materials", &buf)
	req.RemoteAddr = "192.0.2.20:5555"
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", w.FormDataContentType())
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	return result{rec.Code, rec.Header(), rec.Body.String()}
}

func TestMaterialsAPI(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		lib := &roles.Library{Store: s, Files: mediatest.Open(t, mediatest.FileURL(t)), WX: wxClient(), Log: log, Now: time.Now}
		srv := &handlers.Server{Store: s, API: &api.Handler{Store: s, Log: log, Library: lib},
			Metrics: metrics.New(), Log: log, Callback: &callback.Handler{}}
		e := &env{t: t, store: s, router: srv.Router()}
		marketer, agent := e.token("mk", models.RoleMarketer), e.token("ag", models.RoleAgent)

		r := e.upload(marketer, map[string]string{"kind": "image"}, "cat.png", apiPNG)
		if r.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		var m api.Material
		r.decode(t, &m)
		if m.MediaID == "" || m.Kind != "image" || !m.HasFile || m.Size != int64(len(apiPNG)) {
			t.Errorf("uploaded: %+v", m)
		}
		id := strconv.FormatUint(m.ID, 10)
		// Bad input: a clear error, nothing saved.
		for _, c := range []struct {
			fields   map[string]string
			name     string
			data     []byte
			contains string
		}{
			{map[string]string{"kind": "thumb"}, "t.png", apiPNG, "a thumb must be a jpg/jpeg file"},
			{map[string]string{"kind": "image"}, "big.png", append(append([]byte{}, apiPNG...), make([]byte, 10<<20)...), "an image may be at most 10 MB"},
			{map[string]string{"kind": "video"}, "v.mp4", []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), "a video needs a title"},
			{map[string]string{"kind": "image"}, "", nil, "choose a file"},
			{map[string]string{"kind": "gif"}, "x.gif", []byte("GIF89a"), "unknown material kind"},
		} {
			r := e.upload(marketer, c.fields, c.name, c.data)
			if r.status != http.StatusBadRequest || r.errorCode() != models.EINVALID || !bytes.Contains([]byte(r.body), []byte(c.contains)) {
				t.Errorf("%s: %d %s, want 400 with %q", c.name, r.status, r.body, c.contains)
			}
		}
		if r := e.call(agent, "GET", "/api/v1/materials/"+id+"/file", ""); r.status != 200 || r.body != string(apiPNG) || r.header.Get("Content-Type") != "image/png" {
			t.Errorf("file: %d %s %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
		}
		e.run(t, []check{
			{name: "agent reads", token: agent, method: "GET", path: "/api/v1/materials?kind=image", status: 200, contains: m.MediaID},
			{name: "counts", token: agent, method: "GET", path: "/api/v1/materials", status: 200, contains: `"counts":{"image":1,"news":0,"thumb":0,"video":0,"voice":0}`},
			{name: "bad kind", token: agent, method: "GET", path: "/api/v1/materials?kind=gif", status: 400, code: models.EINVALID},
			{name: "one", token: agent, method: "GET", path: "/api/v1/materials/" + id, status: 200, contains: `"name":"cat.png"`},
			{name: "agent cannot delete", token: agent, method: "DELETE", path: "/api/v1/materials/" + id, status: 403, code: models.EFORBIDDEN},
			{name: "agent cannot sync", token: agent, method: "POST", path: "/api/v1/materials/sync", status: 403, code: models.EFORBIDDEN},
			{name: "sync", token: marketer, method: "POST", path: "/api/v1/materials/sync", status: 202, contains: `"running":true`},
			{name: "sync again", token: marketer, method: "POST", path: "/api/v1/materials/sync", status: 409, code: models.ECONFLICT},
			{name: "sync status", token: agent, method: "GET", path: "/api/v1/materials/sync", status: 200, contains: `"running":true`},
			{name: "delete", token: marketer, method: "DELETE", path: "/api/v1/materials/" + id, status: 204},
			{name: "gone", token: agent, method: "GET", path: "/api/v1/materials/" + id, status: 404, code: models.ENOTFOUND},
		})
		counts, _ := s.MaterialCounts(t.Context())
		if counts["image"] != 0 || counts["thumb"] != 0 || counts["video"] != 0 {
			t.Errorf("left in the library: %v", counts)
		}
	})
}
