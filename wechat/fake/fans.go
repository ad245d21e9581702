package fake

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of the fan side.
var (
	// ErrUnknownAccount: the AppID was never added.
	ErrUnknownAccount = errors.New("fake: unknown account")
	// ErrNotFollowing: only followers can message an account, click its menu
	// or be unfollowed.
	ErrNotFollowing = errors.New("fake: fan is not following")
	// ErrAlreadyFollowing: Follow on a follower (use Scan for a QR code).
	ErrAlreadyFollowing = errors.New("fake: fan already follows")
)

// Delivery directions, seen from the account: "in" is what the fan sent,
// "out" is what the fan received.
const (
	DirIn  = "in"
	DirOut = "out"
)

// Delivery sources.
const (
	SourceFan      = "fan"      // the fan's own message or action (DirIn)
	SourcePassive  = "passive"  // passive reply to a callback
	SourceCustom   = "custom"   // /cgi-bin/message/custom/send
	SourceTemplate = "template" // /cgi-bin/message/template/send
	SourceMass     = "mass"     // mass/sendall, mass/send
	SourcePreview  = "preview"  // mass/preview
	SourcePlatform = "platform" // WeChat's own notice, e.g. service unavailable
)

// UnavailableText is what WeChat shows a fan when the account's server did
// not answer in time or answered something malformed.
const UnavailableText = "该公众号暂时无法提供服务，请稍后再试"

// Article is one item of a news (图文) message.
type Article struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	PicURL      string `json:"picurl"`
	URL         string `json:"url"`
}

// Delivery is one entry of a fan's phone: a message the fan sent, an action
// the fan took (Kind "event"; UIs may hide them), or a message the fan got.
type Delivery struct {
	// Seq orders deliveries across the whole Server; poll with "Seq > last".
	Seq       int64
	Time      time.Time
	Direction string // DirIn or DirOut
	Source    string // SourceFan, SourcePassive, SourceCustom, ...
	// Kind is the message type: text, image, voice, video, music, news,
	// mpnews, template, location, link, event, transfer_customer_service, ...
	Kind        string
	Text        string // text content; location label; voice recognition
	MediaID     string
	PicURL      string
	Title       string
	Description string
	URL         string
	Articles    []Article
	// TemplateID and TemplateData (keyword → value, first/remark dropped as
	// the platform no longer shows them) for Kind "template".
	TemplateID   string
	TemplateData map[string]string
	KfAccount    string // customer-service account named by the sender
	MsgID        int64  // fan message MsgId, or the template/mass msg id
	Event        string // for Kind "event"
	EventKey     string
	Deleted      bool // mass message deleted by the account
	// Message is the callback the fan's action produced (DirIn only).
	Message *CallbackMessage
	// Raw is the passive reply XML or the API request JSON (DirOut).
	Raw string
}

// Fan is a snapshot of one fan as the platform knows it.
type Fan struct {
	OpenID          string
	Subscribed      bool
	SubscribeTime   time.Time
	UnsubscribeTime time.Time
	// Scene is user/info's subscribe_scene: ADD_SCENE_QR_CODE after a QR
	// follow, else ADD_SCENE_OTHERS (or what SeedFan was given).
	Scene   string
	QRScene string // the QR scene the fan followed through
	Tags    []int
	Remark  string
	// TypingUntil is when the last "Typing" indicator sent to the fan ends.
	TypingUntil time.Time
	// Open customer-service windows: when each ends and how many messages
	// it still allows (zero when closed).
	MessageWindowEnds time.Time
	MessageWindowLeft int
	EventWindowEnds   time.Time
	EventWindowLeft   int
	// BlocksTemplates: the fan turned off this account's template messages
	// (拒收消息 in WeChat). The platform still accepts a template send and
	// gives a msgid, but the fan never sees it, and TEMPLATESENDJOBFINISH
	// says "failed:user block".
	BlocksTemplates bool
	// Blacklisted: the account put the fan on its blacklist
	// (tags/members/batchblacklist): sends to them answer 43019.
	Blacklisted bool
}

// account is the state of one official account.
type account struct {
	Account
	fans         map[string]*fan
	order        []string // openids, first seen first: user/get paging order
	tags         map[int]*tag
	nextTagID    int
	menu         *menuState
	sceneTickets map[string]string // QR scene → latest ticket
	mass         map[int64]*massJob
	clientMsgIDs map[string]clientMsg
	massStarts   []time.Time // sendall jobs, for the daily limit
	massSpeed    int
	stableToken  *token
	media        map[string]string     // media id → type: what the account may send
	materials    map[string]*Material  // uploads with their bytes (material.go)
	drafts       map[string]*Draft     // 草稿箱 (draft.go)
	publishes    map[int64]*PublishJob // freepublish jobs by publish_id
}

func newAccount(a Account) *account {
	return &account{
		Account:      a,
		fans:         make(map[string]*fan),
		tags:         map[int]*tag{2: {id: 2, name: "星标组"}},
		nextTagID:    100,
		sceneTickets: make(map[string]string),
		mass:         make(map[int64]*massJob),
		clientMsgIDs: make(map[string]clientMsg),
		media:        make(map[string]string),
		materials:    make(map[string]*Material),
		drafts:       make(map[string]*Draft),
		publishes:    make(map[int64]*PublishJob),
	}
}

// fan is the platform's state of one fan of one account.
type fan struct {
	Fan
	inbox        []Delivery
	msgWin       window
	evtWin       window
	lastAction   time.Time
	massReceived []time.Time
}

// window is a customer-service window: opened by a fan action, it allows
// quota messages until opened+length.
type window struct {
	opened time.Time
	used   int
}

func (w window) left(now time.Time, length time.Duration, quota int) (ends time.Time, left int, open bool) {
	if w.opened.IsZero() {
		return time.Time{}, 0, false
	}
	ends = w.opened.Add(length)
	if !now.Before(ends) {
		return time.Time{}, 0, false
	}
	return ends, quota - w.used, true
}

// fanFor returns the fan, creating an unsubscribed one. Caller holds s.mu.
func (a *account) fanFor(openID string) *fan {
	f := a.fans[openID]
	if f == nil {
		f = &fan{Fan: Fan{OpenID: openID}}
		a.fans[openID] = f
		a.order = append(a.order, openID)
	}
	return f
}

// snapshot copies a fan for callers. Caller holds s.mu.
func (s *Server) snapshot(f *fan, now time.Time) Fan {
	out := f.Fan
	out.Tags = append([]int(nil), f.Tags...)
	out.MessageWindowEnds, out.MessageWindowLeft, _ = f.msgWin.left(now, s.opts.MessageWindow, s.opts.MessageQuota)
	out.EventWindowEnds, out.EventWindowLeft, _ = f.evtWin.left(now, s.opts.EventWindow, s.opts.EventQuota)
	return out
}

// Fans returns the account's fans, followers and former followers, in the
// order the platform first saw them.
func (s *Server) Fans(appID string) []Fan {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[appID]
	if a == nil {
		return nil
	}
	now := s.opts.Now()
	out := make([]Fan, 0, len(a.order))
	for _, id := range a.order {
		out = append(out, s.snapshot(a.fans[id], now))
	}
	return out
}

// SeedFan registers a fan directly, without any callback or window: for
// tests and load runs that need many followers fast. f.Subscribed is taken as
// given; SubscribeTime defaults to now and Scene to ADD_SCENE_OTHERS. Tags
// must exist.
func (s *Server) SeedFan(appID string, f Fan) error {
	if err := s.seedFan(appID, f); err != nil {
		return err
	}
	s.persist()
	return nil
}

func (s *Server) seedFan(appID string, f Fan) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[appID]
	if a == nil {
		return fmt.Errorf("%w: %s", ErrUnknownAccount, appID)
	}
	for _, id := range f.Tags {
		if a.tags[id] == nil {
			return fmt.Errorf("fake: seed %s: no tag %d", f.OpenID, id)
		}
	}
	if f.SubscribeTime.IsZero() && f.Subscribed {
		f.SubscribeTime = s.opts.Now()
	}
	if f.Scene == "" {
		f.Scene = "ADD_SCENE_OTHERS"
	}
	x := a.fanFor(f.OpenID)
	x.Fan = f
	x.Tags = append([]int(nil), f.Tags...)
	return nil
}

// BlockTemplates turns the fan's template messages from the account off
// (block) or on again, as the fan can in WeChat. The fan must be known.
func (s *Server) BlockTemplates(appID, openID string, block bool) error {
	s.mu.Lock()
	a := s.accounts[appID]
	if a == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrUnknownAccount, appID)
	}
	f := a.fans[openID]
	if f == nil {
		s.mu.Unlock()
		return fmt.Errorf("fake: no fan %s", openID)
	}
	f.BlocksTemplates = block
	s.mu.Unlock()
	s.persist()
	return nil
}

// Inbox returns everything on the fan's phone for that account, oldest
// first: the fan's own messages and actions (DirIn) and what the fan
// received (DirOut).
func (s *Server) Inbox(appID, openID string) []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[appID]
	if a == nil || a.fans[openID] == nil {
		return nil
	}
	return append([]Delivery(nil), a.fans[openID].inbox...)
}

// push appends d to the fan's inbox. Caller holds s.mu.
func (s *Server) push(f *fan, d Delivery) Delivery {
	d.Seq = s.nextSeq()
	if d.Time.IsZero() {
		d.Time = s.opts.Now()
	}
	f.inbox = append(f.inbox, d)
	return d
}

// Follow makes openID follow the account. scene "" is a plain follow; a QR
// scene sends EventKey "qrscene_<scene>" (with the code's Ticket when the
// account created one). It returns the passive reply the fan saw, if any.
func (s *Server) Follow(ctx context.Context, appID, openID, scene string) (*Delivery, error) {
	msg := CallbackMessage{MsgType: "event", Event: "subscribe"}
	if scene != "" {
		msg.EventKey = "qrscene_" + scene
		msg.Ticket = s.ticketForScene(appID, scene)
	}
	return s.Post(ctx, appID, openID, msg)
}

// Unfollow makes openID stop following. The platform forgets the fan's tags
// and windows; the account's server is told (its reply is never shown).
func (s *Server) Unfollow(ctx context.Context, appID, openID string) error {
	_, err := s.Post(ctx, appID, openID, CallbackMessage{MsgType: "event", Event: "unsubscribe"})
	return err
}

// Scan is the fan scanning a QR code of the account: a follower sends a SCAN
// event with EventKey scene; anyone else follows through it (see Follow).
func (s *Server) Scan(ctx context.Context, appID, openID, scene string) (*Delivery, error) {
	s.mu.Lock()
	following := false
	if a := s.accounts[appID]; a != nil && a.fans[openID] != nil {
		following = a.fans[openID].Subscribed
	}
	s.mu.Unlock()
	if !following {
		return s.Follow(ctx, appID, openID, scene)
	}
	msg := CallbackMessage{MsgType: "event", Event: "SCAN", EventKey: scene, Ticket: s.ticketForScene(appID, scene)}
	return s.Post(ctx, appID, openID, msg)
}

// SendText is the fan sending a text message (with a fresh MsgId).
func (s *Server) SendText(ctx context.Context, appID, openID, text string) (*Delivery, error) {
	return s.Post(ctx, appID, openID, CallbackMessage{MsgType: "text", Content: text})
}

// Click is the fan tapping a click menu button with the given key.
func (s *Server) Click(ctx context.Context, appID, openID, key string) (*Delivery, error) {
	return s.Post(ctx, appID, openID, CallbackMessage{MsgType: "event", Event: "CLICK", EventKey: key})
}

// Post is the generic fan action: msg needs MsgType (and Event for events);
// ToUserName, FromUserName, CreateTime and, for messages, a unique MsgID are
// filled in. The platform's state changes first (follow, windows, inbox);
// then the callback is POSTed and the passive reply parsed. It returns the
// reply the fan saw, nil for "success"/empty. When the server fails
// (timeouts after every attempt, non-200, malformed or misaddressed reply)
// the fan sees UnavailableText: that notice is returned with a
// *CallbackError.
func (s *Server) Post(ctx context.Context, appID, openID string, msg CallbackMessage) (*Delivery, error) {
	if msg.MsgType == "" {
		return nil, errors.New("fake: post: MsgType is required")
	}
	s.mu.Lock()
	a := s.accounts[appID]
	if a == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrUnknownAccount, appID)
	}
	now := s.opts.Now()
	msg.ToUserName = a.OriginalID
	msg.FromUserName = openID
	if msg.CreateTime == 0 {
		msg.CreateTime = now.Unix()
	}
	if msg.MsgType != "event" && msg.MsgID == 0 {
		msg.MsgID = s.nextSeq()
	}
	if err := s.fanAction(a, msg, now); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	acct := a.Account
	s.mu.Unlock()
	s.persist() // the MsgId is used from now on, restart or not
	defer s.persist()

	if acct.CallbackURL == "" {
		return nil, nil
	}
	rep, err := s.callback(ctx, acct, msg)
	if err == nil && rep != nil {
		err = s.checkReply(acct, msg, rep)
	}
	if msg.Event == "unsubscribe" || ctx.Err() != nil {
		return nil, err // nobody sees anything
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := a.fans[openID]
	if err != nil {
		d := s.push(f, Delivery{Direction: DirOut, Source: SourcePlatform, Kind: "text", Text: UnavailableText})
		return &d, err
	}
	if rep == nil {
		return nil, nil
	}
	d := s.push(f, replyDelivery(rep))
	return &d, nil
}

// fanAction applies a fan's action to the platform's state. Caller holds s.mu.
func (s *Server) fanAction(a *account, msg CallbackMessage, now time.Time) error {
	f := a.fans[msg.FromUserName]
	switch {
	case msg.MsgType == "event" && msg.Event == "subscribe":
		if f != nil && f.Subscribed {
			return ErrAlreadyFollowing
		}
		f = a.fanFor(msg.FromUserName)
		f.Subscribed, f.SubscribeTime, f.UnsubscribeTime = true, now, time.Time{}
		f.Scene, f.QRScene = "ADD_SCENE_OTHERS", ""
		if scene, ok := strings.CutPrefix(msg.EventKey, "qrscene_"); ok {
			f.Scene, f.QRScene = "ADD_SCENE_QR_CODE", scene
		}
		f.evtWin = window{opened: now}
	case f == nil || !f.Subscribed:
		return ErrNotFollowing
	case msg.MsgType == "event" && msg.Event == "unsubscribe":
		f.Subscribed, f.UnsubscribeTime = false, now
		f.Tags, f.TypingUntil = nil, time.Time{}
		f.msgWin, f.evtWin, f.lastAction = window{}, window{}, time.Time{}
	case msg.MsgType == "event":
		switch msg.Event {
		case "SCAN", "CLICK", "scancode_push", "scancode_waitmsg":
			f.evtWin = window{opened: now}
		}
	default: // a message: text, image, voice, video, location, link ...
		f.msgWin = window{opened: now}
	}
	if msg.Event != "unsubscribe" {
		f.lastAction = now
	}
	// A fan's image, voice or video reaches the account as temporary media
	// the platform issued: the account may fetch and send it.
	if msg.MediaID != "" {
		a.media[msg.MediaID] = msg.MsgType
	}
	if msg.ThumbMediaID != "" {
		a.media[msg.ThumbMediaID] = "thumb"
	}
	m := msg
	d := Delivery{Time: now, Direction: DirIn, Source: SourceFan, Kind: msg.MsgType, Message: &m,
		MediaID: msg.MediaID, PicURL: msg.PicURL, Title: msg.Title, Description: msg.Description,
		URL: msg.URL, MsgID: msg.MsgID, Event: msg.Event, EventKey: msg.EventKey}
	switch msg.MsgType {
	case "text":
		d.Text = msg.Content
	case "location":
		d.Text = msg.Label
	case "voice":
		d.Text = msg.Recognition
	}
	s.push(f, d)
	return nil
}

// replyDelivery turns a passive reply into what the fan sees.
func replyDelivery(r *Reply) Delivery {
	return Delivery{Direction: DirOut, Source: SourcePassive, Kind: r.MsgType, Text: r.Content,
		MediaID: r.MediaID, Title: r.Title, Description: r.Description, URL: r.MusicURL,
		Articles: r.Articles, KfAccount: r.KfAccount, Raw: string(r.XML)}
}
