package fake

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Materials (素材, wechat-platform.md §10): permanent materials
// (material/add_material, batchget, get, del, count), temporary media
// (media/upload, kept TempMediaTTL, then 40007) and article images
// (media/uploadimg). The bytes are kept, so that get_material and media/get
// return what was uploaded (the console's thumbnails come from them); with
// Options.MediaDir they live in files there and survive a restart with the
// rest of the state, otherwise in memory only.

// Default material limits, from wechat-platform.md §10.
const (
	defaultTempMediaTTL = 72 * time.Hour
	maxArticleImage     = 1 << 20
)

// uploadRule is what one media type accepts: the largest file and the file
// extensions.
type uploadRule struct {
	max  int64
	exts []string
}

// uploadRules are the platform's size and format limits per type.
var uploadRules = map[string]uploadRule{
	"image": {10 << 20, []string{"bmp", "png", "jpeg", "jpg", "gif"}},
	"voice": {2 << 20, []string{"amr", "mp3"}},
	"video": {10 << 20, []string{"mp4"}},
	"thumb": {64 << 10, []string{"jpg", "jpeg"}},
}

// defaultMaterialLimits are the permanent-material quotas per type.
var defaultMaterialLimits = map[string]int{"image": 100000, "voice": 1000, "video": 1000, "thumb": 1000, "news": 1000}

// Material is one permanent material or temporary medium the platform holds.
type Material struct {
	MediaID string
	// Type is image, voice, video, thumb or news.
	Type string
	// Name is the uploaded file's name.
	Name        string
	Title       string `json:",omitempty"` // video
	Description string `json:",omitempty"` // video (introduction)
	// URL is the image's mmbiz address (images and article images).
	URL      string `json:",omitempty"`
	Size     int64
	Created  time.Time
	Updated  time.Time
	Articles []NewsArticle `json:",omitempty"` // news
	// Temporary media expire; permanent ones have a zero Expires.
	Temporary bool      `json:",omitempty"`
	Expires   time.Time `json:",omitempty"`

	data []byte // nil when kept in Options.MediaDir
}

// NewsArticle is one article of a news (图文) material.
type NewsArticle struct {
	Title        string `json:"title"`
	Author       string `json:"author"`
	Digest       string `json:"digest"`
	Content      string `json:"content"`
	ThumbMediaID string `json:"thumb_media_id"`
	URL          string `json:"url"`
}

// expired reports whether a temporary medium is past its 3 days.
func (m *Material) expired(now time.Time) bool {
	return m.Temporary && !now.Before(m.Expires)
}

// upload is a parsed multipart upload.
type upload struct {
	name        string
	data        []byte
	description string // the "description" field (video)
}

// parseUpload reads the "media" file (and a "description" field) of a
// multipart body; a reply when there is no file.
func parseUpload(c *apiCall) (upload, *reply) {
	var u upload
	_, params, err := mime.ParseMediaType(c.contentType)
	if err != nil || params["boundary"] == "" {
		r := fail(41005, "")
		return u, &r
	}
	r := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		switch p.FormName() {
		case "media":
			u.name = p.FileName()
			u.data, _ = io.ReadAll(p)
		case "description":
			b, _ := io.ReadAll(p)
			u.description = string(b)
		}
	}
	if len(u.data) == 0 {
		r := fail(41005, "")
		return u, &r
	}
	return u, nil
}

// checkUpload applies the type's limits: 40004 unknown type, 45001 too
// large, 40005 a format the type does not take.
func checkUpload(typ string, u upload) *reply {
	rule, ok := uploadRules[typ]
	if !ok {
		r := fail(40004, typ)
		return &r
	}
	if int64(len(u.data)) > rule.max {
		r := fail(45001, strconv.Itoa(len(u.data))+" bytes > "+strconv.FormatInt(rule.max, 10))
		return &r
	}
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(u.name)), ".")
	for _, e := range rule.exts {
		if e == ext {
			return nil
		}
	}
	r := fail(40005, u.name)
	return &r
}

// keep stores m (and its bytes) in the account. Caller holds s.mu.
func (s *Server) keep(a *account, m *Material, data []byte) {
	m.Size = int64(len(data))
	if dir := s.opts.MediaDir; dir != "" && data != nil {
		p := filepath.Join(dir, a.AppID, m.MediaID)
		err := os.MkdirAll(filepath.Dir(p), 0o700)
		if err == nil {
			err = os.WriteFile(p, data, 0o600)
		}
		if err != nil {
			m.data = data // keep it in memory rather than lose it
			if s.opts.StateError != nil {
				s.opts.StateError(err)
			}
		}
	} else {
		m.data = data
	}
	a.materials[m.MediaID] = m
	a.media[m.MediaID] = m.Type
}

// bytesOf returns a material's bytes. Caller holds s.mu.
func (s *Server) bytesOf(a *account, m *Material) []byte {
	if m.data != nil || s.opts.MediaDir == "" {
		return m.data
	}
	b, _ := os.ReadFile(filepath.Join(s.opts.MediaDir, a.AppID, m.MediaID))
	return b
}

// drop removes a material and its bytes. Caller holds s.mu.
func (s *Server) drop(a *account, id string) {
	delete(a.materials, id)
	delete(a.media, id)
	if s.opts.MediaDir != "" {
		os.Remove(filepath.Join(s.opts.MediaDir, a.AppID, id))
	}
}

// permanent returns the account's permanent materials of typ, newest first.
func (a *account) permanent(typ string) []*Material {
	var out []*Material
	for _, m := range a.materials {
		if !m.Temporary && m.Type == typ {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Updated.Equal(out[j].Updated) {
			return out[i].Updated.After(out[j].Updated)
		}
		return out[i].MediaID > out[j].MediaID
	})
	return out
}

// mmbizURL is the address WeChat gives an uploaded image.
func mmbizURL(id, name string) string {
	ext := strings.ToLower(path.Ext(name))
	return "http://mmbiz.qpic.cn/fake/" + id + ext
}

// handleAddMaterial is POST material/add_material?type=…: a permanent
// image, voice, video (with a "description" field {"title","introduction"})
// or thumb.
func (s *Server) handleAddMaterial(c *apiCall) reply {
	typ := c.query.Get("type")
	if _, ok := uploadRules[typ]; !ok {
		return fail(40004, typ)
	}
	u, rep := parseUpload(c)
	if rep != nil {
		return *rep
	}
	if rep := checkUpload(typ, u); rep != nil {
		return *rep
	}
	m := &Material{Type: typ, Name: u.name, Created: c.now, Updated: c.now}
	if typ == "video" {
		var d struct{ Title, Introduction string }
		if err := json.Unmarshal([]byte(u.description), &d); err != nil || strings.TrimSpace(d.Title) == "" {
			return fail(40035, "video needs description {\"title\",\"introduction\"}")
		}
		m.Title, m.Description = d.Title, d.Introduction
	}
	if limit := s.materialLimit(typ); len(c.acct.permanent(typ)) >= limit {
		return fail(45009, "permanent "+typ+" count limit "+strconv.Itoa(limit))
	}
	m.MediaID = "fake-mat-" + typ + "-" + strconv.FormatInt(s.nextSeq(), 36)
	out := map[string]any{"media_id": m.MediaID}
	if typ == "image" {
		m.URL = mmbizURL(m.MediaID, u.name)
		out["url"] = m.URL
	}
	s.keep(c.acct, m, u.data)
	return data(out)
}

// materialLimit is the quota of permanent materials of typ.
func (s *Server) materialLimit(typ string) int {
	if n, ok := s.opts.MaterialLimits[typ]; ok && n > 0 {
		return n
	}
	return defaultMaterialLimits[typ]
}

// handleBatchGetMaterial is POST material/batchget_material
// {"type","offset","count"}: newest first, at most 20 a page.
func (s *Server) handleBatchGetMaterial(c *apiCall) reply {
	var req struct {
		Type   string `json:"type"`
		Offset int    `json:"offset"`
		Count  int    `json:"count"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	if _, ok := defaultMaterialLimits[req.Type]; !ok || req.Type == "thumb" {
		return fail(40004, req.Type)
	}
	if req.Offset < 0 || req.Count < 1 || req.Count > 20 {
		return fail(40035, "count must be 1-20, offset >= 0")
	}
	all := c.acct.permanent(req.Type)
	items := []map[string]any{}
	for i := req.Offset; i < len(all) && i < req.Offset+req.Count; i++ {
		m := all[i]
		it := map[string]any{"media_id": m.MediaID, "update_time": m.Updated.Unix()}
		if m.Type == "news" {
			it["content"] = map[string]any{"news_item": m.Articles,
				"create_time": m.Created.Unix(), "update_time": m.Updated.Unix()}
		} else {
			it["name"] = m.Name
			it["url"] = m.URL
		}
		items = append(items, it)
	}
	return data(map[string]any{"total_count": len(all), "item_count": len(items), "item": items})
}

// handleMaterialCount is GET material/get_materialcount.
func (s *Server) handleMaterialCount(c *apiCall) reply {
	a := c.acct
	return data(map[string]any{"voice_count": len(a.permanent("voice")), "video_count": len(a.permanent("video")),
		"image_count": len(a.permanent("image")), "news_count": len(a.permanent("news"))})
}

// mediaIDRequest is the body of get_material and del_material.
type mediaIDRequest struct {
	MediaID string `json:"media_id"`
}

// handleGetMaterial is POST material/get_material {"media_id"}: the bytes
// of an image, voice or thumb; JSON for a video (title, description,
// down_url) or news (news_item).
func (s *Server) handleGetMaterial(c *apiCall) reply {
	var req mediaIDRequest
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	m := c.acct.materials[req.MediaID]
	if m == nil || m.Temporary {
		return fail(40007, req.MediaID)
	}
	switch m.Type {
	case "video":
		return data(map[string]any{"title": m.Title, "description": m.Description,
			"down_url": "http://mmbiz.qpic.cn/fake/video/" + m.MediaID + ".mp4"})
	case "news":
		return data(map[string]any{"news_item": m.Articles, "create_time": m.Created.Unix(), "update_time": m.Updated.Unix()})
	}
	return s.fileReply(c.acct, m)
}

// fileReply answers a material's bytes as a download.
func (s *Server) fileReply(a *account, m *Material) reply {
	b := s.bytesOf(a, m)
	if b == nil {
		return fail(40007, m.MediaID+" (bytes lost)")
	}
	ct := mime.TypeByExtension(strings.ToLower(path.Ext(m.Name)))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return reply{raw: b, contentType: ct}
}

// handleDelMaterial is POST material/del_material {"media_id"}.
func (s *Server) handleDelMaterial(c *apiCall) reply {
	var req mediaIDRequest
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	m := c.acct.materials[req.MediaID]
	if m == nil || m.Temporary {
		return fail(40007, req.MediaID)
	}
	s.drop(c.acct, req.MediaID)
	return ok(nil)
}

// handleMediaGet is GET media/get?media_id=…: a temporary medium's bytes
// (a video's as {"video_url"}), 40007 once it expired.
func (s *Server) handleMediaGet(c *apiCall) reply {
	id := c.query.Get("media_id")
	m := c.acct.materials[id]
	if m == nil || !m.Temporary || m.expired(c.now) {
		return fail(40007, id)
	}
	if m.Type == "video" {
		return data(map[string]any{"video_url": "http://mmbiz.qpic.cn/fake/video/" + id + ".mp4"})
	}
	return s.fileReply(c.acct, m)
}

// handleUploadImg is POST media/uploadimg: an image for an article's body
// (jpg/png ≤ 1 MB), answered with a URL; no media_id, no quota.
func (s *Server) handleUploadImg(c *apiCall) reply {
	u, rep := parseUpload(c)
	if rep != nil {
		return *rep
	}
	if len(u.data) > maxArticleImage {
		return fail(45001, strconv.Itoa(len(u.data))+" bytes > 1 MB")
	}
	switch strings.ToLower(path.Ext(u.name)) {
	case ".jpg", ".jpeg", ".png":
	default:
		return fail(40005, u.name)
	}
	id := "fake-img-" + strconv.FormatInt(s.nextSeq(), 36)
	m := &Material{MediaID: id, Name: u.name, URL: mmbizURL(id, u.name), Created: c.now, Updated: c.now}
	s.keep(c.acct, m, u.data)
	delete(c.acct.media, id) // a URL for article bodies, not a media id to send
	return data(map[string]any{"url": m.URL})
}

// Materials returns the account's permanent materials of typ (image,
// voice, video, thumb, news), newest first, for tests and the sandbox.
func (s *Server) Materials(appID, typ string) []Material {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[appID]
	if a == nil {
		return nil
	}
	var out []Material
	for _, m := range a.permanent(typ) {
		out = append(out, *m)
	}
	return out
}

// AddNews adds a news (图文) material as if it were made in WeChat's own
// console (the article editor arrives with drafts), and returns its id.
func (s *Server) AddNews(appID string, articles []NewsArticle) (string, error) {
	s.mu.Lock()
	a := s.accounts[appID]
	if a == nil {
		s.mu.Unlock()
		return "", ErrUnknownAccount
	}
	now := s.opts.Now()
	m := &Material{MediaID: "fake-mat-news-" + strconv.FormatInt(s.nextSeq(), 36), Type: "news",
		Articles: articles, Created: now, Updated: now}
	if len(articles) > 0 {
		m.Name = articles[0].Title
	}
	a.materials[m.MediaID] = m
	a.media[m.MediaID] = "news"
	s.mu.Unlock()
	s.persist()
	return m.MediaID, nil
}
