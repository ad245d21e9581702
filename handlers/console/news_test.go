package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/media/mediatest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// TestNewsDraftPages drives the 图文草稿 pages through the router: a
// marketer writes a two-article draft (adding an article, a cover from the
// library, a script stripped), is refused in Chinese for an unknown cover
// and a picture from another site, previews it to a fan, publishes it and
// sees the failure (second article without a cover) in words; agents read
// only.
func TestNewsDraftPages(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		wx := wxClient()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		lib := &roles.Library{Store: s, Files: mediatest.Open(t, mediatest.FileURL(t)), WX: wx, Log: log, Now: time.Now}
		drafts := &roles.Drafts{Store: s, WX: wx, Preview: wechat.NewMass(wx, 600), Log: log, Now: time.Now}
		a := newApp(t, s, false, func(a *app, h *console.Handler) { h.Library, h.Drafts = lib, drafts })
		a.staff("mk", models.RoleMarketer)
		a.staff("ag", models.RoleAgent)
		if err := platform.SeedFan(wx.Account.AppID, fake.Fan{OpenID: "fan-news", Subscribed: true}); err != nil {
			t.Fatal(err)
		}
		cover, err := lib.Upload(ctx, roles.Upload{Kind: "image", FileName: "封面.png", Data: conPNG})
		if err != nil {
			t.Fatal(err)
		}
		mk := a.browser().login("mk")
		expect(t, mk.get("/console/news"), 200, "图文草稿", "还没有草稿", `id="nav-news"`, `href="/console/news/new"`)
		expect(t, mk.get("/console/news/new"), 200, `name="a0.title"`, "从素材库选择封面", "封面.png", "插入图片")

		form := url.Values{"n": {"1"}, "a0.title": {"春季上新"}, "a0.digest": {"三款新品"}, "a0.cover": {cover.MediaID},
			"a0.body": {`<p>正文</p><script>alert(1)</script>`}, "op": {"add"}}
		r := mk.submit("/console/news/new", "/console/news", form)
		expect(t, r, 200, `name="a1.title"`, `value="春季上新"`, "第 2 篇")
		form.Del("op")
		form.Set("n", "2")
		form.Set("a1.title", "门店活动")
		form.Set("a1.body", `<p><img src="https://elsewhere.example/x.png"></p>`)
		expect(t, mk.submit("/console/news/new", "/console/news", form), http.StatusBadRequest, "第 2 篇里有来自其他网站的图片")
		form.Set("a1.body", "<p>周末活动</p>")
		form.Set("a1.cover", "no-such-cover")
		expect(t, mk.submit("/console/news/new", "/console/news", form), http.StatusBadRequest, "第 2 篇的封面必须是素材库里的图片")
		if list, _ := s.NewsDrafts(ctx, false, 10); len(list) != 0 {
			t.Fatalf("refused drafts saved: %+v", list)
		}
		form.Set("a1.cover", "")
		r = mk.submit("/console/news/new", "/console/news", form)
		loc := r.Header().Get("Location")
		m := regexp.MustCompile(`^/console/news/(\d+)\?done=news.saved$`).FindStringSubmatch(loc)
		if r.Code != http.StatusSeeOther || m == nil {
			t.Fatalf("save: %d %s %s", r.Code, loc, r.body())
		}
		page := mk.get(loc)
		expect(t, page, 200, "已保存", "春季上新", "门店活动", "发送预览", "确定发布「春季上新」吗？", "确定删除草稿「春季上新」吗？")
		if strings.Contains(page.body(), "alert(1)") {
			t.Error("the script was kept")
		}

		id := m[1]
		expect(t, mk.submit(loc, "/console/news/"+id+"/preview", url.Values{"openid": {""}}), http.StatusBadRequest, "请填写要接收预览的粉丝")
		r = mk.submit(loc, "/console/news/"+id+"/preview", url.Values{"openid": {"fan-news"}})
		if r.Code != http.StatusSeeOther {
			t.Fatalf("preview: %d %s", r.Code, r.body())
		}
		inbox := platform.Inbox(wx.Account.AppID, "fan-news")
		if got := inbox[len(inbox)-1]; got.Kind != "mpnews" || len(got.Articles) != 2 || got.Articles[0].Description != "三款新品" {
			t.Fatalf("the fan's phone: %+v", got)
		}

		r = mk.submit(loc, "/console/news/"+id+"/publish", nil)
		if r.Code != http.StatusSeeOther {
			t.Fatalf("publish: %d %s", r.Code, r.body())
		}
		// This account has no server: the outcome is known at once.
		expect(t, mk.get(r.Header().Get("Location")), 200, "已提交发布", "发布失败")
		expect(t, mk.get("/console/news"), 200, "发布失败", "原因：发布失败（第 2 篇）。检查标出的文章是否都有封面")

		// Agents read; the forms are not theirs.
		ag := a.browser().login("ag")
		page = ag.get("/console/news/" + id)
		expect(t, page, 200, "春季上新", "你的角色只能查看图文")
		if strings.Contains(page.body(), `id="news-publish"`) || strings.Contains(page.body(), `id="news-save"`) {
			t.Error("an agent is offered publish or save")
		}
		tok := ag.csrf("/console/news")
		for _, p := range []string{"/console/news/" + id + "/publish", "/console/news/" + id + "/delete", "/console/news"} {
			if r := ag.post(p, url.Values{"csrf_token": {tok}}); r.Code != http.StatusForbidden {
				t.Errorf("agent POST %s: %d", p, r.Code)
			}
		}
		expect(t, ag.get("/console/news/new"), http.StatusForbidden)

		// Delete (asks first in the page; here the POST itself).
		r = mk.submit(loc, "/console/news/"+id+"/delete", nil)
		if r.Code != http.StatusSeeOther {
			t.Fatalf("delete: %d %s", r.Code, r.body())
		}
		expect(t, mk.get("/console/news?done=news.deleted"), 200, "草稿已删除", "还没有草稿")
		if len(platform.Drafts(wx.Account.AppID)) != 0 {
			t.Error("the draft is still on WeChat")
		}
	})
}
