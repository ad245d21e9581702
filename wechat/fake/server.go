package fake

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// Options configures a Server. The zero value gives the platform's defaults
// from wechat-platform.md; durations and counts ≤ 0 take the default.
type Options struct {
	// Now is the clock for every rule (token expiry, windows, rate limits,
	// dedupe of clientmsgid). Default time.Now. It is called with the
	// Server's lock held, so it must not call back into the Server.
	Now func() time.Time

	// MessageWindow and MessageQuota: customer-service messages allowed after
	// a fan's message (default 48 h, 5).
	MessageWindow time.Duration
	MessageQuota  int
	// EventWindow and EventQuota: customer-service messages allowed after a
	// follow, QR scan or menu click (default 1 min, 3).
	EventWindow time.Duration
	EventQuota  int
	// TypingWindow is how recent a fan interaction must be for
	// /cgi-bin/message/custom/typing (default 30 s).
	TypingWindow time.Duration

	// TokenTTL is the access_token lifetime (default 7200 s).
	TokenTTL time.Duration
	// TokenGrace is how long a /cgi-bin/token token stays valid after a newer
	// one was issued for the same account (default 5 min).
	TokenGrace time.Duration

	// RateLimits caps requests per minute per account and endpoint path,
	// e.g. {"/cgi-bin/message/custom/send": 100}; over the cap → 45011.
	// The mass-send endpoints default to 60; a value ≤ 0 removes a cap.
	RateLimits map[string]int

	// HTTPClient POSTs callbacks to the accounts' servers (default: a client
	// with no timeout of its own; CallbackTimeout bounds each attempt).
	HTTPClient *http.Client
	// CallbackTimeout is how long WeChat waits for a passive reply (default 5 s).
	CallbackTimeout time.Duration
	// CallbackAttempts is how many times a callback is tried when the server
	// does not answer 200 in time (default 3, as WeChat does).
	CallbackAttempts int
	// DisableJobEvents stops the MASSSENDJOBFINISH and TEMPLATESENDJOBFINISH
	// callbacks that otherwise follow every mass and template send.
	DisableJobEvents bool

	// PageSize is the page size of /cgi-bin/user/get and /cgi-bin/user/tag/get
	// (default 10000).
	PageSize int
	// MaxTextBytes caps text in customer-service messages (45002) and in
	// passive replies (default 2048 bytes; the platform's limit is unverified).
	MaxTextBytes int
	// MaxCalls is how many API calls Calls keeps, newest last (default 100000).
	MaxCalls int
	// MassDailyLimit is how many sendall jobs an unverified account (订阅号)
	// may start per day, Beijing time (default 1; < 0 unlimited).
	MassDailyLimit int
	// MassMonthlyPerFan is how many mass messages a fan of a verified account
	// (服务号) receives per calendar month; further ones are filtered out
	// (default 4; < 0 unlimited).
	MassMonthlyPerFan int

	// TempMediaTTL is how long a media/upload id lives (default 3 days;
	// media/get and sends answer 40007 after it).
	TempMediaTTL time.Duration
	// MaterialLimits overrides the permanent-material quotas per type
	// (default 100000 images, 1000 of each other type); over it → 45009.
	MaterialLimits map[string]int
	// MediaDir, when set, keeps uploaded files' bytes there (one file per
	// media id under the AppID), so that they survive a restart with
	// State; "" keeps them in memory.
	MediaDir string

	// State, when set, keeps the platform's state across restarts: Open
	// loads it, and every change (a fan's action, a successful API call
	// that writes, SeedFan, AddAccount) saves it before the change is
	// answered. nil: memory only.
	State StateStore
	// StateError, if set, is told when saving the state fails (the
	// platform keeps working in memory).
	StateError func(error)
}

// Default platform numbers, from wechat-platform.md.
const (
	defaultMessageWindow = 48 * time.Hour
	defaultMessageQuota  = 5
	defaultEventWindow   = time.Minute
	defaultEventQuota    = 3
	defaultTypingWindow  = 30 * time.Second
	defaultTokenTTL      = 7200 * time.Second
	defaultTokenGrace    = 5 * time.Minute
	defaultCallbackWait  = 5 * time.Second
	defaultAttempts      = 3
	defaultPageSize      = 10000
	defaultMaxText       = 2048
	defaultMaxCalls      = 100000
	defaultMassDaily     = 1
	defaultMassMonthly   = 4
	massRatePerMinute    = 60
)

// massPaths are the mass-send endpoints; all share the 60/min default cap.
var massPaths = []string{
	"/cgi-bin/message/mass/sendall",
	"/cgi-bin/message/mass/send",
	"/cgi-bin/message/mass/preview",
	"/cgi-bin/message/mass/get",
	"/cgi-bin/message/mass/delete",
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	durations := []struct {
		v *time.Duration
		d time.Duration
	}{
		{&o.MessageWindow, defaultMessageWindow}, {&o.EventWindow, defaultEventWindow},
		{&o.TypingWindow, defaultTypingWindow}, {&o.TokenTTL, defaultTokenTTL},
		{&o.TokenGrace, defaultTokenGrace}, {&o.CallbackTimeout, defaultCallbackWait},
		{&o.TempMediaTTL, defaultTempMediaTTL},
	}
	for _, x := range durations {
		if *x.v <= 0 {
			*x.v = x.d
		}
	}
	counts := []struct {
		v *int
		d int
	}{
		{&o.MessageQuota, defaultMessageQuota}, {&o.EventQuota, defaultEventQuota},
		{&o.CallbackAttempts, defaultAttempts}, {&o.PageSize, defaultPageSize},
		{&o.MaxTextBytes, defaultMaxText}, {&o.MaxCalls, defaultMaxCalls},
	}
	for _, x := range counts {
		if *x.v <= 0 {
			*x.v = x.d
		}
	}
	if o.MassDailyLimit == 0 {
		o.MassDailyLimit = defaultMassDaily
	}
	if o.MassMonthlyPerFan == 0 {
		o.MassMonthlyPerFan = defaultMassMonthly
	}
	limits := make(map[string]int, len(massPaths)+len(o.RateLimits))
	for _, p := range massPaths {
		limits[p] = massRatePerMinute
	}
	for p, n := range o.RateLimits {
		limits[p] = n
	}
	o.RateLimits = limits
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	return o
}

// Account is one official account registered on the fake platform.
type Account struct {
	AppID     string
	AppSecret string
	// Token signs callbacks (signature, msg_signature).
	Token string
	// EncodingAESKey (43 characters) switches callbacks to safe mode:
	// encrypted both ways. Empty means plain mode.
	EncodingAESKey string
	// CallbackURL receives the fans' messages and events. Empty means the
	// account has no server: fan actions still change the platform's state
	// (windows, follows) but nothing is POSTed and no passive reply is shown.
	CallbackURL string
	// Verified marks a verified service account (服务号): template messages
	// and mass/send by openid list need it (else 48001), and the 4-a-month
	// mass rule applies instead of the 1-a-day one.
	Verified bool
	// OAuthDomain is the account's 网页授权域名: when set, the authorisation
	// page refuses a redirect_uri on any other host, as WeChat does.
	OAuthDomain string
	// OriginalID is the account's 原始ID, the ToUserName of callbacks.
	// Default "gh_" followed by 12 hex digits derived from AppID.
	OriginalID string
}

// Server is the fake platform. Its zero value is not usable: call New.
// The API side is its ServeHTTP; the fan side is Follow, SendText, Post etc.
type Server struct {
	opts Options

	mu       sync.Mutex
	accounts map[string]*account
	tokens   map[string]*token // access_token value → token
	tickets  map[string]*QRCode
	calls    []Call // ring buffer of at most MaxCalls
	oldest   int    // index of the oldest call once the ring is full
	faults   map[string][]*Fault
	rates    map[rateKey]*rateWindow
	seq      int64 // source of msg ids, tickets and delivery numbers
	closed   bool
	saveMu   sync.Mutex // orders saves of the state (persist)

	ctx    context.Context // cancelled by Close; parents async callbacks
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// codes and pageTokens are web authorisation's (oauth.go); they live
	// minutes and are not kept in Options.State.
	codes      map[string]*oauthCode
	pageTokens map[string]*pageToken
}

// New returns an empty platform with no accounts. With Options.State it
// loads the saved state as Open does; a state that cannot be loaded is
// reported to Options.StateError and the platform starts empty.
func New(opts Options) *Server {
	s, err := Open(opts)
	if err != nil && s.opts.StateError != nil {
		s.opts.StateError(err)
	}
	return s
}

// Open is New that returns the error of loading Options.State (the
// platform it returns then starts empty). MsgIds and the other sequence
// numbers continue from the saved counter, and never start below
// base + the clock in microseconds, so a lost or older state file still
// does not make the platform hand out a MsgId it used before.
func Open(opts Options) (*Server, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:     opts.withDefaults(),
		accounts: make(map[string]*account),
		tokens:   make(map[string]*token),
		tickets:  make(map[string]*QRCode),
		faults:   make(map[string][]*Fault),
		rates:    make(map[rateKey]*rateWindow),
		seq:      seqBase, // real MsgIds are large 64-bit numbers
		ctx:      ctx,
		cancel:   cancel,
	}
	s.codes, s.pageTokens = make(map[string]*oauthCode), make(map[string]*pageToken)
	if s.opts.State == nil {
		return s, nil
	}
	s.seq = max(s.seq, seqBase+s.opts.Now().UnixMicro())
	if err := s.restore(); err != nil {
		s.accounts, s.tickets = make(map[string]*account), make(map[string]*QRCode)
		return s, err
	}
	return s, nil
}

// seqBase is where sequence numbers start.
const seqBase = 23000000000000000

// AddAccount registers an account. Adding an AppID again replaces its
// settings (e.g. a new CallbackURL) and keeps its fans, tags and menu.
func (s *Server) AddAccount(a Account) {
	if a.OriginalID == "" {
		sum := sha1.Sum([]byte(a.AppID))
		a.OriginalID = "gh_" + hex.EncodeToString(sum[:6])
	}
	s.mu.Lock()
	if acct, ok := s.accounts[a.AppID]; ok {
		acct.Account = a
	} else {
		s.accounts[a.AppID] = newAccount(a)
	}
	s.mu.Unlock()
	s.persist()
}

// Account returns the settings of a registered account.
func (s *Server) Account(appID string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[appID]
	if !ok {
		return Account{}, false
	}
	return a.Account, true
}

// Close stops the asynchronous job-finish callbacks and waits for those in
// flight. The API and fan sides keep working; later jobs send no events.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// goAsync runs f in a goroutine that Close waits for. Caller holds s.mu.
func (s *Server) goAsync(f func(ctx context.Context)) {
	if s.closed {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f(s.ctx)
	}()
}

// nextSeq returns a number unique within the Server. Caller holds s.mu.
func (s *Server) nextSeq() int64 {
	s.seq++
	return s.seq
}

// Call is one request the API side received.
type Call struct {
	Time   time.Time
	Method string
	// Path is the endpoint, e.g. "/cgi-bin/message/custom/send".
	Path string
	// Query is the raw query string, access_token included.
	Query string
	// AppID is the account the call was made for (from its access_token or
	// appid), "" when unknown.
	AppID string
	Body  string
	// HTTPStatus is the status answered; ErrCode the errcode in the body
	// (0 on success, -1 for unknown paths).
	HTTPStatus int
	ErrCode    int
}

// Calls returns the recorded API calls, refused ones included, oldest first
// (the newest MaxCalls of them).
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, 0, len(s.calls))
	out = append(out, s.calls[s.oldest:]...)
	return append(out, s.calls[:s.oldest]...)
}

// CallsFor returns the recorded calls made for one account, oldest first.
func (s *Server) CallsFor(appID string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.AppID == appID {
			out = append(out, c)
		}
	}
	return out
}

// record keeps c, dropping the oldest call once MaxCalls are kept.
func (s *Server) record(c Call) {
	if len(s.calls) < s.opts.MaxCalls {
		s.calls = append(s.calls, c)
		return
	}
	s.calls[s.oldest] = c
	s.oldest = (s.oldest + 1) % len(s.calls)
}

// Fault is a failure injected into the next calls of one endpoint.
type Fault struct {
	// Times is how many calls it affects (default 1).
	Times int
	// Status, when non-zero, is the HTTP status answered (e.g. 500) with a
	// plain-text body, as a broken proxy would.
	Status int
	// ErrCode, when non-zero, is answered as {"errcode":ErrCode,...} with
	// HTTP 200 (e.g. 45009 quota, -1 system busy). ErrMsg overrides the text.
	ErrCode int
	ErrMsg  string
	// Delay holds the answer back (the request's context and Close cut it
	// short). With neither Status nor ErrCode the call then runs normally.
	Delay time.Duration
}

// InjectFault makes the next f.Times calls to path (e.g.
// "/cgi-bin/message/custom/send") fail as f says. Faults on one path queue
// up in order; they hit before any token or rule check.
func (s *Server) InjectFault(path string, f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[path] = append(s.faults[path], &f)
}

// ClearFaults drops every fault still queued for path.
func (s *Server) ClearFaults(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.faults, path)
}

// takeFault consumes one use of the first fault queued for path.
func (s *Server) takeFault(path string) *Fault {
	q := s.faults[path]
	if len(q) == 0 {
		return nil
	}
	f := *q[0]
	q[0].Times--
	if q[0].Times <= 0 {
		q = q[1:]
	}
	if len(q) == 0 {
		delete(s.faults, path)
	} else {
		s.faults[path] = q
	}
	return &f
}

type rateKey struct{ appID, path string }

// rateWindow counts calls in a fixed one-minute window.
type rateWindow struct {
	start time.Time
	n     int
}

// allow counts a call and reports whether it is within the path's cap.
func (s *Server) allow(appID, path string, now time.Time) bool {
	limit := s.opts.RateLimits[path]
	if limit <= 0 {
		return true
	}
	k := rateKey{appID, path}
	w := s.rates[k]
	if w == nil || now.Sub(w.start) >= time.Minute {
		w = &rateWindow{start: now}
		s.rates[k] = w
	}
	w.n++
	return w.n <= limit
}
