package fake

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Mass-send limits from wechat-platform.md §4.
const (
	maxMassOpenIDs   = 10000
	minMassOpenIDs   = 2
	maxClientMsgID   = 64 // bytes
	clientMsgIDTTL   = 24 * time.Hour
	massStatusOK     = "SEND_SUCCESS"
	massStatusDelete = "DELETE"
)

// beijing is the platform's calendar for "a day" and "a month".
var beijing = time.FixedZone("CST", 8*3600)

type massJob struct {
	id      int64
	kind    string
	status  string
	created time.Time
	sent    map[*fan]int64 // recipient → Seq of the delivery, to mark deletions
}

type clientMsg struct {
	msgID int64
	at    time.Time
}

// massRequest is the body of sendall, send and preview.
type massRequest struct {
	Filter *struct {
		IsToAll bool `json:"is_to_all"`
		TagID   int  `json:"tag_id"`
	} `json:"filter"`
	ToUser  json.RawMessage `json:"touser"`
	MsgType string          `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Mpnews  *mediaRef `json:"mpnews"`
	Voice   *mediaRef `json:"voice"`
	Image   *mediaRef `json:"image"` // preview
	Mpvideo *struct {
		MediaID     string `json:"media_id"`
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"mpvideo"`
	Images *struct {
		MediaIDs []string `json:"media_ids"`
	} `json:"images"`
	Wxcard *struct {
		CardID string `json:"card_id"`
	} `json:"wxcard"`
	ClientMsgID string `json:"clientmsgid"`
}

// content validates the message and returns what each fan will see.
func (m *massRequest) content(source string, raw []byte) (Delivery, *reply) {
	d := Delivery{Direction: DirOut, Source: source, Kind: m.MsgType, Raw: string(raw)}
	bad := func(code int, hint string) (Delivery, *reply) {
		r := fail(code, hint)
		return d, &r
	}
	switch {
	case m.MsgType == "text" && m.Text != nil:
		if m.Text.Content == "" {
			return bad(44004, "")
		}
		d.Text = m.Text.Content
	case m.MsgType == "mpnews" && m.Mpnews != nil && m.Mpnews.MediaID != "":
		d.MediaID = m.Mpnews.MediaID
	case m.MsgType == "voice" && m.Voice != nil && m.Voice.MediaID != "":
		d.MediaID = m.Voice.MediaID
	case m.MsgType == "image" && m.Images != nil && len(m.Images.MediaIDs) > 0:
		d.MediaID = m.Images.MediaIDs[0]
	case m.MsgType == "image" && m.Image != nil && m.Image.MediaID != "":
		d.MediaID = m.Image.MediaID
	case m.MsgType == "mpvideo" && m.Mpvideo != nil && m.Mpvideo.MediaID != "":
		d.MediaID, d.Title, d.Description = m.Mpvideo.MediaID, m.Mpvideo.Title, m.Mpvideo.Description
	case m.MsgType == "wxcard" && m.Wxcard != nil && m.Wxcard.CardID != "":
		d.MediaID = m.Wxcard.CardID
	case m.MsgType == "text" || m.MsgType == "mpnews" || m.MsgType == "voice" ||
		m.MsgType == "image" || m.MsgType == "mpvideo" || m.MsgType == "wxcard":
		return bad(47001, m.MsgType+" missing")
	default:
		return bad(40008, m.MsgType)
	}
	return d, nil
}

// mediaIDs are the media ids the request sends (wxcard ids are cards).
func (m *massRequest) mediaIDs() []string {
	switch {
	case m.MsgType == "image" && m.Images != nil:
		return m.Images.MediaIDs
	case m.MsgType == "wxcard" || m.MsgType == "text":
		return nil
	}
	for _, r := range []*mediaRef{m.Mpnews, m.Voice, m.Image} {
		if r != nil {
			return []string{r.MediaID}
		}
	}
	if m.Mpvideo != nil {
		return []string{m.Mpvideo.MediaID}
	}
	return nil
}

// handleMassSendAll is POST /cgi-bin/message/mass/sendall: to every follower
// (filter.is_to_all) or to a tag's followers.
func (s *Server) handleMassSendAll(c *apiCall) reply {
	var m massRequest
	if rep := c.decode(&m); rep != nil {
		return *rep
	}
	if m.Filter == nil {
		return fail(47001, "filter missing")
	}
	if !m.Filter.IsToAll && c.acct.tags[m.Filter.TagID] == nil {
		return fail(45159, fmt.Sprint(m.Filter.TagID))
	}
	var candidates []*fan
	for _, id := range c.acct.order {
		f := c.acct.fans[id]
		if f.Subscribed && (m.Filter.IsToAll || slices.Contains(f.Tags, m.Filter.TagID)) {
			candidates = append(candidates, f)
		}
	}
	return s.massSendCounted(c, &m, candidates, len(candidates))
}

// handleMassSend is POST /cgi-bin/message/mass/send: to a list of 2–10000
// openids (40130 under 2, 40032 over 10000); verified accounts only (48001).
// Unknown or unsubscribed openids are filtered out, not refused.
func (s *Server) handleMassSend(c *apiCall) reply {
	var m massRequest
	if rep := c.decode(&m); rep != nil {
		return *rep
	}
	if !c.acct.Verified {
		return fail(48001, "mass/send needs a verified service account")
	}
	var ids []string
	if err := json.Unmarshal(m.ToUser, &ids); err != nil {
		return fail(47001, "touser must be a list of openids")
	}
	if len(ids) < minMassOpenIDs {
		return fail(40130, "")
	}
	if len(ids) > maxMassOpenIDs {
		return fail(40032, fmt.Sprintf("%d openids, limit %d", len(ids), maxMassOpenIDs))
	}
	seen := make(map[string]bool, len(ids))
	var candidates []*fan
	for _, id := range ids {
		if f := c.acct.fans[id]; f != nil && f.Subscribed && !seen[id] {
			candidates = append(candidates, f)
		}
		seen[id] = true
	}
	total := len(seen)
	return s.massSendCounted(c, &m, candidates, total)
}

// massSendCounted runs the shared part of sendall and send: clientmsgid
// idempotency (45065 with the first msg_id), the daily job limit of
// unverified accounts (45028), the monthly per-fan limit of verified ones
// (filtered), delivery and the MASSSENDJOBFINISH event.
func (s *Server) massSendCounted(c *apiCall, m *massRequest, candidates []*fan, total int) reply {
	d, rep := m.content(SourceMass, c.body)
	if rep != nil {
		return *rep
	}
	if rep := c.acct.unknownMedia(c.now, m.mediaIDs()...); rep != nil {
		return *rep
	}
	a := c.acct
	if len(m.ClientMsgID) > maxClientMsgID {
		return fail(40035, "clientmsgid longer than 64 bytes")
	}
	if m.ClientMsgID != "" {
		if prev, ok := a.clientMsgIDs[m.ClientMsgID]; ok && c.now.Sub(prev.at) < clientMsgIDTTL {
			rep := fail(45065, "")
			rep.body.(map[string]any)["msg_id"] = prev.msgID
			return rep
		}
	}
	if !a.Verified && s.opts.MassDailyLimit > 0 {
		today := 0
		for _, t := range a.massStarts {
			if sameDay(t, c.now) {
				today++
			}
		}
		if today >= s.opts.MassDailyLimit {
			return fail(45028, "")
		}
	}
	job := &massJob{id: s.nextSeq(), kind: m.MsgType, status: massStatusOK, created: c.now,
		sent: make(map[*fan]int64)}
	d.Time, d.MsgID = c.now, job.id
	if d.Kind == "mpnews" {
		d.Articles = a.newsCards(d.MediaID)
	}
	for _, f := range candidates {
		if a.Verified && s.opts.MassMonthlyPerFan > 0 && monthCount(f.massReceived, c.now) >= s.opts.MassMonthlyPerFan {
			continue
		}
		f.massReceived = append(f.massReceived, c.now)
		job.sent[f] = s.push(f, d).Seq
	}
	a.mass[job.id] = job
	a.massStarts = append(a.massStarts, c.now)
	if m.ClientMsgID != "" {
		a.clientMsgIDs[m.ClientMsgID] = clientMsg{msgID: job.id, at: c.now}
	}
	n := int64(len(job.sent))
	s.jobEvent(a, CallbackMessage{FromUserName: "mphelper", CreateTime: c.now.Unix(), MsgType: "event",
		Event: "MASSSENDJOBFINISH", JobMsgID: job.id, Status: "send success",
		TotalCount: int64(total), FilterCount: n, SentCount: n})
	out := ok(map[string]any{"msg_id": job.id})
	out.body.(map[string]any)["errmsg"] = "send job submission success"
	if m.MsgType == "mpnews" {
		out.body.(map[string]any)["msg_data_id"] = job.id
	}
	return out
}

// handleMassPreview is POST /cgi-bin/message/mass/preview: to one follower
// (40003 unknown, 43004 unsubscribed); no quota is used.
func (s *Server) handleMassPreview(c *apiCall) reply {
	var m massRequest
	if rep := c.decode(&m); rep != nil {
		return *rep
	}
	var openID string
	if err := json.Unmarshal(m.ToUser, &openID); err != nil || openID == "" {
		return fail(40003, "touser must be one openid")
	}
	d, rep := m.content(SourcePreview, c.body)
	if rep != nil {
		return *rep
	}
	if rep := c.acct.unknownMedia(c.now, m.mediaIDs()...); rep != nil {
		return *rep
	}
	f := c.acct.fans[openID]
	if f == nil {
		return fail(40003, "")
	}
	if !f.Subscribed {
		return fail(43004, "")
	}
	id := s.nextSeq()
	d.Time, d.MsgID = c.now, id
	if d.Kind == "mpnews" {
		d.Articles = c.acct.newsCards(d.MediaID)
	}
	s.push(f, d)
	out := ok(map[string]any{"msg_id": id})
	out.body.(map[string]any)["errmsg"] = "preview success"
	return out
}

// massJobFor decodes {"msg_id"} and finds the job (40035 when unknown).
func (s *Server) massJobFor(c *apiCall) (*massJob, *reply) {
	var req struct {
		MsgID flexInt `json:"msg_id"`
	}
	if rep := c.decode(&req); rep != nil {
		return nil, rep
	}
	job := c.acct.mass[int64(req.MsgID)]
	if job == nil {
		r := fail(40035, "unknown msg_id")
		return nil, &r
	}
	return job, nil
}

// handleMassGet is POST /cgi-bin/message/mass/get: SEND_SUCCESS or DELETE.
func (s *Server) handleMassGet(c *apiCall) reply {
	job, rep := s.massJobFor(c)
	if rep != nil {
		return *rep
	}
	return data(map[string]any{"msg_id": job.id, "msg_status": job.status})
}

// handleMassDelete is POST /cgi-bin/message/mass/delete: only mpnews and
// mpvideo jobs (else 40035); fans then see the message as deleted.
func (s *Server) handleMassDelete(c *apiCall) reply {
	job, rep := s.massJobFor(c)
	if rep != nil {
		return *rep
	}
	if job.kind != "mpnews" && job.kind != "mpvideo" {
		return fail(40035, "only mpnews and mpvideo can be deleted")
	}
	job.status = massStatusDelete
	for f, seq := range job.sent {
		for i := range f.inbox {
			if f.inbox[i].Seq == seq {
				f.inbox[i].Deleted = true
			}
		}
	}
	return ok(nil)
}

// realSpeed is the platform's speed level → 10k messages a minute.
var realSpeed = []int{80, 60, 45, 30, 10}

// handleMassSpeedGet is POST /cgi-bin/message/mass/speed/get.
func (s *Server) handleMassSpeedGet(c *apiCall) reply {
	return data(map[string]any{"speed": c.acct.massSpeed, "realspeed": realSpeed[c.acct.massSpeed]})
}

// handleMassSpeedSet is POST /cgi-bin/message/mass/speed/set {"speed":0-4}.
func (s *Server) handleMassSpeedSet(c *apiCall) reply {
	var req struct {
		Speed int `json:"speed"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	if req.Speed < 0 || req.Speed >= len(realSpeed) {
		return fail(40035, "speed must be 0 to 4")
	}
	c.acct.massSpeed = req.Speed
	return ok(nil)
}

func sameDay(a, b time.Time) bool {
	ya, ma, da := a.In(beijing).Date()
	yb, mb, db := b.In(beijing).Date()
	return ya == yb && ma == mb && da == db
}

func monthCount(ts []time.Time, now time.Time) int {
	y, m, _ := now.In(beijing).Date()
	n := 0
	for _, t := range ts {
		if ty, tm, _ := t.In(beijing).Date(); ty == y && tm == m {
			n++
		}
	}
	return n
}
