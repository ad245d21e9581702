package roles_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/freepublish"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/media/mediatest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

func TestSanitizeBody(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{`<p onclick="x()">你好<script>alert(1)</script></p>`, `<p>你好</p>`, ""},
		{`<p><a href="javascript:alert(1)">链接</a><a href="https://fivec.example/a">好</a></p>`, `<p>链接<a href="https://fivec.example/a">好</a></p>`, ""},
		{`<iframe src="https://evil"></iframe><p style="color: red; position: fixed">红</p>`, `<p style="color: red">红</p>`, ""},
		{`<p><img src="http://mmbiz.qpic.cn/fake/a.png" alt="图"></p>`, `<p><img src="http://mmbiz.qpic.cn/fake/a.png" alt="图"></p>`, ""},
		{`<p><img src="https://elsewhere.example/a.png"></p>`, "", "pictures must be uploaded"},
	} {
		got, err := roles.SanitizeBody(1, c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s\n got %s (%v)\nwant %s", c.in, got, err, c.want)
		}
	}
}

// publishEvent is the PUBLISHJOBFINISH WeChat sends for the fake's job.
func publishEvent(j fake.PublishJob, at time.Time) *message.MixMessage {
	m := &message.MixMessage{}
	m.MsgType, m.Event, m.CreateTime = message.MsgTypeEvent, message.EventPublishJobFinish, at.Unix()
	m.FromUserName = "mphelper"
	p := &m.PublishEventInfo
	p.PublishID, p.PublishStatus, p.ArticleID = j.ID, freepublish.PublishStatus(j.Status), j.ArticleID
	for i, u := range j.URLs {
		p.ArticleDetail.Item = append(p.ArticleDetail.Item, struct {
			Index      uint   `xml:"idx"`
			ArticleURL string `xml:"article_url"`
		}{uint(i + 1), u})
	}
	for _, n := range j.FailIdx {
		p.FailIndex = append(p.FailIndex, uint(n))
	}
	return m
}

// TestDraftsSavePublish writes a two-article draft with a cover from the
// library, edits it, previews it, fails to publish it (an article without
// a cover), publishes it and records PUBLISHJOBFINISH through the Center.
func TestDraftsSavePublish(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		lib, wx := newLibrary(t, s, mediatest.Kinds(t)["file"](t))
		app := wx.Account.AppID
		if err := platform.SeedFan(app, fake.Fan{OpenID: "fan-preview", Subscribed: true}); err != nil {
			t.Fatal(err)
		}
		cover, err := lib.Upload(ctx, roles.Upload{Kind: "image", FileName: "cover.png", Data: testPNG, By: 1})
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		d := &roles.Drafts{Store: s, WX: wx, Preview: wechat.NewMass(wx, 600), Log: log, Now: time.Now}

		bodyURL, err := d.UploadBodyImage(ctx, "in-body.png", testPNG)
		if err != nil || !strings.HasPrefix(bodyURL, "http://mmbiz.qpic.cn/") {
			t.Fatalf("body image: %q %v", bodyURL, err)
		}
		if _, err := d.UploadBodyImage(ctx, "in-body.gif", testPNG); models.ErrorCode(err) != models.EINVALID {
			t.Errorf("gif body image: %v", err)
		}
		if _, err := d.UploadBodyImage(ctx, "big.png", append(append([]byte{}, testPNG...), make([]byte, 1<<20)...)); err == nil || !strings.Contains(err.Error(), "at most 1 MB") {
			t.Errorf("big body image: %v", err)
		}

		arts := []roles.ArticleInput{
			{Title: "春季上新", Digest: "三款新品", CoverMediaID: cover.MediaID, Body: `<p>正文<img src="` + bodyURL + `"></p><script>x</script>`},
			{Title: "门店活动", Body: "<p>第二篇</p>"},
		}
		// Refused before WeChat: an unknown cover; nothing written.
		calls := len(platform.CallsFor(app))
		bad := append([]roles.ArticleInput{}, arts...)
		bad[1].CoverMediaID = "not-in-library"
		if _, err := d.Save(ctx, 0, bad, 5); err == nil || !strings.Contains(err.Error(), "article 2: the cover must be an image") {
			t.Fatalf("unknown cover: %v", err)
		}
		if n := len(platform.CallsFor(app)); n != calls {
			t.Errorf("a refused draft reached WeChat (%d calls)", n-calls)
		}
		// WeChat refuses (a cover the library lists but WeChat lost): no row.
		if err := s.CreateMaterial(ctx, &models.Material{MediaID: "gone-on-wechat", Kind: models.MaterialImage,
			WeChatUpdatedAt: time.Now(), SyncedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		bad[1].CoverMediaID = "gone-on-wechat"
		if _, err := d.Save(ctx, 0, bad, 5); models.ErrorCode(err) != models.EUPSTREAM || !strings.Contains(err.Error(), "errcode 40007") {
			t.Fatalf("WeChat refusal: %v", err)
		}
		if list, _ := s.NewsDrafts(ctx, false, 50); len(list) != 0 {
			t.Fatalf("a refused draft was written: %+v", list)
		}

		draft, err := d.Save(ctx, 0, arts, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(draft.Articles) != 2 || strings.Contains(draft.Articles[0].Content, "script") || !strings.Contains(draft.Articles[0].Content, bodyURL) {
			t.Fatalf("saved: %+v", draft)
		}
		first := draft.MediaID
		// An edit replaces the version on WeChat: one draft there, the new one.
		arts[1].Title = "门店活动（周末）"
		if draft, err = d.Save(ctx, draft.ID, arts, 6); err != nil {
			t.Fatal(err)
		}
		on := platform.Drafts(app)
		if draft.MediaID == first || len(on) != 1 || on[0].MediaID != draft.MediaID || on[0].Articles[1].Title != "门店活动（周末）" {
			t.Fatalf("after edit: WeChat has %+v, fivec %s", on, draft.MediaID)
		}

		if err := d.SendPreview(ctx, draft.ID, "fan-preview"); err != nil {
			t.Fatal(err)
		}
		inbox := platform.Inbox(app, "fan-preview")
		if last := inbox[len(inbox)-1]; last.Kind != "mpnews" || len(last.Articles) != 2 || last.Articles[0].Title != "春季上新" {
			t.Fatalf("preview: %+v", last)
		}
		if err := d.SendPreview(ctx, draft.ID, "nobody"); models.ErrorCode(err) != models.EUPSTREAM {
			t.Errorf("preview to an unknown fan: %v", err)
		}

		center := &roles.Center{Store: s, Log: log}
		// A PUBLISHJOBFINISH for a job fivec did not make changes nothing.
		if err := center.Handle(ctx, &roles.Turn{Msg: publishEvent(fake.PublishJob{ID: 1}, time.Now())}); err != nil {
			t.Fatal(err)
		}
		// Article 2 has no cover: WeChat takes the job, then fails it. This
		// account has no server, so the outcome is there at once and
		// Publish records it from freepublish/get; the event repeats it.
		if draft, err = d.Publish(ctx, draft.ID, 5); err != nil || draft.PublishState != models.PublishFailed {
			t.Fatalf("publish: %+v %v", draft, err)
		}
		jobs := platform.PublishJobs(app)
		if err := center.Handle(ctx, &roles.Turn{Msg: publishEvent(jobs[len(jobs)-1], time.Now())}); err != nil {
			t.Fatal(err)
		}
		draft, _ = s.NewsDraft(ctx, draft.ID)
		if draft.PublishState != models.PublishFailed || draft.PublishStatus != 3 || len(draft.FailedArticles()) != 1 || draft.FailedArticles()[0] != 2 {
			t.Fatalf("failed publish: %+v", draft)
		}
		if what, _ := wechat.DescribePublishStatus("zh", draft.PublishStatus); what != "发布失败" {
			t.Errorf("reason: %q", what)
		}

		arts[1].CoverMediaID = cover.MediaID
		// The fixed version is a new draft on WeChat: the failure stays with the old one.
		if draft, err = d.Save(ctx, draft.ID, arts, 5); err != nil || draft.PublishState != models.PublishNone {
			t.Fatalf("fix: %+v %v", draft, err)
		}
		if draft, err = d.Publish(ctx, draft.ID, 5); err != nil {
			t.Fatal(err)
		}
		jobs = platform.PublishJobs(app)
		ev := publishEvent(jobs[len(jobs)-1], time.Now())
		for range 2 { // a repeat changes nothing
			if err := center.Handle(ctx, &roles.Turn{Msg: ev}); err != nil {
				t.Fatal(err)
			}
		}
		draft, _ = s.NewsDraft(ctx, draft.ID)
		if draft.PublishState != models.PublishPublished || len(draft.URLs()) != 2 || !strings.HasPrefix(draft.URLs()[0], "http://mp.weixin.qq.com/s/") {
			t.Fatalf("published: %+v", draft)
		}
		if _, err := d.Delete(ctx, draft.ID); models.ErrorCode(err) != models.ECONFLICT {
			t.Errorf("delete a published draft: %v", err)
		}

		// Delete: on WeChat and here.
		other, err := d.Save(ctx, 0, arts[:1], 5)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Delete(ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		if len(platform.Drafts(app)) != 0 {
			t.Errorf("WeChat still has %+v", platform.Drafts(app))
		}
		if _, err := s.NewsDraft(ctx, other.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Errorf("row after delete: %v", err)
		}
	})
}
