package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/handlers/callback"
	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/media/mediatest"
	"github.com/fivec/fivec/metrics"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

// The inbox tests use the package's fake platform (main_test.go installs
// it once: the SDK's API host is process-global) with an account each.
var appSeq atomic.Int64

// desk is the whole Close Service wired to the real router: the callback
// (with Close Service in the pipeline), the console and the API, one fake
// account whose callbacks reach the router, and a store clock the test can
// move forward (the platform keeps real time).
type desk struct {
	*app
	acct    fake.Account
	service *roles.Service
	cb      *callback.Handler // its Pipeline may take more roles before any traffic
	srv     *httptest.Server
	skew    atomic.Int64 // nanoseconds added to the store's clock

	// files fetches fans' pictures and voice notes (the fan-media-fetch
	// job, run by hand: files.Fetch); agents' pictures go through it too.
	files *roles.FanFiles
}

func newDesk(t *testing.T, s *models.Store, configure ...func(*roles.Service)) *desk {
	t.Helper()
	p := platform
	appID := "wxinbox" + strconv.FormatInt(appSeq.Add(1), 10) + models.RandomToken(4)
	acct := fake.Account{AppID: appID, AppSecret: "secret-" + appID, Token: "tok" + appID}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := &desk{acct: acct}
	s.Now = func() time.Time { return time.Now().Add(time.Duration(d.skew.Load())) }

	wx := wechat.NewClient(wechat.Account{AppID: acct.AppID, AppSecret: acct.AppSecret, Token: acct.Token}, wechat.NewMemoryCache(nil))
	sender := &wechat.Sender{Store: s, WX: wx, Log: log}
	d.service = &roles.Service{Store: s, Sender: sender, Log: log, Keywords: []string{"人工"},
		Policy: models.PolicyLeastLoaded, AskSatisfaction: true, Texts: roles.DefaultServiceTexts,
		Window: models.DefaultWindowRules}
	store := mediatest.Open(t, mediatest.FileURL(t))
	d.files = &roles.FanFiles{Store: s, Files: store, WX: wx, Log: log, Retention: 180 * 24 * time.Hour}
	d.service.Pictures = &roles.Pictures{Files: store, WX: wx}
	for _, f := range configure {
		f(d.service)
	}
	center := &roles.Center{Store: s, Log: log, FanFiles: d.files}
	cb := &callback.Handler{Store: s, WX: wx, Sender: sender, Deadline: 3 * time.Second, Log: log, Metrics: metrics.New(),
		Pipeline: &roles.Pipeline{Roles: []roles.Role{d.service, center}, Log: log}}
	con := &console.Handler{Store: s, Log: log, Now: func() time.Time { return s.Now() }, Service: d.service, WX: wx, FanFiles: d.files}
	srv := &handlers.Server{Store: s, Callback: cb, Console: con,
		API:     &api.Handler{Store: s, Log: log, Service: d.service, WX: wx},
		Metrics: metrics.New(), Log: log}
	d.cb = cb
	d.app = &app{t: t, store: s, router: srv.Router(), now: time.Now()}
	d.srv = httptest.NewServer(d.router)
	t.Cleanup(func() { cb.Wait(); d.srv.Close() })
	acct.CallbackURL = d.srv.URL + "/wechat"
	d.acct = acct
	p.AddAccount(acct)
	return d
}

// advance moves the store's clock (48-hour windows, ages).
func (d *desk) advance(by time.Duration) { d.skew.Add(int64(by)) }

// fan sends text to the account as openID. A new fan is seeded as a
// follower without a follow event, so only the 48-hour message window is
// open (a follow would also open the 1-minute event window).
func (d *desk) fan(openID, text string) {
	d.t.Helper()
	known := false
	for _, f := range platform.Fans(d.acct.AppID) {
		known = known || (f.OpenID == openID && f.Subscribed)
	}
	if !known {
		if err := platform.SeedFan(d.acct.AppID, fakeFan(openID)); err != nil {
			d.t.Fatal(err)
		}
	}
	if _, err := platform.SendText(context.Background(), d.acct.AppID, openID, text); err != nil {
		d.t.Fatal(err)
	}
}

func fakeFan(openID string) fake.Fan { return fake.Fan{OpenID: openID, Subscribed: true} }

// staffID returns the id of a staff account.
func (d *desk) staffID(username string) uint64 {
	d.t.Helper()
	all, err := d.store.ListStaff(context.Background())
	if err != nil {
		d.t.Fatal(err)
	}
	for _, st := range all {
		if st.Username == username {
			return st.ID
		}
	}
	d.t.Fatalf("no staff %s", username)
	return 0
}

// phone is what the fan's phone shows from the account (texts only).
func (d *desk) phone(openID string) string {
	var b strings.Builder
	for _, m := range platform.Inbox(d.acct.AppID, openID) {
		if m.Direction == fake.DirOut {
			b.WriteString("[" + m.Source + "] " + m.Text + "\n")
		}
	}
	return b.String()
}

// escalated returns the fan's open conversation, failing when there is none.
func (d *desk) escalated(openID string) *models.Conversation {
	d.t.Helper()
	ctx := context.Background()
	m, err := d.store.FindMemberByOpenID(ctx, openID)
	if err != nil {
		d.t.Fatal(err)
	}
	c, err := d.store.OpenConversation(ctx, m.ID)
	if err != nil || c == nil {
		d.t.Fatalf("no open conversation for %s: %v", openID, err)
	}
	return c
}

// hx posts form as htmx would (CSRF header, HX-Request), for the inline
// answers of the conversation page.
func (b *browser) hx(page, path string, form url.Values) resp {
	b.a.t.Helper()
	return b.do("POST", path, form, map[string]string{"HX-Request": "true", "X-CSRF-Token": b.csrf(page)})
}

// apiToken creates a staff member with an API token.
func (d *desk) apiToken(username, role string) (*models.Staff, string) {
	d.t.Helper()
	st := d.staff(username, role)
	plain, _, err := d.store.CreateAPIToken(context.Background(), st.ID, "test")
	if err != nil {
		d.t.Fatal(err)
	}
	return st, plain
}

// call makes an API request with a bearer token.
func (d *desk) call(token, method, path, body string) resp {
	d.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	d.router.ServeHTTP(w, req)
	return resp{w}
}

func id(c *models.Conversation) string { return strconv.FormatUint(c.ID, 10) }
