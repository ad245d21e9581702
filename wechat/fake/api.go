package fake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxJSONBody is the largest request body the fake reads for a JSON
// endpoint (all it serves today); a larger one is refused with HTTP 413 and
// errcode 45002 before it is parsed or recorded. An upload endpoint
// (media/upload: image 10 MB, voice 2 MB) would set route.maxBody to the
// platform's limit for its type.
const MaxJSONBody = 1 << 20

// route describes one API endpoint.
type route struct {
	post    bool  // GET answers 43002 "require POST method"
	noAuth  bool  // no access_token (token endpoints, showqrcode)
	maxBody int64 // largest body read (0: MaxJSONBody)
	h       func(s *Server, c *apiCall) reply
}

// bodyLimit is the largest body read for path (unknown paths: MaxJSONBody).
func bodyLimit(path string) int64 {
	if rt, ok := routes[path]; ok && rt.maxBody > 0 {
		return rt.maxBody
	}
	return MaxJSONBody
}

// routes maps the real paths to their handlers. Handlers run with s.mu held.
var routes map[string]route

func init() {
	routes = map[string]route{
		"/cgi-bin/token":        {noAuth: true, h: (*Server).handleToken},
		"/cgi-bin/media/upload": {post: true, maxBody: maxUpload, h: (*Server).handleMediaUpload},
		"/cgi-bin/stable_token": {post: true, noAuth: true, h: (*Server).handleStableToken},

		"/cgi-bin/media/get":                  {h: (*Server).handleMediaGet},
		"/cgi-bin/media/uploadimg":            {post: true, maxBody: maxUpload, h: (*Server).handleUploadImg},
		"/cgi-bin/material/add_material":      {post: true, maxBody: maxUpload, h: (*Server).handleAddMaterial},
		"/cgi-bin/material/batchget_material": {post: true, h: (*Server).handleBatchGetMaterial},
		"/cgi-bin/material/get_materialcount": {h: (*Server).handleMaterialCount},
		"/cgi-bin/material/get_material":      {post: true, h: (*Server).handleGetMaterial},
		"/cgi-bin/material/del_material":      {post: true, h: (*Server).handleDelMaterial},

		"/cgi-bin/draft/add":            {post: true, h: (*Server).handleDraftAdd},
		"/cgi-bin/draft/update":         {post: true, h: (*Server).handleDraftUpdate},
		"/cgi-bin/draft/get":            {post: true, h: (*Server).handleDraftGet},
		"/cgi-bin/draft/delete":         {post: true, h: (*Server).handleDraftDelete},
		"/cgi-bin/draft/count":          {h: (*Server).handleDraftCount},
		"/cgi-bin/draft/batchget":       {post: true, h: (*Server).handleDraftBatchGet},
		"/cgi-bin/freepublish/submit":   {post: true, h: (*Server).handleFreePublishSubmit},
		"/cgi-bin/freepublish/get":      {post: true, h: (*Server).handleFreePublishGet},
		"/cgi-bin/freepublish/batchget": {post: true, h: (*Server).handleFreePublishBatchGet},

		"/cgi-bin/message/custom/send":   {post: true, h: (*Server).handleCustomSend},
		"/cgi-bin/message/custom/typing": {post: true, h: (*Server).handleTyping},
		"/cgi-bin/message/template/send": {post: true, h: (*Server).handleTemplateSend},

		"/cgi-bin/message/mass/sendall":   {post: true, h: (*Server).handleMassSendAll},
		"/cgi-bin/message/mass/send":      {post: true, h: (*Server).handleMassSend},
		"/cgi-bin/message/mass/preview":   {post: true, h: (*Server).handleMassPreview},
		"/cgi-bin/message/mass/get":       {post: true, h: (*Server).handleMassGet},
		"/cgi-bin/message/mass/delete":    {post: true, h: (*Server).handleMassDelete},
		"/cgi-bin/message/mass/speed/get": {post: true, h: (*Server).handleMassSpeedGet},
		"/cgi-bin/message/mass/speed/set": {post: true, h: (*Server).handleMassSpeedSet},

		"/cgi-bin/user/info":              {h: (*Server).handleUserInfo},
		"/cgi-bin/user/info/batchget":     {post: true, h: (*Server).handleUserBatchGet},
		"/cgi-bin/user/info/updateremark": {post: true, h: (*Server).handleUpdateRemark},
		"/cgi-bin/user/get":               {h: (*Server).handleUserGet},

		"/cgi-bin/tags/create":                 {post: true, h: (*Server).handleTagCreate},
		"/cgi-bin/tags/get":                    {h: (*Server).handleTagGet},
		"/cgi-bin/tags/update":                 {post: true, h: (*Server).handleTagUpdate},
		"/cgi-bin/tags/delete":                 {post: true, h: (*Server).handleTagDelete},
		"/cgi-bin/tags/members/batchtagging":   {post: true, h: (*Server).handleBatchTagging},
		"/cgi-bin/tags/members/batchuntagging": {post: true, h: (*Server).handleBatchUntagging},
		"/cgi-bin/tags/getidlist":              {post: true, h: (*Server).handleTagIDList},
		"/cgi-bin/user/tag/get":                {post: true, h: (*Server).handleTagUsers},

		"/cgi-bin/tags/members/getblacklist":     {post: true, h: (*Server).handleGetBlacklist},
		"/cgi-bin/tags/members/batchblacklist":   {post: true, h: (*Server).handleBatchBlacklist},
		"/cgi-bin/tags/members/batchunblacklist": {post: true, h: (*Server).handleBatchUnblacklist},

		"/cgi-bin/qrcode/create": {post: true, h: (*Server).handleQRCreate},
		"/cgi-bin/showqrcode":    {noAuth: true, h: (*Server).handleShowQR},

		"/cgi-bin/menu/create":               {post: true, h: (*Server).handleMenuCreate},
		"/cgi-bin/menu/get":                  {h: (*Server).handleMenuGet},
		"/cgi-bin/get_current_selfmenu_info": {h: (*Server).handleSelfMenuInfo},
		"/cgi-bin/menu/delete":               {h: (*Server).handleMenuDelete},

		"/sns/oauth2/access_token": {noAuth: true, h: (*Server).handleSNSToken},
		"/sns/userinfo":            {noAuth: true, h: (*Server).handleSNSUserInfo},

		"/cgi-bin/ticket/getticket": {h: (*Server).handleGetTicket},
	}
}

// apiCall is one request being answered.
type apiCall struct {
	query url.Values
	body  []byte
	// contentType is the request's Content-Type (multipart uploads).
	contentType string
	now         time.Time
	acct        *account // the token's account; nil on noAuth routes
	appID       string   // for the call record
}

// decode parses the JSON body into v; on failure it returns the reply to
// send (44002 empty body, 47001 bad JSON).
func (c *apiCall) decode(v any) *reply {
	if len(bytes.TrimSpace(c.body)) == 0 {
		r := fail(44002, "")
		return &r
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		r := fail(47001, err.Error())
		return &r
	}
	return nil
}

// reply is a handler's answer.
type reply struct {
	status      int // HTTP status; 0 means 200
	code        int // errcode, recorded in Calls
	body        any // marshalled as JSON unless raw is set
	raw         []byte
	contentType string
}

// errMsgs are the platform's texts for the errcodes the fake answers.
var errMsgs = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40003: "invalid openid",
	40004: "invalid media type",
	40005: "invalid file type",
	40007: "invalid media_id",
	40008: "invalid message type",
	40013: "invalid appid",
	40016: "invalid button size",
	40017: "invalid button type",
	40018: "invalid button name size",
	40019: "invalid button key size",
	40020: "invalid button url size",
	40023: "invalid sub button size",
	40024: "invalid sub button type",
	40025: "invalid sub button name size",
	40026: "invalid sub button key size",
	40027: "invalid sub button url size",
	40029: "invalid code",
	40032: "invalid openid list size",
	40035: "invalid args",
	40037: "invalid template_id",
	40054: "invalid sub button url domain",
	40055: "invalid button url domain",
	40097: "invalid args",
	40125: "invalid appsecret",
	40130: "invalid openid list size, at least two openid",
	40163: "code been used",
	41001: "access_token missing",
	41005: "media data missing",
	42001: "access_token expired",
	43002: "require POST method",
	43004: "require subscribe",
	44002: "empty post data",
	44003: "empty news data",
	44004: "empty content",
	45001: "media size out of limit",
	45002: "content size out of limit",
	45008: "article size out of limit",
	45009: "reach max api daily quota limit",
	45011: "api minute-quota reach limit mustslower retry next minute",
	45015: "response out of time limit or subscription is canceled",
	45028: "has no masssend quota",
	45047: "out of response count limit",
	45056: "too many tags now",
	45058: "can't modify sys tag",
	45059: "too many tag now, no need to add new",
	45065: "clientmsgid exist",
	45157: "invalid tag name",
	45158: "tag name too long",
	45159: "invalid tag id",
	46003: "menu no exist",
	47001: "data format error",
	47003: "argument invalid!",
	48001: "api unauthorized",
}

// fail answers {"errcode":code,"errmsg":...}; hint is appended as the
// platform does ("... hint: [...]").
func fail(code int, hint string) reply {
	msg, ok := errMsgs[code]
	if !ok {
		msg = "error"
	}
	if hint != "" {
		msg += " hint: [" + hint + "]"
	}
	return reply{code: code, body: map[string]any{"errcode": code, "errmsg": msg}}
}

// ok answers {"errcode":0,"errmsg":"ok"} plus the extra fields.
func ok(extra map[string]any) reply {
	body := map[string]any{"errcode": 0, "errmsg": "ok"}
	for k, v := range extra {
		body[k] = v
	}
	return reply{body: body}
}

// data answers v as it is: endpoints such as user/info and qrcode/create
// carry no errcode on success.
func data(v any) reply { return reply{body: v} }

// ServeHTTP answers the API side: the paths of api.weixin.qq.com (and
// showqrcode of mp.weixin.qq.com). Every call is recorded, refused ones too.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/connect/oauth2/") {
		s.serveConnect(w, r) // pages of open.weixin.qq.com, not the JSON API
		return
	}
	limit := bodyLimit(r.URL.Path)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		// Nothing more is read (MaxBytesReader closes the connection after
		// this answer), parsed or kept: a large body costs the fake at most
		// limit bytes. The call is recorded without its body.
		rep := fail(45002, fmt.Sprintf("request body over %d bytes", limit))
		rep.status = http.StatusRequestEntityTooLarge
		var tooBig *http.MaxBytesError
		if !errors.As(err, &tooBig) {
			rep = fail(44002, "unreadable body")
			rep.status = http.StatusBadRequest
		}
		q := r.URL.Query()
		s.mu.Lock()
		appID := q.Get("appid")
		if t := s.tokens[q.Get("access_token")]; t != nil {
			appID = t.appID
		}
		s.record(Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Time: s.opts.Now(),
			HTTPStatus: rep.status, ErrCode: rep.code, AppID: appID})
		s.mu.Unlock()
		writeReply(w, rep)
		return
	}
	call := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)}

	s.mu.Lock()
	call.Time = s.opts.Now()
	fault := s.takeFault(r.URL.Path)
	s.mu.Unlock()

	if fault != nil && fault.Delay > 0 {
		t := time.NewTimer(fault.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
		case <-s.ctx.Done():
		}
		t.Stop()
	}

	s.mu.Lock()
	rep := s.answer(r, body, fault, &call)
	call.HTTPStatus, call.ErrCode = rep.status, rep.code
	if call.HTTPStatus == 0 {
		call.HTTPStatus = http.StatusOK
	}
	s.record(call)
	s.mu.Unlock()
	if writes(r.URL.Path) && call.HTTPStatus == http.StatusOK && call.ErrCode == 0 {
		s.persist() // before the caller hears it worked
	}
	writeReply(w, rep)
}

// writes reports whether a successful call to path may change the state
// that Options.State keeps (tokens are not kept).
func writes(path string) bool {
	rt, ok := routes[path]
	return ok && !rt.noAuth && (rt.post || path == "/cgi-bin/menu/delete")
}

// answer computes the reply for one request. Caller holds s.mu.
func (s *Server) answer(r *http.Request, body []byte, fault *Fault, call *Call) reply {
	q := r.URL.Query()
	c := &apiCall{query: q, body: body, now: call.Time, contentType: r.Header.Get("Content-Type")}
	rt, known := routes[r.URL.Path]
	if rt.noAuth || !known {
		c.appID = appIDHint(q, body)
	} else if t := s.tokens[q.Get("access_token")]; t != nil {
		c.appID = t.appID
	}
	defer func() { call.AppID = c.appID }() // handlers may learn it (showqrcode)

	switch {
	case fault != nil && fault.Status != 0:
		return reply{status: fault.Status, code: 0, raw: []byte(http.StatusText(fault.Status)),
			contentType: "text/plain; charset=utf-8"}
	case fault != nil && fault.ErrCode != 0:
		rep := fail(fault.ErrCode, "")
		if fault.ErrMsg != "" {
			rep.body = map[string]any{"errcode": fault.ErrCode, "errmsg": fault.ErrMsg}
		}
		return rep
	case !known:
		rep := fail(-1, "unknown endpoint "+r.URL.Path)
		rep.status = http.StatusNotFound
		return rep
	case rt.post && r.Method != http.MethodPost:
		return fail(43002, "")
	}
	if !rt.noAuth {
		acct, rep := s.authorize(q.Get("access_token"), c.now)
		if acct == nil {
			return rep
		}
		c.acct = acct
	}
	if !s.allow(c.appID, r.URL.Path, c.now) {
		return fail(45011, fmt.Sprintf("%d/min", s.opts.RateLimits[r.URL.Path]))
	}
	return rt.h(s, c)
}

// appIDHint finds the appid of a call made without access_token.
func appIDHint(q url.Values, body []byte) string {
	if id := q.Get("appid"); id != "" {
		return id
	}
	var b struct {
		AppID string `json:"appid"`
	}
	_ = json.Unmarshal(body, &b)
	return b.AppID
}

func writeReply(w http.ResponseWriter, rep reply) {
	status := rep.status
	if status == 0 {
		status = http.StatusOK
	}
	if rep.raw != nil {
		w.Header().Set("Content-Type", rep.contentType)
		w.WriteHeader(status)
		_, _ = w.Write(rep.raw)
		return
	}
	b, err := json.Marshal(rep.body)
	if err != nil {
		b = []byte(`{"errcode":-1,"errmsg":"system error"}`)
	}
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// flexInt decodes a JSON number or a numeric string: the SDK sends mass
// msg_id as a string, the platform documents a number.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	if len(b) == 0 {
		*f = 0
		return nil
	}
	var n int64
	if _, err := fmt.Sscan(string(b), &n); err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	*f = flexInt(n)
	return nil
}
