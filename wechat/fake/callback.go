package fake

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/silenceper/wechat/v2/util"
)

// CallbackMessage is the XML WeChat POSTs to an account's server: a fan's
// message or event, or a job-finish event. Empty fields are left out of the
// XML; strings are written as CDATA, as the platform does. It also
// unmarshals such XML.
type CallbackMessage struct {
	ToUserName   string `xml:"ToUserName"`   // the account's 原始ID
	FromUserName string `xml:"FromUserName"` // the fan's openid (mphelper for mass jobs)
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"` // text, image, voice, video, shortvideo, location, link, event

	Content      string  `xml:"Content"`
	PicURL       string  `xml:"PicUrl"`
	MediaID      string  `xml:"MediaId"`
	Format       string  `xml:"Format"`
	Recognition  string  `xml:"Recognition"`
	ThumbMediaID string  `xml:"ThumbMediaId"`
	LocationX    float64 `xml:"Location_X"` // written only for MsgType location
	LocationY    float64 `xml:"Location_Y"`
	Scale        float64 `xml:"Scale"`
	Label        string  `xml:"Label"`
	Title        string  `xml:"Title"`
	Description  string  `xml:"Description"`
	URL          string  `xml:"Url"`

	Event      string `xml:"Event"`
	EventKey   string `xml:"EventKey"`
	Ticket     string `xml:"Ticket"`
	Latitude   string `xml:"Latitude"`
	Longitude  string `xml:"Longitude"`
	Precision  string `xml:"Precision"`
	ScanType   string `xml:"ScanCodeInfo>ScanType"` // scancode_push / scancode_waitmsg
	ScanResult string `xml:"ScanCodeInfo>ScanResult"`

	// JobMsgID is the MsgID (capital D) of TEMPLATESENDJOBFINISH and
	// MASSSENDJOBFINISH events; the counts are written for MASSSENDJOBFINISH.
	JobMsgID    int64  `xml:"MsgID"`
	Status      string `xml:"Status"`
	TotalCount  int64  `xml:"TotalCount"`
	FilterCount int64  `xml:"FilterCount"`
	SentCount   int64  `xml:"SentCount"`
	ErrorCount  int64  `xml:"ErrorCount"`

	// MsgID is the MsgId of a fan's message, the key WeChat's retries share.
	MsgID int64 `xml:"MsgId"`

	// Publish is the PublishEventInfo of a PUBLISHJOBFINISH event.
	Publish *PublishEvent `xml:"PublishEventInfo"`
}

// PublishEvent is what PUBLISHJOBFINISH reports about a freepublish job.
type PublishEvent struct {
	PublishID int64    `xml:"publish_id"`
	Status    int      `xml:"publish_status"`
	ArticleID string   `xml:"article_id"`
	URLs      []string `xml:"-"` // article_detail/item/article_url, one per article
	FailIdx   []int    `xml:"fail_idx"`
}

// publishEventXML is PublishEventInfo as the platform writes it.
type publishEventXML struct {
	PublishID int64  `xml:"publish_id"`
	Status    int    `xml:"publish_status"`
	ArticleID string `xml:"article_id,omitempty"`
	Detail    *struct {
		Count int `xml:"count"`
		Item  []struct {
			Idx int    `xml:"idx"`
			URL string `xml:"article_url"`
		} `xml:"item"`
	} `xml:"article_detail,omitempty"`
	FailIdx []int `xml:"fail_idx"`
}

// MarshalXML writes the message the way the platform does.
func (m CallbackMessage) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	root := xml.StartElement{Name: xml.Name{Local: "xml"}}
	if err := e.EncodeToken(root); err != nil {
		return err
	}
	type cdata struct {
		S string `xml:",cdata"`
	}
	var err error
	str := func(name, v string) {
		if v != "" && err == nil {
			err = e.EncodeElement(cdata{v}, xml.StartElement{Name: xml.Name{Local: name}})
		}
	}
	num := func(name, v string) {
		if err == nil {
			err = e.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: name}})
		}
	}
	i64 := func(name string, v int64, always bool) {
		if v != 0 || always {
			num(name, strconv.FormatInt(v, 10))
		}
	}
	float := func(name string, v float64) { num(name, strconv.FormatFloat(v, 'f', -1, 64)) }

	str("ToUserName", m.ToUserName)
	str("FromUserName", m.FromUserName)
	i64("CreateTime", m.CreateTime, true)
	str("MsgType", m.MsgType)
	str("Content", m.Content)
	str("PicUrl", m.PicURL)
	str("MediaId", m.MediaID)
	str("Format", m.Format)
	str("Recognition", m.Recognition)
	str("ThumbMediaId", m.ThumbMediaID)
	if m.MsgType == "location" {
		float("Location_X", m.LocationX)
		float("Location_Y", m.LocationY)
		float("Scale", m.Scale)
	}
	str("Label", m.Label)
	str("Title", m.Title)
	str("Description", m.Description)
	str("Url", m.URL)
	str("Event", m.Event)
	str("EventKey", m.EventKey)
	str("Ticket", m.Ticket)
	str("Latitude", m.Latitude)
	str("Longitude", m.Longitude)
	str("Precision", m.Precision)
	if (m.ScanType != "" || m.ScanResult != "") && err == nil {
		info := xml.StartElement{Name: xml.Name{Local: "ScanCodeInfo"}}
		err = e.EncodeToken(info)
		str("ScanType", m.ScanType)
		str("ScanResult", m.ScanResult)
		if err == nil {
			err = e.EncodeToken(info.End())
		}
	}
	i64("MsgID", m.JobMsgID, false)
	str("Status", m.Status)
	if m.Event == "MASSSENDJOBFINISH" {
		i64("TotalCount", m.TotalCount, true)
		i64("FilterCount", m.FilterCount, true)
		i64("SentCount", m.SentCount, true)
		i64("ErrorCount", m.ErrorCount, true)
	}
	i64("MsgId", m.MsgID, false)
	if p := m.Publish; p != nil && err == nil {
		x := publishEventXML{PublishID: p.PublishID, Status: p.Status, ArticleID: p.ArticleID, FailIdx: p.FailIdx}
		if len(p.URLs) > 0 {
			x.Detail = &struct {
				Count int `xml:"count"`
				Item  []struct {
					Idx int    `xml:"idx"`
					URL string `xml:"article_url"`
				} `xml:"item"`
			}{Count: len(p.URLs)}
			for i, u := range p.URLs {
				x.Detail.Item = append(x.Detail.Item, struct {
					Idx int    `xml:"idx"`
					URL string `xml:"article_url"`
				}{i + 1, u})
			}
		}
		err = e.EncodeElement(x, xml.StartElement{Name: xml.Name{Local: "PublishEventInfo"}})
	}
	if err != nil {
		return err
	}
	return e.EncodeToken(root.End())
}

// BuildCallback builds the signed request WeChat would send for msg: the
// query (signature, timestamp, nonce, openid; in safe mode also
// encrypt_type=aes and msg_signature) and the body (the XML, or in safe mode
// the <Encrypt> envelope). Safe mode is used when acct.EncodingAESKey is set.
func BuildCallback(acct Account, msg CallbackMessage, timestamp, nonce string) (url.Values, []byte, error) {
	plain, err := xml.Marshal(msg)
	if err != nil {
		return nil, nil, fmt.Errorf("fake: marshal callback: %w", err)
	}
	return BuildRawCallback(acct, plain, msg.ToUserName, msg.FromUserName, timestamp, nonce)
}

// BuildRawCallback signs (and in safe mode encrypts) plain, the message XML
// as given, byte for byte: tests use it to send hostile or broken XML that
// is correctly signed. to and from fill the envelope's ToUserName and the
// openid query parameter when not empty.
func BuildRawCallback(acct Account, plain []byte, to, from, timestamp, nonce string) (url.Values, []byte, error) {
	q := url.Values{}
	q.Set("signature", util.Signature(acct.Token, timestamp, nonce))
	q.Set("timestamp", timestamp)
	q.Set("nonce", nonce)
	if from != "" {
		q.Set("openid", from)
	}
	if acct.EncodingAESKey == "" {
		return q, plain, nil
	}
	random := make([]byte, 16)
	_, _ = rand.Read(random)
	enc, err := util.EncryptMsg(random, plain, acct.AppID, acct.EncodingAESKey)
	if err != nil {
		return nil, nil, fmt.Errorf("fake: encrypt callback: %w", err)
	}
	env := struct {
		XMLName    xml.Name `xml:"xml"`
		ToUserName string   `xml:"ToUserName"`
		Encrypt    string   `xml:"Encrypt"`
	}{ToUserName: to, Encrypt: string(enc)}
	body, err := xml.Marshal(env)
	if err != nil {
		return nil, nil, err
	}
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", util.Signature(acct.Token, timestamp, nonce, string(enc)))
	return q, body, nil
}

// Reply is a parsed passive reply.
type Reply struct {
	ToUserName   string
	FromUserName string
	CreateTime   int64
	// MsgType: text, image, voice, video, music, news, transfer_customer_service.
	MsgType      string
	Content      string
	MediaID      string // image, voice, video
	Title        string // video, music
	Description  string
	MusicURL     string
	HQMusicURL   string
	ThumbMediaID string
	Articles     []Article
	KfAccount    string // transfer_customer_service TransInfo
	// XML is the reply's plaintext XML (decrypted in safe mode).
	XML []byte
}

type replyXML struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	Image        struct {
		MediaID string `xml:"MediaId"`
	} `xml:"Image"`
	Voice struct {
		MediaID string `xml:"MediaId"`
	} `xml:"Voice"`
	Video struct {
		MediaID     string `xml:"MediaId"`
		Title       string `xml:"Title"`
		Description string `xml:"Description"`
	} `xml:"Video"`
	Music struct {
		Title        string `xml:"Title"`
		Description  string `xml:"Description"`
		MusicURL     string `xml:"MusicUrl"`
		HQMusicURL   string `xml:"HQMusicUrl"`
		ThumbMediaID string `xml:"ThumbMediaId"`
	} `xml:"Music"`
	ArticleCount int `xml:"ArticleCount"`
	Articles     []struct {
		Title       string `xml:"Title"`
		Description string `xml:"Description"`
		PicURL      string `xml:"PicUrl"`
		URL         string `xml:"Url"`
	} `xml:"Articles>item"`
	KfAccount string `xml:"TransInfo>KfAccount"`
	// safe-mode envelope
	Encrypt      string `xml:"Encrypt"`
	MsgSignature string `xml:"MsgSignature"`
	TimeStamp    string `xml:"TimeStamp"`
	Nonce        string `xml:"Nonce"`
}

// ErrBadReply marks a passive reply WeChat would not show.
var ErrBadReply = errors.New("fake: bad passive reply")

// ParseReply parses the passive reply body to a callback sent with query
// (from BuildCallback). An empty body or "success" means no reply: nil, nil.
// In safe mode (query encrypt_type=aes) the reply must be the encrypted
// envelope: its MsgSignature is checked and it is decrypted with acct's key.
func ParseReply(acct Account, query url.Values, body []byte) (*Reply, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "success" {
		return nil, nil
	}
	var x replyXML
	if err := xml.Unmarshal(body, &x); err != nil {
		return nil, fmt.Errorf("%w: not XML: %v", ErrBadReply, err)
	}
	safe := query.Get("encrypt_type") == "aes"
	switch {
	case safe && x.Encrypt == "":
		return nil, fmt.Errorf("%w: plaintext reply in safe mode", ErrBadReply)
	case !safe && x.Encrypt != "":
		return nil, fmt.Errorf("%w: encrypted reply in plain mode", ErrBadReply)
	case safe:
		if want := util.Signature(acct.Token, x.TimeStamp, x.Nonce, x.Encrypt); want != x.MsgSignature {
			return nil, fmt.Errorf("%w: bad MsgSignature", ErrBadReply)
		}
		_, plain, err := util.DecryptMsg(acct.AppID, x.Encrypt, acct.EncodingAESKey)
		if err != nil {
			return nil, fmt.Errorf("%w: decrypt: %v", ErrBadReply, err)
		}
		body = plain
		x = replyXML{}
		if err := xml.Unmarshal(body, &x); err != nil {
			return nil, fmt.Errorf("%w: decrypted reply not XML: %v", ErrBadReply, err)
		}
	}
	r := &Reply{ToUserName: x.ToUserName, FromUserName: x.FromUserName, CreateTime: x.CreateTime,
		MsgType: x.MsgType, Content: x.Content, KfAccount: x.KfAccount, XML: body}
	switch x.MsgType {
	case "text":
	case "image":
		r.MediaID = x.Image.MediaID
	case "voice":
		r.MediaID = x.Voice.MediaID
	case "video":
		r.MediaID, r.Title, r.Description = x.Video.MediaID, x.Video.Title, x.Video.Description
	case "music":
		m := x.Music
		r.Title, r.Description, r.MusicURL, r.HQMusicURL, r.ThumbMediaID =
			m.Title, m.Description, m.MusicURL, m.HQMusicURL, m.ThumbMediaID
	case "news":
		if x.ArticleCount != len(x.Articles) || len(x.Articles) == 0 {
			return nil, fmt.Errorf("%w: ArticleCount %d with %d items", ErrBadReply, x.ArticleCount, len(x.Articles))
		}
		for _, a := range x.Articles {
			r.Articles = append(r.Articles, Article(a))
		}
	case "transfer_customer_service":
	default:
		return nil, fmt.Errorf("%w: MsgType %q", ErrBadReply, x.MsgType)
	}
	return r, nil
}

// checkReply applies the platform's rules to a parsed reply to msg.
func (s *Server) checkReply(acct Account, msg CallbackMessage, r *Reply) error {
	cerr := func(format string, args ...any) error {
		return &CallbackError{AppID: acct.AppID, OpenID: msg.FromUserName, Attempts: 1,
			Err: fmt.Errorf("%w: "+format, append([]any{ErrBadReply}, args...)...)}
	}
	if r.ToUserName != msg.FromUserName || r.FromUserName != msg.ToUserName {
		return cerr("addressed from %q to %q, want from %q to %q",
			r.FromUserName, r.ToUserName, msg.ToUserName, msg.FromUserName)
	}
	if r.MsgType == "text" && len(r.Content) > s.opts.MaxTextBytes {
		return cerr("text of %d bytes, limit %d", len(r.Content), s.opts.MaxTextBytes)
	}
	limit := 1 // news after a fan's message: 1 article; after an event: 8
	if msg.MsgType == "event" {
		limit = 8
	}
	if len(r.Articles) > limit {
		return cerr("%d articles, limit %d", len(r.Articles), limit)
	}
	return nil
}

// CallbackError reports a callback the account's server did not handle.
type CallbackError struct {
	AppID, OpenID string
	Attempts      int
	StatusCode    int // last HTTP status, 0 if none
	Err           error
}

func (e *CallbackError) Error() string {
	return fmt.Sprintf("fake: callback for %s/%s failed after %d attempt(s) (status %d): %v",
		e.AppID, e.OpenID, e.Attempts, e.StatusCode, e.Err)
}

// Unwrap returns the underlying error.
func (e *CallbackError) Unwrap() error { return e.Err }

// callback POSTs msg to the account's server, retrying like WeChat when the
// server does not answer 200 within CallbackTimeout, and parses the reply.
func (s *Server) callback(ctx context.Context, acct Account, msg CallbackMessage) (*Reply, error) {
	ts := strconv.FormatInt(msg.CreateTime, 10)
	q, body, err := BuildCallback(acct, msg, ts, newNonce())
	if err != nil {
		return nil, err
	}
	target, err := withQuery(acct.CallbackURL, q)
	if err != nil {
		return nil, err
	}
	cerr := &CallbackError{AppID: acct.AppID, OpenID: msg.FromUserName}
	for cerr.Attempts < s.opts.CallbackAttempts && ctx.Err() == nil {
		cerr.Attempts++
		status, resp, err := s.postOnce(ctx, target, body)
		cerr.StatusCode = status
		if err != nil {
			cerr.Err = err
			continue
		}
		if status != http.StatusOK {
			cerr.Err = fmt.Errorf("HTTP %d", status)
			continue
		}
		r, err := ParseReply(acct, q, resp)
		if err != nil {
			cerr.Err = err
			return nil, cerr
		}
		return r, nil
	}
	if cerr.Err == nil {
		cerr.Err = ctx.Err()
	}
	return nil, cerr
}

func (s *Server) postOnce(ctx context.Context, target string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

// newNonce returns a random decimal nonce, as the platform sends.
func newNonce() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strconv.FormatUint(binary.BigEndian.Uint64(b)%1e10, 10)
}

// withQuery adds q to the query rawURL may already have.
func withQuery(rawURL string, q url.Values) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("fake: callback URL: %w", err)
	}
	all := u.Query()
	for k, v := range q {
		all[k] = v
	}
	u.RawQuery = all.Encode()
	return u.String(), nil
}

// VerifyCallback does what the platform does when an account's server URL
// is saved: a signed GET with echostr, which must be echoed back.
func (s *Server) VerifyCallback(ctx context.Context, appID string) error {
	acct, ok := s.Account(appID)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownAccount, appID)
	}
	s.mu.Lock()
	ts := strconv.FormatInt(s.opts.Now().Unix(), 10)
	s.mu.Unlock()
	nonce, echo := newNonce(), "echo"+newNonce()
	q := url.Values{"signature": {util.Signature(acct.Token, ts, nonce)}, "timestamp": {ts},
		"nonce": {nonce}, "echostr": {echo}}
	target, err := withQuery(acct.CallbackURL, q)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("fake: verify callback: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != echo {
		return fmt.Errorf("fake: verify callback: HTTP %d, body %q, want echostr %q", resp.StatusCode, b, echo)
	}
	return nil
}

// jobEvent POSTs a job-finish event asynchronously. Caller holds s.mu.
func (s *Server) jobEvent(a *account, msg CallbackMessage) {
	if s.opts.DisableJobEvents || a.CallbackURL == "" {
		return
	}
	acct := a.Account
	msg.ToUserName = acct.OriginalID
	s.goAsync(func(ctx context.Context) { _, _ = s.callback(ctx, acct, msg) })
}
