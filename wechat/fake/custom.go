package fake

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// customMessage is the body of /cgi-bin/message/custom/send.
type customMessage struct {
	ToUser  string `json:"touser"`
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Image  *mediaRef `json:"image"`
	Voice  *mediaRef `json:"voice"`
	Mpnews *mediaRef `json:"mpnews"`
	Video  *struct {
		MediaID      string `json:"media_id"`
		ThumbMediaID string `json:"thumb_media_id"`
		Title        string `json:"title"`
		Description  string `json:"description"`
	} `json:"video"`
	Music *struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		MusicURL    string `json:"musicurl"`
	} `json:"music"`
	News *struct {
		Articles []Article `json:"articles"`
	} `json:"news"`
	MpnewsArticle *struct {
		ArticleID string `json:"article_id"`
	} `json:"mpnewsarticle"`
	Msgmenu *struct {
		HeadContent string `json:"head_content"`
		List        []struct {
			ID      string `json:"id"`
			Content string `json:"content"`
		} `json:"list"`
		TailContent string `json:"tail_content"`
	} `json:"msgmenu"`
	Wxcard *struct {
		CardID string `json:"card_id"`
	} `json:"wxcard"`
	Miniprogrampage *struct {
		Title    string `json:"title"`
		AppID    string `json:"appid"`
		PagePath string `json:"pagepath"`
	} `json:"miniprogrampage"`
	CustomService *struct {
		KfAccount string `json:"kf_account"`
	} `json:"customservice"`
}

type mediaRef struct {
	MediaID string `json:"media_id"`
}

// delivery validates the content of a customer-service message and returns
// what the fan would see, or the refusal (40008, 44003, 44004, 45002, 45008).
func (m *customMessage) delivery(maxText int) (Delivery, *reply) {
	d := Delivery{Direction: DirOut, Source: SourceCustom, Kind: m.MsgType}
	bad := func(code int, hint string) (Delivery, *reply) {
		r := fail(code, hint)
		return d, &r
	}
	missing := func() (Delivery, *reply) { return bad(47001, m.MsgType+" missing") }
	switch m.MsgType {
	case "text":
		if m.Text == nil {
			return missing()
		}
		if m.Text.Content == "" {
			return bad(44004, "")
		}
		if len(m.Text.Content) > maxText {
			return bad(45002, fmt.Sprintf("%d bytes, limit %d", len(m.Text.Content), maxText))
		}
		d.Text = m.Text.Content
	case "image", "voice", "mpnews":
		ref := map[string]*mediaRef{"image": m.Image, "voice": m.Voice, "mpnews": m.Mpnews}[m.MsgType]
		if ref == nil || ref.MediaID == "" {
			return missing()
		}
		d.MediaID = ref.MediaID
	case "video":
		if m.Video == nil || m.Video.MediaID == "" {
			return missing()
		}
		d.MediaID, d.Title, d.Description = m.Video.MediaID, m.Video.Title, m.Video.Description
	case "music":
		if m.Music == nil {
			return missing()
		}
		d.Title, d.Description, d.URL = m.Music.Title, m.Music.Description, m.Music.MusicURL
	case "news":
		if m.News == nil || len(m.News.Articles) == 0 {
			return bad(44003, "")
		}
		if len(m.News.Articles) > 1 {
			return bad(45008, fmt.Sprintf("%d articles, limit 1", len(m.News.Articles)))
		}
		d.Articles = m.News.Articles
		d.Title, d.URL = d.Articles[0].Title, d.Articles[0].URL
	case "mpnewsarticle":
		if m.MpnewsArticle == nil || m.MpnewsArticle.ArticleID == "" {
			return missing()
		}
		d.MediaID = m.MpnewsArticle.ArticleID
	case "msgmenu":
		if m.Msgmenu == nil || len(m.Msgmenu.List) == 0 {
			return missing()
		}
		lines := []string{m.Msgmenu.HeadContent}
		for _, it := range m.Msgmenu.List {
			lines = append(lines, "["+it.Content+"]")
		}
		d.Text = strings.TrimSpace(strings.Join(append(lines, m.Msgmenu.TailContent), "\n"))
	case "wxcard":
		if m.Wxcard == nil || m.Wxcard.CardID == "" {
			return missing()
		}
		d.MediaID = m.Wxcard.CardID
	case "miniprogrampage":
		if m.Miniprogrampage == nil {
			return missing()
		}
		d.Title, d.URL = m.Miniprogrampage.Title, m.Miniprogrampage.PagePath
	default:
		return bad(40008, m.MsgType)
	}
	if m.CustomService != nil {
		d.KfAccount = m.CustomService.KfAccount
	}
	return d, nil
}

// handleCustomSend is POST /cgi-bin/message/custom/send. Each message counts
// against the open window with the most messages left (ties: the one that
// stays open longest): 45015 when no window is open (or the fan is unknown
// or unsubscribed), 45047 when the open ones are used up.
func (s *Server) handleCustomSend(c *apiCall) reply {
	var m customMessage
	if rep := c.decode(&m); rep != nil {
		return *rep
	}
	d, rep := m.delivery(s.opts.MaxTextBytes)
	if rep != nil {
		return *rep
	}
	if m.MsgType == "image" || m.MsgType == "voice" || m.MsgType == "video" || m.MsgType == "mpnews" {
		thumb := ""
		if m.Video != nil {
			thumb = m.Video.ThumbMediaID
		}
		if rep := c.acct.unknownMedia(c.now, d.MediaID, thumb); rep != nil {
			return *rep
		}
	}
	f := c.acct.fans[m.ToUser]
	if f == nil || !f.Subscribed {
		return fail(45015, "fan unknown or unsubscribed")
	}
	if f.Blacklisted {
		return fail(43019, "fan is blacklisted")
	}
	type open struct {
		w    *window
		ends int64
		left int
	}
	var wins []open
	if ends, left, ok := f.msgWin.left(c.now, s.opts.MessageWindow, s.opts.MessageQuota); ok {
		wins = append(wins, open{&f.msgWin, ends.UnixNano(), left})
	}
	if ends, left, ok := f.evtWin.left(c.now, s.opts.EventWindow, s.opts.EventQuota); ok {
		wins = append(wins, open{&f.evtWin, ends.UnixNano(), left})
	}
	if len(wins) == 0 {
		return fail(45015, "no open window")
	}
	sort.Slice(wins, func(i, j int) bool {
		if wins[i].left != wins[j].left {
			return wins[i].left > wins[j].left
		}
		return wins[i].ends > wins[j].ends
	})
	if wins[0].left <= 0 {
		return fail(45047, "")
	}
	wins[0].w.used++
	d.Time, d.Raw = c.now, string(c.body)
	s.push(f, d)
	return ok(nil)
}

// handleTyping is POST /cgi-bin/message/custom/typing: {touser, command}
// with command Typing or CancelTyping. It needs a fan action within
// TypingWindow (else 45015); Typing shows for 15 s (Fan.TypingUntil).
func (s *Server) handleTyping(c *apiCall) reply {
	var req struct {
		ToUser  string `json:"touser"`
		Command string `json:"command"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	if req.Command != "Typing" && req.Command != "CancelTyping" {
		return fail(40035, "command")
	}
	f := c.acct.fans[req.ToUser]
	if f == nil || !f.Subscribed {
		return fail(45015, "fan unknown or unsubscribed")
	}
	if f.lastAction.IsZero() || c.now.Sub(f.lastAction) >= s.opts.TypingWindow {
		return fail(45015, "no interaction in the last 30s")
	}
	if req.Command == "Typing" {
		f.TypingUntil = c.now.Add(typingShown)
	} else {
		f.TypingUntil = c.now
	}
	return ok(nil)
}

const typingShown = 15 * time.Second // how long the fan sees "typing"

// TemplateBlocked is TEMPLATESENDJOBFINISH's status for a fan who turned
// the account's template messages off (Fan.BlocksTemplates).
const TemplateBlocked = "failed:user block"

// templateMessage is the body of /cgi-bin/message/template/send.
type templateMessage struct {
	ToUser     string `json:"touser"`
	TemplateID string `json:"template_id"`
	URL        string `json:"url"`
	Data       map[string]struct {
		Value string `json:"value"`
	} `json:"data"`
	ClientMsgID string `json:"client_msg_id"`
}

// keywordLimits are the 2023 template rules: keyword type prefix → max
// characters (47003 beyond).
var keywordLimits = map[string]int{"thing": 20, "phrase": 5, "character_string": 32, "name": 10}

// handleTemplateSend is POST /cgi-bin/message/template/send (verified
// accounts only, else 48001): 40037 empty template_id, 40003 unknown openid,
// 43004 not subscribed, 47003 keyword too long. Returns msgid.
func (s *Server) handleTemplateSend(c *apiCall) reply {
	var m templateMessage
	if rep := c.decode(&m); rep != nil {
		return *rep
	}
	if !c.acct.Verified {
		return fail(48001, "template messages need a verified service account")
	}
	if m.TemplateID == "" {
		return fail(40037, "")
	}
	f := c.acct.fans[m.ToUser]
	if f == nil {
		return fail(40003, "")
	}
	if !f.Subscribed {
		return fail(43004, "")
	}
	if f.Blacklisted {
		return fail(43019, "fan is blacklisted")
	}
	shown := make(map[string]string, len(m.Data))
	keys := make([]string, 0, len(m.Data))
	for k, v := range m.Data {
		kind := strings.TrimRight(k, "0123456789")
		if limit, ok := keywordLimits[kind]; ok && utf8.RuneCountInString(v.Value) > limit {
			return fail(47003, fmt.Sprintf("%s.DATA longer than %d", k, limit))
		}
		if k == "first" || k == "remark" {
			continue // no longer shown since 2023-05-04
		}
		shown[k] = v.Value
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		lines = append(lines, k+": "+shown[k])
	}
	id := s.nextSeq()
	status := "success"
	if f.BlocksTemplates {
		// Accepted with a msgid, never shown: only the job event tells.
		status = TemplateBlocked
	} else {
		s.push(f, Delivery{Time: c.now, Direction: DirOut, Source: SourceTemplate, Kind: "template",
			TemplateID: m.TemplateID, TemplateData: shown, URL: m.URL, MsgID: id,
			Text: strings.Join(lines, "\n"), Raw: string(c.body)})
	}
	s.jobEvent(c.acct, CallbackMessage{FromUserName: m.ToUser, CreateTime: c.now.Unix(), MsgType: "event",
		Event: "TEMPLATESENDJOBFINISH", JobMsgID: id, Status: status})
	return ok(map[string]any{"msgid": id})
}
