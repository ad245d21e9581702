// Package callback is the WeChat callback endpoint: signature, envelope,
// dedupe, deadline and spool. The answer itself comes from the roles
// (package roles), run by the Pipeline it is given.
package callback

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	oacontext "github.com/silenceper/wechat/v2/officialaccount/context"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/officialaccount/server"
	"github.com/silenceper/wechat/v2/util"

	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
)

// MaxBody is the largest callback body accepted (413 above).
const MaxBody = 1 << 20

// Handler serves GET and POST /wechat.
type Handler struct {
	Store *models.Store
	// Recorder, when set, commits the message log of concurrent callbacks
	// together (models.Recorder); nil records each message on its own.
	Recorder *models.Recorder
	WX       *wechat.Client
	Sender   *wechat.Sender
	Pipeline *roles.Pipeline
	// Deadline bounds the pipeline; past it the callback answers "success"
	// and the reply follows as a customer-service message.
	Deadline time.Duration
	// Window is the platform's customer-service window (default: today's).
	Window  models.WindowRules
	Log     *slog.Logger
	Metrics *metrics.Metrics
	// Spool keeps messages that could not be recorded (the database is
	// away) until ReplaySpool records them; nil: such a message is refused
	// with a 503 so that WeChat retries it.
	Spool *Spool
	// RecordWait bounds how long a callback waits for the database to
	// record its message before spooling it (default 2s).
	RecordWait time.Duration
	// MaxSkew refuses a callback whose signed timestamp is further than
	// this from Now (0: no check). In plain mode the signature does not
	// cover the body, so without it a captured request could be replayed
	// with another message for as long as the token stays the same.
	MaxSkew time.Duration
	// PreviousAESKey is the EncodingAESKey before the last change in
	// WeChat's console (empty: none). WeChat keeps sending callbacks
	// encrypted with it for a while; one the current key cannot decrypt is
	// decrypted with it, and its reply encrypted with it, as WeChat's
	// 消息加解密 FAQ asks ("用哪个Key解密成功，则用此Key加密对应的回包").
	PreviousAESKey string
	// PreviousUntil ends PreviousAESKey's grace period (zero: it is accepted
	// until the operator removes it).
	PreviousUntil time.Time
	Now           func() time.Time // default time.Now

	bg sync.WaitGroup // deferred and follow-up sends
}

// Wait blocks until background sends started by callbacks have finished.
func (h *Handler) Wait() { h.bg.Wait() }

// Verify answers WeChat's URL check: echo echostr when the signature holds.
func (h *Handler) Verify(c *gin.Context) {
	if !h.validSignature(c.Request) {
		c.String(http.StatusForbidden, "bad signature")
		return
	}
	if !h.fresh(c.Query("timestamp")) {
		c.String(http.StatusForbidden, "stale timestamp")
		return
	}
	c.String(http.StatusOK, c.Query("echostr"))
}

// Receive handles one pushed message or event. With an EncodingAESKey
// configured only encrypted callbacks (encrypt_type=aes, msg_signature over
// the ciphertext) are accepted, and only the decrypted message is used: the
// plaintext fields of a compatible-mode body are covered by no signature.
func (h *Handler) Receive(c *gin.Context) {
	start := time.Now()
	mode := "plain"
	defer func() {
		h.Metrics.CallbackSeconds.WithLabelValues(mode).Observe(time.Since(start).Seconds())
	}()
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.String(http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		c.String(http.StatusBadRequest, "unreadable body")
		return
	}
	if !h.validSignature(c.Request) {
		c.String(http.StatusForbidden, "bad signature")
		return
	}
	if !h.fresh(c.Query("timestamp")) {
		c.String(http.StatusForbidden, "stale timestamp")
		return
	}
	if h.WX.Account.AESKey != "" && c.Query("encrypt_type") != "aes" {
		// With a key configured WeChat sends every callback encrypted (兼容模式
		// and 安全模式 alike); plaintext is 明文模式, where no key is set.
		// signature covers neither body nor sender, so a plaintext callback
		// here is someone replaying a captured query around their own XML.
		c.String(http.StatusForbidden, "encrypted callback required")
		return
	}
	key := h.WX.Account.AESKey
	if c.Query("encrypt_type") == "aes" {
		mode = "safe"
		encrypted, status, msg := h.checkEnvelope(c.Request, body)
		if status != 0 {
			c.String(status, msg)
			return
		}
		key = h.keyFor(encrypted)
	}

	// The SDK parses, decrypts and renders; a buffer stands in for the
	// response so that fivec decides what WeChat finally receives.
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	buf := &bufferedWriter{header: http.Header{}}
	srv := h.WX.OA.GetServer(c.Request, buf)
	if key != h.WX.Account.AESKey {
		// Came in with the previous key: decrypt and reply with it.
		srv = server.NewServer(withAESKey(h.WX.OA.GetContext(), key))
		srv.Request, srv.Writer = c.Request, buf
	}
	var (
		handled, bad, lost bool
		passive            *message.Reply
		followUps          []models.Reply
	)
	srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
		handled = true
		if m.FromUserName == "" || m.MsgType == "" {
			bad = true
			return nil
		}
		var kept bool
		passive, followUps, kept = h.answer(c.Request.Context(), m, srv.RequestRawXMLMsg)
		lost = !kept
		return passive
	})
	err = srv.Serve()
	switch {
	case handled && lost:
		// Neither recorded nor spooled: WeChat retries a failed callback.
		c.String(http.StatusServiceUnavailable, "try again")
		return
	case !handled || bad:
		if err != nil {
			h.Log.Info("callback rejected", "err", err)
		}
		c.String(http.StatusBadRequest, "malformed message")
		return
	case err != nil || passive == nil:
		if err != nil {
			h.Log.Error("render passive reply", "err", err)
		}
		// In safe mode the SDK would wrap "no reply" in an encrypted empty
		// envelope; WeChat wants a plain "success".
		c.String(http.StatusOK, "success")
	default:
		if err := srv.Send(); err != nil {
			h.Log.Error("send passive reply", "err", err)
			c.String(http.StatusOK, "success")
			return
		}
		c.Data(http.StatusOK, "application/xml; charset=utf-8", buf.body.Bytes())
	}
	if len(followUps) > 0 {
		h.sendLater(string(srv.RequestMsg.FromUserName), nil, followUps)
	}
}

// answer records the message once, runs the pipeline under the deadline and
// returns the passive reply plus any follow-up messages. kept is false when
// the message was neither recorded nor spooled.
func (h *Handler) answer(ctx context.Context, m *message.MixMessage, raw []byte) (_ *message.Reply, _ []models.Reply, kept bool) {
	start := time.Now()
	in := inboundOf(m, raw)
	msg, member, dup, err := h.record(ctx, in)
	if err != nil {
		return nil, nil, h.spool(in, raw, err)
	}
	label := metricType(m)
	if !dup && msg.Rekeyed(in.DedupeKey) {
		// WeChat never reuses a MsgId; a sender that does (a fake
		// platform restarted without its state) must not get another
		// message's answer.
		h.Log.Warn("dedupe key reused by a different message: recorded and answered as new",
			"key", in.DedupeKey, "stored_as", *msg.DedupeKey, "openid", in.OpenID, "type", label)
	}
	if dup {
		h.Metrics.Messages.WithLabelValues(label, "duplicate").Inc()
		sctx, cancel := context.WithDeadline(ctx, start.Add(answerWithin))
		defer cancel()
		return h.storedAnswer(sctx, msg, start), nil, true
	}
	h.Metrics.Messages.WithLabelValues(label, "new").Inc()

	turn := &roles.Turn{Msg: m, Inbound: msg, Member: member}
	done := make(chan *roles.Turn, 1)
	// The pipeline outlives the request when it misses the deadline.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
	go func() {
		defer cancel()
		h.Pipeline.Run(pctx, turn)
		done <- turn
	}()
	timer := time.NewTimer(h.Deadline - time.Since(start))
	defer timer.Stop()
	select {
	case turn := <-done:
		replies := turn.Replies
		first, rest := split(replies)
		var passive *message.Reply
		if first != nil {
			if passive, err = wechat.PassiveReply(*first); err != nil {
				h.Log.Error("passive reply", "err", err)
				rest = replies // send them all as customer-service messages
			}
		}
		if err := h.finishBy(ctx, start, msg.ID, turn.Answer("")); err != nil {
			h.logFinish("store reply", msg.ID, err)
		}
		return passive, rest, true
	case <-timer.C:
		h.Metrics.Deferred.Inc()
		if err := h.finishBy(ctx, start, msg.ID, models.Answer{State: models.StateDeferred}); err != nil {
			h.logFinish("mark deferred", msg.ID, err)
		}
		h.sendLater(string(m.FromUserName), &deferred{id: msg.ID, turn: done}, nil)
		return nil, nil, true
	}
}

func (h *Handler) record(ctx context.Context, in models.Inbound) (*models.Message, *models.Member, bool, error) {
	if h.Recorder != nil {
		wait := h.RecordWait
		if wait <= 0 {
			wait = 2 * time.Second
		}
		rctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		msg, member, dup, err := h.Recorder.Record(rctx, in)
		if !errors.Is(err, models.ErrRecorderClosed) {
			return msg, member, dup, err
		}
		// Shutting down: record it directly.
	}
	return h.Store.RecordInbound(ctx, in)
}

// answerWithin is how long after a callback arrives fivec must have
// answered: WeChat gives up at 5 s.
const answerWithin = 4900 * time.Millisecond

// finishBy stores an answer, waiting for the database no longer than the
// callback may take (the answer is then stored later, by the recorder).
func (h *Handler) finishBy(ctx context.Context, start time.Time, id uint64, a models.Answer) error {
	if h.Recorder == nil {
		return h.finish(ctx, id, a) // the store would drop a cancelled write
	}
	fctx, cancel := context.WithDeadline(ctx, start.Add(answerWithin))
	defer cancel()
	return h.finish(fctx, id, a)
}

// logFinish logs a failure to store an answer; one still queued in the
// recorder (the database is slow or away) is only a warning.
func (h *Handler) logFinish(what string, id uint64, err error) {
	if errors.Is(err, models.ErrFinishPending) {
		h.Log.Warn(what+": stored later", "msg", id)
		return
	}
	h.Log.Error(what, "msg", id, "err", err)
}

func (h *Handler) finish(ctx context.Context, id uint64, a models.Answer) error {
	if h.Recorder != nil {
		if err := h.Recorder.Finish(ctx, id, a); !errors.Is(err, models.ErrRecorderClosed) {
			return err
		}
	}
	return h.Store.FinishInbound(ctx, id, a)
}

type deferred struct {
	id   uint64
	turn <-chan *roles.Turn
}

// sendLater sends replies as customer-service messages in the background:
// follow-ups right away, or a deferred pipeline's answer once it is ready.
func (h *Handler) sendLater(openID string, d *deferred, replies []models.Reply) {
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if d != nil {
			var turn *roles.Turn
			select {
			case turn = <-d.turn:
			case <-ctx.Done():
				h.Log.Error("deferred pipeline never finished", "msg", d.id)
				return
			}
			replies = turn.Replies
			if err := h.finish(ctx, d.id, turn.Answer(models.StateDeferred)); err != nil {
				h.Log.Error("store deferred reply", "msg", d.id, "err", err)
			}
		}
		h.sendWithinQuota(ctx, openID, replies)
	}()
}

// sendWithinQuota sends as many replies as the fan's customer-service window
// allows (5 in 48 h after their message). Those that do not fit are not sent
// but recorded in the conversation with the reason, so nothing vanishes.
func (h *Handler) sendWithinQuota(ctx context.Context, openID string, replies []models.Reply) {
	if len(replies) == 0 {
		return
	}
	rules := h.Window
	if rules.Quota == 0 {
		rules = models.DefaultWindowRules
	}
	w, err := h.Store.ServiceWindow(ctx, openID, rules)
	if err != nil {
		h.Log.Error("service window", "openid", openID, "err", err)
		w = models.Window{Open: true, Left: len(replies)} // let WeChat decide
	}
	for i, r := range replies {
		if !w.Open || i >= w.Left {
			why := "not sent: the fan's customer-service quota is used up"
			if !w.Open {
				why = "not sent: " + w.Why
			}
			if err := h.Store.LogOutbound(ctx, models.Outbound{OpenID: openID, Channel: models.ChannelCustom, Reply: r,
				Err: errors.New(why)}); err != nil {
				h.Log.Error("log skipped reply", "openid", openID, "err", err)
			}
			continue
		}
		if err := h.Sender.SendCustom(ctx, openID, r); err != nil {
			// The attempt and its errcode are in the member's conversation;
			// later replies would fail the same way.
			w.Open, w.Why = false, "an earlier reply failed"
		}
	}
}

// storedAnswer gives a retry the same answer as the first attempt, waiting
// (within the deadline) while the first attempt is still being processed.
func (h *Handler) storedAnswer(ctx context.Context, msg *models.Message, start time.Time) *message.Reply {
	for msg.State == models.StateProcessing && time.Since(start) < h.Deadline-50*time.Millisecond {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(25 * time.Millisecond):
		}
		fresh, err := h.Store.FindMessage(ctx, msg.ID)
		if err != nil {
			return nil
		}
		msg = fresh
	}
	if msg.State != models.StateReplied {
		return nil
	}
	replies, err := msg.DecodedReplies()
	if err != nil || len(replies) == 0 {
		return nil
	}
	r, err := wechat.PassiveReply(replies[0])
	if err != nil {
		return nil
	}
	return r
}

func split(rs []models.Reply) (*models.Reply, []models.Reply) {
	if len(rs) == 0 {
		return nil, nil
	}
	return &rs[0], rs[1:]
}

func (h *Handler) validSignature(r *http.Request) bool {
	q := r.URL.Query()
	want := util.Signature(h.WX.Account.Token, q.Get("timestamp"), q.Get("nonce"))
	return subtle.ConstantTimeCompare([]byte(want), []byte(q.Get("signature"))) == 1
}

// fresh reports whether a signed timestamp is within MaxSkew of the clock.
// WeChat signs each attempt with the message's own time and retries within
// seconds, so only a replay (or a badly wrong clock) is refused.
func (h *Handler) fresh(timestamp string) bool {
	if h.MaxSkew <= 0 {
		return true
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	skew := now().Sub(time.Unix(ts, 0))
	return skew <= h.MaxSkew && skew >= -h.MaxSkew
}

// checkEnvelope verifies a safe-mode body before the SDK decrypts it, so a
// forged msg_signature is a 403 and a broken envelope a 400. It returns the
// ciphertext.
func (h *Handler) checkEnvelope(r *http.Request, body []byte) (string, int, string) {
	if h.WX.Account.AESKey == "" {
		return "", http.StatusBadRequest, "safe mode is not configured (FIVEC_WECHAT_AES_KEY)"
	}
	var env message.EncryptedXMLMsg
	if err := xml.Unmarshal(body, &env); err != nil || env.EncryptedMsg == "" {
		return "", http.StatusBadRequest, "malformed envelope"
	}
	q := r.URL.Query()
	want := util.Signature(h.WX.Account.Token, q.Get("timestamp"), q.Get("nonce"), env.EncryptedMsg)
	if subtle.ConstantTimeCompare([]byte(want), []byte(q.Get("msg_signature"))) != 1 {
		return "", http.StatusForbidden, "bad msg_signature"
	}
	if _, err := strconv.ParseInt(q.Get("timestamp"), 10, 32); err != nil {
		return "", http.StatusBadRequest, "bad timestamp"
	}
	return env.EncryptedMsg, 0, ""
}

// keyFor returns the EncodingAESKey to decrypt a ciphertext and encrypt its
// reply with: the current key, unless only the previous one (within its
// grace period) decrypts it. Without a previous key nothing is tried here:
// the SDK decrypts once, as before.
func (h *Handler) keyFor(encrypted string) string {
	current := h.WX.Account.AESKey
	if h.PreviousAESKey == "" || (!h.PreviousUntil.IsZero() && !h.now().Before(h.PreviousUntil)) {
		return current
	}
	appID := h.WX.Account.AppID
	if _, _, err := util.DecryptMsg(appID, encrypted, current); err == nil {
		return current
	}
	if _, _, err := util.DecryptMsg(appID, encrypted, h.PreviousAESKey); err != nil {
		return current // neither: the SDK refuses it (400)
	}
	// The operator removes the previous key once these stop.
	h.Log.Info("callback encrypted with the previous EncodingAESKey (FIVEC_WECHAT_AES_KEY_PREVIOUS)")
	return h.PreviousAESKey
}

// withAESKey is a copy of the account's SDK context that decrypts and
// encrypts with key; the account's own context is shared and left alone.
func withAESKey(ctx *oacontext.Context, key string) *oacontext.Context {
	cfg := *ctx.Config
	cfg.EncodingAESKey = key
	c := *ctx
	c.Config = &cfg
	return &c
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// inboundOf turns a parsed message into its message-log row.
func inboundOf(m *message.MixMessage, raw []byte) models.Inbound {
	in := models.Inbound{
		OpenID: string(m.FromUserName), MsgType: string(m.MsgType),
		Event: strings.ToLower(string(m.Event)), EventKey: m.EventKey, Raw: string(raw),
	}
	if m.MsgID != 0 {
		in.DedupeKey = "m:" + strconv.FormatInt(m.MsgID, 10)
	} else {
		// Events have no MsgId; two events may share a second, so the event
		// and its key are part of the identity.
		sum := sha1.Sum([]byte(fmt.Sprintf("%s|%d|%s|%s", m.FromUserName, m.CreateTime, m.Event, m.EventKey)))
		in.DedupeKey = "e:" + hex.EncodeToString(sum[:])
	}
	switch m.MsgType {
	case message.MsgTypeText:
		in.Content = m.Content
	case message.MsgTypeImage:
		in.Content = m.PicURL
	case message.MsgTypeVoice:
		in.Content = voiceContent(m)
	case message.MsgTypeVideo, message.MsgTypeShortVideo:
		// WeChat sends no URL for a video, only its temporary media (kept 3
		// days, fetched with /cgi-bin/media/get) and its cover.
		label := "[视频]"
		if m.MsgType == message.MsgTypeShortVideo {
			label = "[小视频]"
		}
		in.Content = fmt.Sprintf("%s media_id=%s thumb_media_id=%s", label, m.MediaID, m.ThumbMediaID)
	case message.MsgTypeLocation:
		in.Content = fmt.Sprintf("%g,%g %s", m.LocationX, m.LocationY, m.Label)
	case message.MsgTypeLink:
		in.Content = m.Title + " " + m.URL
	case message.MsgTypeEvent:
		in.Content = m.EventKey
		switch m.Event {
		case message.EventSubscribe:
			in.Subscribe = true
			in.Scene = strings.TrimPrefix(m.EventKey, "qrscene_")
		case message.EventUnsubscribe:
			in.Unsubscribe = true
		case message.EventLocation:
			in.Content = m.Latitude + "," + m.Longitude
		case message.EventMassSendJobFinish, message.EventTemplateSendJobFinish:
			in.Content = fmt.Sprintf("%s msgid=%d total=%d sent=%d errors=%d", m.Status, m.TemplateMsgID, m.TotalCount, m.SentCount, m.ErrorCount)
			// A mass job's report comes from mphelper, not from a fan.
			in.Platform = m.Event == message.EventMassSendJobFinish
		case message.EventPublishJobFinish:
			// A 图文 publish's outcome: from the platform, not from a fan.
			in.Content = fmt.Sprintf("publish_id=%d publish_status=%d", m.PublishEventInfo.PublishID, m.PublishEventInfo.PublishStatus)
			in.Platform = true
		}
	}
	return in
}

// voiceContent is a fan's voice note in the message log: a [语音] label,
// WeChat's speech recognition when it sent one (only accounts that turned
// it on get it, and often not even then), and the temporary media id (kept
// 3 days, fetched with /cgi-bin/media/get) with its format. WeChat sends no
// duration for a voice message.
func voiceContent(m *message.MixMessage) string {
	var b strings.Builder
	b.WriteString("[语音]")
	if r := strings.TrimSpace(m.Recognition); r != "" {
		b.WriteString(" 识别：" + r)
	}
	if m.MediaID != "" {
		b.WriteString(" media_id=" + m.MediaID)
	}
	if m.Format != "" {
		b.WriteString(" format=" + m.Format)
	}
	return b.String()
}

var knownTypes = map[string]bool{
	"text": true, "image": true, "voice": true, "video": true, "shortvideo": true, "location": true, "link": true,
	"event:subscribe": true, "event:unsubscribe": true, "event:scan": true, "event:location": true,
	"event:click": true, "event:view": true, "event:scancode_push": true, "event:scancode_waitmsg": true,
	"event:pic_sysphoto": true, "event:pic_photo_or_album": true, "event:pic_weixin": true,
	"event:location_select": true, "event:view_miniprogram": true, "event:templatesendjobfinish": true,
	"event:masssendjobfinish": true, "event:publishjobfinish": true, "event:kf_create_session": true, "event:kf_close_session": true,
	"event:kf_switch_session": true,
}

// metricType labels a message for metrics, bounding label cardinality.
func metricType(m *message.MixMessage) string {
	t := string(m.MsgType)
	if m.MsgType == message.MsgTypeEvent {
		t += ":" + strings.ToLower(string(m.Event))
	}
	if !knownTypes[t] {
		return "other"
	}
	return t
}

// bufferedWriter collects what the SDK writes so the handler can decide.
type bufferedWriter struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func (w *bufferedWriter) Header() http.Header         { return w.header }
func (w *bufferedWriter) Write(b []byte) (int, error) { return w.body.Write(b) }
func (w *bufferedWriter) WriteHeader(s int)           { w.status = s }
