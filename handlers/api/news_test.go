package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
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
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// TestNewsDraftsAPI: save, refuse (unknown cover, picture from another
// site, WeChat's 40007), read, preview, publish and fail, delete; agents
// read only.
func TestNewsDraftsAPI(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		wx := wxClient()
		lib := &roles.Library{Store: s, Files: mediatest.Open(t, mediatest.FileURL(t)), WX: wx, Log: log, Now: time.Now}
		drafts := &roles.Drafts{Store: s, WX: wx, Preview: wechat.NewMass(wx, 600), Log: log, Now: time.Now}
		srv := &handlers.Server{Store: s, API: &api.Handler{Store: s, Log: log, Library: lib, Drafts: drafts},
			Metrics: metrics.New(), Log: log, Callback: &callback.Handler{}}
		e := &env{t: t, store: s, router: srv.Router()}
		marketer, agent := e.token("mk", models.RoleMarketer), e.token("ag", models.RoleAgent)
		if err := platform.SeedFan(wx.Account.AppID, fake.Fan{OpenID: "fan-api", Subscribed: true}); err != nil {
			t.Fatal(err)
		}
		cover, err := lib.Upload(ctx, roles.Upload{Kind: "image", FileName: "c.png", Data: apiPNG})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateMaterial(ctx, &models.Material{MediaID: "lost-on-wechat", Kind: models.MaterialImage, WeChatUpdatedAt: time.Now(), SyncedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		body := func(cover2, content2 string) string {
			b, _ := json.Marshal(map[string]any{"articles": []map[string]any{
				{"title": "春季上新", "digest": "三款", "cover_media_id": cover.MediaID, "content": "<p>正文</p>", "open_comment": true},
				{"title": "门店活动", "cover_media_id": cover2, "content": content2},
			}})
			return string(b)
		}
		e.run(t, []check{
			{name: "agent cannot save", token: agent, method: "POST", path: "/api/v1/news/drafts", body: body("", "<p>x</p>"), status: 403, code: models.EFORBIDDEN},
			{name: "unknown cover", token: marketer, method: "POST", path: "/api/v1/news/drafts", body: body("nope", "<p>x</p>"), status: 400, code: models.EINVALID, contains: "article 2: the cover must be an image"},
			{name: "foreign picture", token: marketer, method: "POST", path: "/api/v1/news/drafts", body: body("", `<img src="https://x.example/a.png">`), status: 400, code: models.EINVALID, contains: "pictures must be uploaded"},
			{name: "WeChat refuses", token: marketer, method: "POST", path: "/api/v1/news/drafts", body: body("lost-on-wechat", "<p>x</p>"), status: 502, code: models.EUPSTREAM, contains: "errcode 40007"},
			{name: "no articles", token: marketer, method: "POST", path: "/api/v1/news/drafts", body: `{"articles":[]}`, status: 400, code: models.EINVALID},
		})
		if list, _ := s.NewsDrafts(ctx, false, 10); len(list) != 0 {
			t.Fatalf("refused drafts saved: %+v", list)
		}
		r := e.call(marketer, "POST", "/api/v1/news/drafts", body("", "<p>x</p><script>1</script>"))
		if r.status != http.StatusCreated {
			t.Fatalf("save: %d %s", r.status, r.body)
		}
		var d api.NewsDraft
		r.decode(t, &d)
		if d.MediaID == "" || len(d.Articles) != 2 || strings.Contains(d.Articles[1].Content, "script") || !d.Articles[0].OpenComment || d.PublishState != "draft" {
			t.Fatalf("saved: %+v", d)
		}
		id := strconv.FormatUint(d.ID, 10)
		e.run(t, []check{
			{name: "agent reads", token: agent, method: "GET", path: "/api/v1/news/drafts", status: 200, contains: d.MediaID},
			{name: "one", token: agent, method: "GET", path: "/api/v1/news/drafts/" + id, status: 200, contains: `"title":"门店活动"`},
			{name: "bad state", token: agent, method: "GET", path: "/api/v1/news/drafts?state=x", status: 400, code: models.EINVALID},
			{name: "preview to nobody", token: marketer, method: "POST", path: "/api/v1/news/drafts/" + id + "/preview", body: `{"openid":"nobody"}`, status: 502, code: models.EUPSTREAM, contains: "errcode 40003"},
			{name: "preview", token: marketer, method: "POST", path: "/api/v1/news/drafts/" + id + "/preview", body: `{"openid":"fan-api"}`, status: 200},
			{name: "agent cannot publish", token: agent, method: "POST", path: "/api/v1/news/drafts/" + id + "/publish", status: 403, code: models.EFORBIDDEN},
			// This account has no server: the outcome (article 2 has no
			// cover) is known at once through freepublish/get.
			{name: "publish", token: marketer, method: "POST", path: "/api/v1/news/drafts/" + id + "/publish", status: 202, contains: `"publish_state":"failed"`},
		})
		jobs := platform.PublishJobs(wx.Account.AppID)
		j := jobs[len(jobs)-1]
		if _, err := s.RecordPublishFinish(ctx, models.PublishFinish{PublishID: j.ID, Status: j.Status, FailIdx: j.FailIdx}, time.Now()); err != nil {
			t.Fatal(err)
		}
		e.run(t, []check{
			{name: "failure in words", token: agent, method: "GET", path: "/api/v1/news/drafts/" + id, status: 200, contains: `"failed_articles":[2],"publish_reason":"发布失败"`},
			{name: "delete", token: marketer, method: "DELETE", path: "/api/v1/news/drafts/" + id, status: 204},
			{name: "gone", token: agent, method: "GET", path: "/api/v1/news/drafts/" + id, status: 404, code: models.ENOTFOUND},
		})
	})
}
