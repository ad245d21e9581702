package fake

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Drafts and publishing (草稿箱 / 发布能力, wechat-platform.md §11):
// draft/add|get|update|delete|batchget|count and freepublish/submit|get|
// batchget. A draft's media_id is also a news media id the account may send
// (mpnews mass sends and previews), so fans' phones show its articles as
// cards. Publishing does not push anything to fans: it makes the articles'
// URLs and, a moment later, POSTs PUBLISHJOBFINISH to the account's server.

// publishEventDelay is how long after freepublish/submit PUBLISHJOBFINISH
// is POSTed.
const publishEventDelay = 300 * time.Millisecond

// maxArticleContent is the platform's limit on an article's HTML.
const maxArticleContent = 20000

// Publish statuses of PUBLISHJOBFINISH and freepublish/get.
const (
	PublishSuccess    = 0
	PublishPublishing = 1
	PublishFailed     = 3
)

// DraftArticle is one article of a draft, as draft/add takes it.
type DraftArticle struct {
	Title              string `json:"title"`
	Author             string `json:"author"`
	Digest             string `json:"digest"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url"`
	ThumbMediaID       string `json:"thumb_media_id"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
	// URL is the article's temporary preview address (draft/get answers it).
	URL string `json:"url"`
}

// Draft is one draft of the account's 草稿箱.
type Draft struct {
	MediaID  string
	Articles []DraftArticle
	Created  time.Time
	Updated  time.Time
	// Publishing is set while a freepublish job runs: such a draft cannot
	// be changed or deleted (the platform answers 53404-like refusals; the
	// fake uses 40035 with a hint).
	Publishing bool `json:",omitempty"`
}

// PublishJob is one freepublish/submit.
type PublishJob struct {
	ID        int64
	MediaID   string // the draft's
	Status    int
	FailIdx   []int    `json:",omitempty"` // 1-based articles that failed
	Reason    string   `json:",omitempty"` // why it failed (the fake's own hint)
	ArticleID string   `json:",omitempty"`
	URLs      []string `json:",omitempty"` // one per article, on success
	Articles  []DraftArticle
	Created   time.Time
}

// checkArticles applies the platform's rules to a draft's articles: 44003
// none, 45008 more than 8, 44004 an empty title or body, 45002 a body too
// long, 40007 a cover that is not a permanent image (or thumb) material.
func (a *account) checkArticles(arts []DraftArticle) *reply {
	bad := func(code int, hint string) *reply { r := fail(code, hint); return &r }
	if len(arts) == 0 {
		return bad(44003, "")
	}
	if len(arts) > 8 {
		return bad(45008, strconv.Itoa(len(arts))+" articles, limit 8")
	}
	for i, art := range arts {
		n := "article " + strconv.Itoa(i+1)
		if strings.TrimSpace(art.Title) == "" || strings.TrimSpace(art.Content) == "" {
			return bad(44004, n+": title and content are required")
		}
		if utf8.RuneCountInString(art.Content) >= maxArticleContent {
			return bad(45002, n+": content must be under 20000 characters")
		}
		if art.ThumbMediaID == "" {
			continue // a draft may lack a cover; publishing refuses it
		}
		m := a.materials[art.ThumbMediaID]
		if m == nil || m.Temporary || (m.Type != "image" && m.Type != "thumb") {
			return bad(40007, art.ThumbMediaID)
		}
	}
	return nil
}

// draftFor decodes {"media_id"} and finds the draft (40007 when unknown).
func (c *apiCall) draftFor() (*Draft, *reply) {
	var req mediaIDRequest
	if rep := c.decode(&req); rep != nil {
		return nil, rep
	}
	d := c.acct.drafts[req.MediaID]
	if d == nil {
		r := fail(40007, req.MediaID)
		return nil, &r
	}
	return d, nil
}

// handleDraftAdd is POST draft/add {"articles":[...]}.
func (s *Server) handleDraftAdd(c *apiCall) reply {
	var req struct {
		Articles []DraftArticle `json:"articles"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	if rep := c.acct.checkArticles(req.Articles); rep != nil {
		return *rep
	}
	d := &Draft{MediaID: "fake-draft-" + strconv.FormatInt(s.nextSeq(), 36), Articles: req.Articles,
		Created: c.now, Updated: c.now}
	s.previewURLs(d)
	c.acct.drafts[d.MediaID] = d
	c.acct.media[d.MediaID] = "news"
	return data(map[string]any{"media_id": d.MediaID})
}

// previewURLs gives each article its temporary address.
func (s *Server) previewURLs(d *Draft) {
	for i := range d.Articles {
		d.Articles[i].URL = "http://mp.weixin.qq.com/s/" + d.MediaID + "-" + strconv.Itoa(i+1)
	}
}

// handleDraftUpdate is POST draft/update {"media_id","index","articles":{...}}:
// one article replaced; 40035 for an index past the end or a draft being
// published.
func (s *Server) handleDraftUpdate(c *apiCall) reply {
	var req struct {
		MediaID  string        `json:"media_id"`
		Index    int           `json:"index"`
		Articles *DraftArticle `json:"articles"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	d := c.acct.drafts[req.MediaID]
	if d == nil {
		return fail(40007, req.MediaID)
	}
	if req.Articles == nil {
		return fail(44003, "")
	}
	if req.Index < 0 || req.Index >= len(d.Articles) {
		return fail(40035, "index "+strconv.Itoa(req.Index)+" out of range")
	}
	if d.Publishing {
		return fail(40035, "the draft is being published")
	}
	if rep := c.acct.checkArticles([]DraftArticle{*req.Articles}); rep != nil {
		return *rep
	}
	d.Articles[req.Index] = *req.Articles
	d.Updated = c.now
	s.previewURLs(d)
	return ok(nil)
}

// handleDraftGet is POST draft/get {"media_id"}.
func (s *Server) handleDraftGet(c *apiCall) reply {
	d, rep := c.draftFor()
	if rep != nil {
		return *rep
	}
	return data(map[string]any{"news_item": d.Articles, "create_time": d.Created.Unix(), "update_time": d.Updated.Unix()})
}

// handleDraftDelete is POST draft/delete {"media_id"}.
func (s *Server) handleDraftDelete(c *apiCall) reply {
	d, rep := c.draftFor()
	if rep != nil {
		return *rep
	}
	if d.Publishing {
		return fail(40035, "the draft is being published")
	}
	delete(c.acct.drafts, d.MediaID)
	delete(c.acct.media, d.MediaID)
	return ok(nil)
}

// handleDraftCount is GET draft/count.
func (s *Server) handleDraftCount(c *apiCall) reply {
	return data(map[string]any{"total_count": len(c.acct.drafts)})
}

// handleDraftBatchGet is POST draft/batchget {"offset","count","no_content"}:
// newest first, 1–20 a page.
func (s *Server) handleDraftBatchGet(c *apiCall) reply {
	var req struct {
		Offset int `json:"offset"`
		Count  int `json:"count"`
		// NoContent is 0/1 on the platform; the SDK sends a bool.
		NoContent json.RawMessage `json:"no_content"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	if req.Offset < 0 || req.Count < 1 || req.Count > 20 {
		return fail(40035, "count must be 1-20, offset >= 0")
	}
	all := make([]*Draft, 0, len(c.acct.drafts))
	for _, d := range c.acct.drafts {
		all = append(all, d)
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].Updated.Equal(all[j].Updated) {
			return all[i].Updated.After(all[j].Updated)
		}
		return all[i].MediaID > all[j].MediaID
	})
	items := []map[string]any{}
	for i := req.Offset; i < len(all) && i < req.Offset+req.Count; i++ {
		arts := append([]DraftArticle(nil), all[i].Articles...)
		if nc := string(req.NoContent); nc == "1" || nc == "true" {
			for k := range arts {
				arts[k].Content = ""
			}
		}
		items = append(items, map[string]any{"media_id": all[i].MediaID, "update_time": all[i].Updated.Unix(),
			"content": map[string]any{"news_item": arts}})
	}
	return data(map[string]any{"total_count": len(all), "item_count": len(items), "item": items})
}

// handleFreePublishSubmit is POST freepublish/submit {"media_id"}: the job
// is taken (publish_id), then decided at once: an article without a cover
// fails (status 3, fail_idx), otherwise it succeeds with one URL per
// article. Either way PUBLISHJOBFINISH follows to the account's server and
// the draft leaves the 草稿箱 on success, as on the platform.
func (s *Server) handleFreePublishSubmit(c *apiCall) reply {
	d, rep := c.draftFor()
	if rep != nil {
		return *rep
	}
	if d.Publishing {
		return fail(40035, "the draft is already being published")
	}
	a := c.acct
	job := &PublishJob{ID: s.nextSeq(), MediaID: d.MediaID, Articles: append([]DraftArticle(nil), d.Articles...), Created: c.now}
	for i, art := range d.Articles {
		if m := a.materials[art.ThumbMediaID]; art.ThumbMediaID == "" || m == nil {
			job.FailIdx = append(job.FailIdx, i+1)
		}
	}
	if len(job.FailIdx) > 0 {
		job.Status, job.Reason = PublishFailed, "missing cover (thumb_media_id)"
	} else {
		job.Status = PublishSuccess
		job.ArticleID = "fake-article-" + strconv.FormatInt(job.ID, 36)
		for i := range d.Articles {
			u := "http://mp.weixin.qq.com/s/" + job.ArticleID + "-" + strconv.Itoa(i+1)
			job.URLs = append(job.URLs, u)
			job.Articles[i].URL = u
		}
		delete(a.drafts, d.MediaID)
		// The draft's media id stays sendable: mass sends of a published
		// article use it, as the platform allows.
	}
	a.publishes[job.ID] = job
	ev := CallbackMessage{FromUserName: "mphelper", CreateTime: c.now.Unix(), MsgType: "event",
		Event: "PUBLISHJOBFINISH", Publish: &PublishEvent{PublishID: job.ID, Status: job.Status,
			ArticleID: job.ArticleID, URLs: job.URLs, FailIdx: job.FailIdx}}
	// Publishing takes WeChat a moment: freepublish/get says 1 (publishing)
	// until the event is POSTed, which follows the answer, never before the
	// caller has heard the publish_id. Without a server to tell, the
	// outcome is there at once.
	if !s.opts.DisableJobEvents && a.CallbackURL != "" && !s.closed {
		outcome := job.Status
		job.Status = PublishPublishing
		acct := a.Account
		ev.ToUserName = acct.OriginalID
		s.goAsync(func(ctx context.Context) {
			select {
			case <-time.After(publishEventDelay):
			case <-ctx.Done():
				return
			}
			s.mu.Lock()
			job.Status = outcome
			s.mu.Unlock()
			s.persist()
			_, _ = s.callback(ctx, acct, ev)
		})
	}
	return ok(map[string]any{"publish_id": job.ID, "msg_data_id": job.ID})
}

// publishJobFor decodes {"publish_id"} and finds the job (40035 unknown).
func (c *apiCall) publishJobFor() (*PublishJob, *reply) {
	var req struct {
		PublishID flexInt `json:"publish_id"`
	}
	if rep := c.decode(&req); rep != nil {
		return nil, rep
	}
	j := c.acct.publishes[int64(req.PublishID)]
	if j == nil {
		r := fail(40035, "unknown publish_id")
		return nil, &r
	}
	return j, nil
}

// handleFreePublishGet is POST freepublish/get {"publish_id"}.
func (s *Server) handleFreePublishGet(c *apiCall) reply {
	j, rep := c.publishJobFor()
	if rep != nil {
		return *rep
	}
	out := map[string]any{"publish_id": j.ID, "publish_status": j.Status}
	if j.Status == PublishSuccess {
		items := []map[string]any{}
		for i, u := range j.URLs {
			items = append(items, map[string]any{"idx": i + 1, "article_url": u})
		}
		out["article_id"] = j.ArticleID
		out["article_detail"] = map[string]any{"count": len(items), "item": items}
	}
	if len(j.FailIdx) > 0 {
		out["fail_idx"] = j.FailIdx
	}
	return data(out)
}

// handleFreePublishBatchGet is POST freepublish/batchget {"offset","count"}:
// the published articles, newest first, 1–20 a page.
func (s *Server) handleFreePublishBatchGet(c *apiCall) reply {
	var req struct {
		Offset int `json:"offset"`
		Count  int `json:"count"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	if req.Offset < 0 || req.Count < 1 || req.Count > 20 {
		return fail(40035, "count must be 1-20, offset >= 0")
	}
	var all []*PublishJob
	for _, j := range c.acct.publishes {
		if j.Status == PublishSuccess {
			all = append(all, j)
		}
	}
	sort.Slice(all, func(i, k int) bool { return all[i].ID > all[k].ID })
	items := []map[string]any{}
	for i := req.Offset; i < len(all) && i < req.Offset+req.Count; i++ {
		items = append(items, map[string]any{"article_id": all[i].ArticleID, "update_time": all[i].Created.Unix(),
			"content": map[string]any{"news_item": all[i].Articles}})
	}
	return data(map[string]any{"total_count": len(all), "item_count": len(items), "item": items})
}

// newsCards are the cards a fan's phone shows for an mpnews media id: a
// draft's (or published draft's) articles with title, digest and cover.
// Caller holds s.mu.
func (a *account) newsCards(mediaID string) []Article {
	var arts []DraftArticle
	if d := a.drafts[mediaID]; d != nil {
		arts = d.Articles
	} else {
		for _, j := range a.publishes {
			if j.MediaID == mediaID && j.Status == PublishSuccess {
				arts = j.Articles
			}
		}
	}
	if arts == nil {
		if m := a.materials[mediaID]; m != nil && m.Type == "news" {
			for _, n := range m.Articles {
				arts = append(arts, DraftArticle{Title: n.Title, Digest: n.Digest, ThumbMediaID: n.ThumbMediaID, URL: n.URL})
			}
		}
	}
	var out []Article
	for _, art := range arts {
		card := Article{Title: art.Title, Description: art.Digest, URL: art.URL}
		if m := a.materials[art.ThumbMediaID]; m != nil {
			card.PicURL = m.URL
		}
		out = append(out, card)
	}
	return out
}

// Drafts returns the account's drafts, for tests and the sandbox.
func (s *Server) Drafts(appID string) []Draft {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[appID]
	if a == nil {
		return nil
	}
	var out []Draft
	for _, d := range a.drafts {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MediaID < out[j].MediaID })
	return out
}

// PublishJobs returns the account's publish jobs, oldest first.
func (s *Server) PublishJobs(appID string) []PublishJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[appID]
	if a == nil {
		return nil
	}
	var out []PublishJob
	for _, j := range a.publishes {
		out = append(out, *j)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
