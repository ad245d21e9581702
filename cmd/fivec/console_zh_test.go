package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/net/html"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
)

// zhSeed is what the Chinese walk fills the console with, so lists are not
// empty: ids for the routes' parameters.
type zhSeed struct {
	openID    string
	params    map[string]string // "/console/broadcasts/:id" → id
	broadcast uint64
	material  uint64 // a picture in the media library
}

// seedZH fills the store: a member with messages (a follow, a menu click,
// an image, a failed send with errcode 45015), a conversation, a broadcast
// with a run, a rule, a segment, a canned reply and audit entries.
func seedZH(t *testing.T, c *crawler) zhSeed {
	t.Helper()
	ctx := context.Background()
	s := c.a.store
	sd := zhSeed{openID: "oZhWalkFan", params: map[string]string{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.SaveMenuDraft(ctx, models.Menu{Buttons: []models.MenuButton{{Type: "click", Name: "联系客服", Key: "CONTACT_AGENT"}}}))
	for i, in := range []models.Inbound{
		{MsgType: "event", Event: "subscribe", EventKey: "qrscene_poster", Subscribe: true, Scene: "poster"},
		{MsgType: "text", Content: "你好，请问营业时间？"},
		{MsgType: "event", Event: "click", EventKey: "CONTACT_AGENT"},
		{MsgType: "image"},
	} {
		in.DedupeKey, in.OpenID = "zh-walk-"+strconv.Itoa(i), sd.openID
		_, _, _, err := s.RecordInbound(ctx, in)
		must(err)
	}
	must(s.LogOutbound(ctx, models.Outbound{OpenID: sd.openID, Channel: models.ChannelCustom, Reply: models.TextReply("您好，我们 9 点开门"),
		ErrCode: 45015, Err: &wechat.APIError{Code: 45015, Msg: "response out of time limit or subscription is canceled"}}))
	conv, err := s.PickUp(ctx, sd.openID, c.staff[models.RoleAgent].ID)
	must(err)
	sd.params["/console/inbox/:id"] = itoa(conv.ID)
	_, err = s.CreateCanned(ctx, c.staff[models.RoleAgent].ID, models.NewCanned{Code: "hours", Title: "营业时间", Text: "我们每天 9 点到 21 点营业。", Shared: true})
	must(err)
	rule, err := s.CreateRule(ctx, models.RuleSpec{Name: "营业时间", Kind: models.RuleKeyword, Priority: 10,
		Keywords: []models.Keyword{{Text: "营业时间", Match: models.MatchContains}}, Replies: []models.Reply{models.TextReply("每天 9 点到 21 点。")}})
	must(err)
	sd.params["/console/rules/:id"] = itoa(rule.ID)
	seg, err := s.SaveSegment(ctx, 0, "海报渠道粉丝", models.SegmentFilter{Stages: []string{models.Stages[0]}})
	must(err)
	sd.params["/console/segments/:id"] = itoa(seg.ID)

	// A broadcast with a run: scheduled a moment ahead, then started.
	mk := c.staff[models.RoleMarketer]
	b, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "新品上市", Kind: models.BroadcastText, Text: "本周新品八折",
		Audience: models.AudienceOpenIDs, OpenIDs: []string{sd.openID, "oZhWalkFan2"}, Channel: models.BroadcastDirect}, mk.ID, models.BroadcastPolicy{})
	must(err)
	at := time.Now().Add(1100 * time.Millisecond)
	_, err = s.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{At: &at}, c.staff[models.RoleAdmin], models.BroadcastPolicy{})
	must(err)
	time.Sleep(time.Until(at) + 100*time.Millisecond)
	_, err = s.StartDueBroadcasts(ctx, models.BroadcastPolicy{})
	must(err)
	runs, err := s.BroadcastRuns(ctx, b.ID)
	must(err)
	if len(runs) == 0 {
		t.Fatal("the seeded broadcast has no run")
	}
	sd.broadcast = b.ID
	sd.params["/console/broadcasts/:id"] = itoa(b.ID)
	sd.params["/console/broadcasts/:id/edit"] = itoa(b.ID)
	sd.params["/console/broadcasts/:id/runs/:run"] = itoa(b.ID) + "/runs/" + itoa(runs[0].ID)

	// A picture in the media library (uploaded to the sandbox's WeChat).
	pic, err := c.a.library.Upload(ctx, roles.Upload{Kind: models.MaterialImage, FileName: "新品海报.png",
		Data: posterPNG(t), By: mk.ID})
	must(err)
	sd.material = pic.ID
	sd.params["/console/media/:id/file"] = itoa(pic.ID)
	// A 图文 draft with that cover, its publish failed (so the reason shows).
	nd, err := c.a.drafts.Save(ctx, 0, []roles.ArticleInput{{Title: "新品上市", Digest: "三款新品", CoverMediaID: pic.MediaID, Body: "<p>本周新品</p>"},
		{Title: "门店活动", Body: "<p>周末活动</p>"}}, mk.ID)
	must(err)
	must(s.MarkNewsDraftPublishing(ctx, nd.ID, 4242, mk.ID, time.Now()))
	_, err = s.RecordPublishFinish(ctx, models.PublishFinish{PublishID: 4242, Status: 3, FailIdx: []int{2}}, time.Now())
	must(err)
	sd.params["/console/news/:id"] = itoa(nd.ID)

	// A tracked link two fans opened, one through the other's share.
	link := &models.ShareLink{Title: "冬季养生指南", TargetURL: "https://example.com/winter", Source: "broadcast:1"}
	must(s.CreateShareLink(ctx, link))
	walker, err := s.FindMemberByOpenID(ctx, sd.openID)
	must(err)
	fanA := walker.ID
	_, err = s.RecordShareOpen(ctx, models.ShareOpenInput{LinkID: link.ID, ViaID: fanA, OpenID: sd.openID, MemberID: &fanA})
	must(err)
	_, err = s.RecordShareOpen(ctx, models.ShareOpenInput{LinkID: link.ID, ViaID: fanA, OpenID: "oZhWalkFriend", Points: 5, DayStart: time.Now().Add(-time.Hour)})
	must(err)
	sd.params["/console/shares/:id"] = itoa(link.ID)

	for _, e := range []models.AuditEntry{
		{StaffID: c.staff[models.RoleAdmin].ID, Action: "staff.disable", Target: "crawl-agent", IP: "192.0.2.1"},
		{StaffID: c.staff[models.RoleAdmin].ID, Action: "menu.publish", IP: "192.0.2.1"},
		{StaffID: mk.ID, Action: "broadcast.schedule", Target: "新品上市", IP: "192.0.2.2"},
	} {
		must(s.Audit(ctx, e))
	}
	return sd
}

// paths are the pages the walk opens for a GET route pattern: every
// report area, else one path.
func (sd zhSeed) paths(pattern string) []string {
	if pattern == "/console/reports/:area" {
		var out []string
		for _, a := range models.ReportAreas {
			out = append(out, "/console/reports/"+a)
		}
		return out
	}
	return []string{sd.path(pattern)}
}

// path is the path the walk opens for a GET route pattern.
func (sd zhSeed) path(pattern string) string {
	if v, ok := sd.params[pattern]; ok {
		i := strings.Index(pattern, ":")
		return pattern[:i] + v
	}
	p := strings.ReplaceAll(pattern, ":openid", sd.openID)
	return concrete(p)
}

// zhAllowed are the words an ASCII-only text may hold on a Chinese page:
// proper names, codes, units and formats.
var zhAllowed = map[string]bool{
	"wechat": true, "api": true, "csv": true, "openid": true, "unionid": true, "url": true, "fivec": true,
	"id": true, "ip": true, "yaml": true, "json": true, "cron": true, "key": true, "token": true, "qr": true,
	"http": true, "https": true, "appid": true, "msg_id": true, "media_id": true, "errcode": true, "utc": true,
	"kb": true, "mb": true, "ms": true, "cst": true, "asia": true, "shanghai": true, "am": true, "pm": true,
	"click": true, "view": true, "sandbox": true, "5c": true, "ok": true, "pdf": true, "png": true, "xlsx": true,
	"english": true, // the language switch names English in English
}

// dataValue is one lower-case token: a username, scene, tag or key staff
// typed, shown as it is.
var dataValue = regexp.MustCompile(`^[a-z0-9][a-z0-9._\-]*$`)

// zhEnglishWords are lower-case single words that are English, not data.
var zhEnglishWords = map[string]bool{"total": true, "sent": true, "error": true, "filter": true, "none": true, "failed": true, "success": true}

// catalogKey looks like an i18n key ("crm.segments.channels").
var catalogKey = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)

var asciiWord = regexp.MustCompile(`[A-Za-z][A-Za-z_.\-]*`)

// englishSentence returns s when it reads as English words staff must
// read (ASCII only, with at least one word that is not a name or code),
// else "".
func englishSentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	for _, r := range s {
		if r > unicode.MaxASCII {
			return "" // Chinese, or a symbol-led mix: read by people as Chinese
		}
	}
	if catalogKey.MatchString(s) {
		return s // a key the catalogue lacks shows itself
	}
	if dataValue.MatchString(s) && !strings.Contains(s, " ") && !zhEnglishWords[s] {
		return ""
	}
	for _, w := range asciiWord.FindAllString(s, -1) {
		lw := strings.ToLower(strings.Trim(w, ".-_"))
		switch {
		case zhAllowed[lw], len(lw) < 2:
		case strings.ContainsAny(w, "_"), w != strings.ToLower(w) && w != strings.ToUpper(w) && w[0] == 'o': // openids, codes
		case w == strings.ToUpper(w): // CODES, KEYS
		default:
			return s
		}
	}
	return ""
}

// visibleTexts returns the text staff see on a page: text nodes outside
// scripts, styles, code and values (.mono), plus placeholders, titles,
// aria-labels and confirmation questions.
func visibleTexts(t *testing.T, body string) []string {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *html.Node, skip bool)
	walk = func(n *html.Node, skip bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "style", "code", "pre", "textarea", "title":
				skip = true
			}
			for _, a := range n.Attr {
				switch a.Key {
				case "class":
					if slices.Contains(strings.Fields(a.Val), "mono") {
						skip = true
					}
				case "placeholder", "title", "aria-label", "data-confirm", "hx-confirm":
					if !skip {
						out = append(out, a.Val)
					}
				case "hidden":
					skip = true
				}
			}
		}
		if n.Type == html.TextNode && !skip {
			out = append(out, n.Data)
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch, skip)
		}
	}
	walk(doc, false)
	return out
}

// zhSkip are GET routes that are not pages: files, streams, images, JSON.
var zhSkip = regexp.MustCompile(`/static/|/events$|/live$|\.wav$|/qr$|/export|\.yaml$|/count$`)

// TestConsoleSpeaksChinese walks every console GET route as admin, agent
// and marketer in zh-CN (with seeded members, messages with errcode
// failures, a conversation, a broadcast with a run, rules and audit
// entries) and fails on any visible ASCII-only sentence that is not a
// name, code or number. Pages a role may not open are checked too: the
// 403 page must be Chinese.
func TestConsoleSpeaksChinese(t *testing.T) {
	c := newCrawler(t, "sqlite")
	sd := seedZH(t, c)
	var patterns []string
	for _, r := range c.a.router.Routes() {
		if r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/console/") && !zhSkip.MatchString(r.Path) {
			patterns = append(patterns, r.Path)
		}
	}
	sort.Strings(patterns)
	if len(patterns) < 40 {
		t.Fatalf("only %d console pages found", len(patterns))
	}
	pages := 0
	for _, role := range anyStaff {
		cookie, csrf := c.session(role)
		w := who{role: role, cookie: cookie, csrf: csrf}
		for _, pat := range patterns {
			for _, path := range sd.paths(pat) {
				rec := c.do(http.MethodGet, path, w)
				if rec.Code >= 300 && rec.Code < 400 {
					continue
				}
				if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					continue
				}
				pages++
				for _, s := range visibleTexts(t, rec.Body.String()) {
					if e := englishSentence(s); e != "" {
						t.Errorf("%s %s (%d): English on a Chinese page: %q", role, path, rec.Code, e)
					}
				}
			}
		}
	}
	t.Logf("%d pages read in Chinese", pages)

	// The seeded data was on the pages (so the walk read words, not empty
	// lists), in words.
	cookie, csrf := c.session(models.RoleAdmin)
	admin := who{role: models.RoleAdmin, cookie: cookie, csrf: csrf}
	for path, want := range map[string][]string{
		"/console/members/" + sd.openID:                     {"扫描渠道二维码「poster」关注了公众号", "点击菜单「联系客服」", "超出 48 小时回复时限", "微信错误码 45015"},
		"/console/inbox/" + sd.params["/console/inbox/:id"]: {"点击菜单「联系客服」"},
		"/console/inbox?filter=open":                        {"[图片]"},
		"/console/audit":                                    {"停用员工", "发布菜单", "安排群发"},
		"/console/broadcasts/" + itoa(sd.broadcast):         {"新品上市"},
		"/console/reports/content":                          {"群发「新品上市」"},
	} {
		body := c.do(http.MethodGet, path, admin).Body.String()
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", path, w)
			}
		}
	}
}

// TestEnglishSentence pins the detector: names and codes pass, sentences
// do not.
func TestEnglishSentence(t *testing.T) {
	for s, want := range map[string]bool{
		"WeChat": false, "API": false, "OpenID": false, "oZhWalkFan": false, "CONTACT_AGENT": false,
		"2026-12-07 09:00:00": false, "45015": false, "关注了公众号": false, "· errcode 45015": false,
		"WeChat will not deliver this message": true, "broadcast 1 run 1": true, "Total": true, "crawl-admin": false, "poster": false, "sent": true, "English": false, "crm.segments.nope": true, "at least one enabled admin must remain": true,
	} {
		if got := englishSentence(s) != ""; got != want {
			t.Errorf("englishSentence(%q) = %v, want %v", s, got, want)
		}
	}
}

// posterPNG is a small real picture for the media library.
func posterPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := 0; y < 120; y++ {
		for x := 0; x < 160; x++ {
			img.Set(x, y, color.RGBA{7, uint8(120 + x/2), uint8(60 + y), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
