package fake

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/draft"
	"github.com/silenceper/wechat/v2/officialaccount/freepublish"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// TestDraftsAndPublishing drives the 草稿箱 and 发布 endpoints through the
// SDK: add, get, update, count, batchget, a preview that shows the cards,
// a failed publish (no cover) and a successful one with PUBLISHJOBFINISH,
// the platform's refusals, and the state kept across a restart.
func TestDraftsAndPublishing(t *testing.T) {
	t.Parallel()
	const app = "wx-drafts"
	events := make(chan *message.MixMessage, 8)
	acct := Account{AppID: app, Token: "t"}
	cs := newCallbackServer(t, acct, func(m *message.MixMessage) *message.Reply {
		if m.Event == message.EventPublishJobFinish {
			events <- m
		}
		return nil
	})
	acct.CallbackURL = cs.URL
	state := FileState{Path: filepath.Join(t.TempDir(), "state.json")}
	s, _ := newFake(t, Options{State: state, TokenTTL: 365 * 24 * time.Hour}, acct)
	if err := s.SeedFan(app, Fan{OpenID: "fan-1", Subscribed: true}); err != nil {
		t.Fatal(err)
	}
	tok := fetchToken(t, s, app)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 50)...)
	cover := uploadTo(t, s, "/cgi-bin/material/add_material", "access_token="+tok+"&type=image", "cover.png", png, "")["media_id"].(string)
	body := uploadTo(t, s, "/cgi-bin/media/uploadimg", "access_token="+tok, "in-body.png", png, "")
	if u, _ := body["url"].(string); !strings.HasPrefix(u, "http://mmbiz.qpic.cn/") {
		t.Fatalf("uploadimg: %v", body)
	}

	dr := draft.NewDraft(sdk(t, s, app).GetContext())
	_, err := dr.AddDraft([]*draft.Article{{Title: "春", Content: "<p>x</p>", ThumbMediaID: "nope"}})
	wantErrCode(t, err, 40007)
	_, err = dr.AddDraft(nil)
	wantErrCode(t, err, 44003)
	_, err = dr.AddDraft([]*draft.Article{{Title: "", Content: "<p>x</p>"}})
	wantErrCode(t, err, 44004)

	id, err := dr.AddDraft([]*draft.Article{
		{Title: "春季上新", Digest: "三款新品", Content: "<p>正文</p>", ThumbMediaID: cover},
		{Title: "门店活动", Content: "<p>第二篇</p>"},
	})
	if err != nil || id == "" {
		t.Fatalf("draft/add: %q, %v", id, err)
	}
	if err := dr.UpdateDraft(&draft.Article{Title: "门店活动（更新）", Content: "<p>改</p>"}, id, 1); err != nil {
		t.Fatalf("draft/update: %v", err)
	}
	wantErrCode(t, dr.UpdateDraft(&draft.Article{Title: "x", Content: "y"}, id, 5), 40035)
	wantErrCode(t, dr.UpdateDraft(&draft.Article{Title: "x", Content: "y"}, "fake-draft-none", 0), 40007)
	arts, err := dr.GetDraft(id)
	if err != nil || len(arts) != 2 || arts[1].Title != "门店活动（更新）" {
		t.Fatalf("draft/get: %+v, %v", arts, err)
	}
	if n, err := dr.CountDraft(); err != nil || n != 1 {
		t.Fatalf("draft/count: %d, %v", n, err)
	}
	page, err := dr.PaginateDraft(0, 20, true)
	if err != nil || page.TotalCount != 1 || page.Item[0].MediaID != id || page.Item[0].Content.NewsItem[0].Content != "" {
		t.Fatalf("draft/batchget: %+v, %v", page, err)
	}

	// A preview of the draft shows its cards in the fan's phone.
	_, _, b := call(t, s, "POST", "/cgi-bin/message/mass/preview?access_token="+tok,
		map[string]any{"touser": "fan-1", "msgtype": "mpnews", "mpnews": map[string]string{"media_id": id}})
	wantCode(t, answerOf(t, b), 0)
	got := outbox(s, app, "fan-1", SourcePreview)
	if len(got) != 1 || len(got[0].Articles) != 2 || got[0].Articles[0].Title != "春季上新" ||
		got[0].Articles[0].Description != "三款新品" || !strings.HasPrefix(got[0].Articles[0].PicURL, "http://mmbiz.qpic.cn/") {
		t.Fatalf("preview: %+v", got)
	}

	// The second article has no cover: the publish fails, article 2 named.
	fp := freepublish.NewFreePublish(sdk(t, s, app).GetContext())
	pid, err := fp.Publish(id)
	if err != nil {
		t.Fatalf("freepublish/submit: %v", err)
	}
	ev := waitPublish(t, events)
	if ev.PublishEventInfo.PublishID != pid || ev.PublishEventInfo.PublishStatus != freepublish.PublishStatusFail ||
		len(ev.PublishEventInfo.FailIndex) != 1 || ev.PublishEventInfo.FailIndex[0] != 2 {
		t.Fatalf("failed PUBLISHJOBFINISH: %+v", ev.PublishEventInfo)
	}
	if err := dr.UpdateDraft(&draft.Article{Title: "门店活动", Content: "<p>改</p>", ThumbMediaID: cover}, id, 1); err != nil {
		t.Fatal(err)
	}
	pid, err = fp.Publish(id)
	if err != nil {
		t.Fatal(err)
	}
	ev = waitPublish(t, events)
	info := ev.PublishEventInfo
	if info.PublishID != pid || info.PublishStatus != freepublish.PublishStatusSuccess || info.ArticleDetail.Count != 2 ||
		!strings.HasPrefix(info.ArticleDetail.Item[1].ArticleURL, "http://mp.weixin.qq.com/s/") {
		t.Fatalf("PUBLISHJOBFINISH: %+v", info)
	}
	st, err := fp.SelectStatus(pid)
	if err != nil || st.PublishStatus != freepublish.PublishStatusSuccess || len(st.ArticleDetail.Items) != 2 {
		t.Fatalf("freepublish/get: %+v, %v", st, err)
	}
	list, err := fp.Paginate(0, 20, false)
	if err != nil || list.TotalCount != 1 || list.Item[0].Content.NewsItem[0].Title != "春季上新" {
		t.Fatalf("freepublish/batchget: %+v, %v", list, err)
	}
	if n, _ := dr.CountDraft(); n != 0 {
		t.Fatalf("a published draft stays in the 草稿箱: %d", n)
	}
	_, err = fp.Publish(id)
	wantErrCode(t, err, 40007)

	// After a restart the jobs and the other drafts are still there.
	id2, err := dr.AddDraft([]*draft.Article{{Title: "留存", Content: "<p>y</p>", ThumbMediaID: cover}})
	if err != nil {
		t.Fatal(err)
	}
	s2 := New(Options{State: state})
	if d := s2.Drafts(app); len(d) != 1 || d[0].MediaID != id2 {
		t.Fatalf("drafts after restart: %+v", d)
	}
	if j := s2.PublishJobs(app); len(j) != 2 || j[1].Status != PublishSuccess || len(j[1].URLs) != 2 {
		t.Fatalf("publish jobs after restart: %+v", j)
	}
}

func waitPublish(t *testing.T, events chan *message.MixMessage) *message.MixMessage {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no PUBLISHJOBFINISH event")
	}
	return nil
}
