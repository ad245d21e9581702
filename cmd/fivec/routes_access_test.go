package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// who may use a route: nil is everyone (no login), otherwise the staff
// roles the route lets through.
var (
	public    []string
	anyStaff  = []string{models.RoleAdmin, models.RoleAgent, models.RoleMarketer}
	adminOnly = []string{models.RoleAdmin}
	service   = []string{models.RoleAdmin, models.RoleAgent}    // Close Service: chats
	editors   = []string{models.RoleAdmin, models.RoleMarketer} // rules, CRM, campaigns
)

// routeAccess is who may use every route the router has, keyed
// "METHOD /path" as gin registers it. It mirrors the route groups in
// handlers/console, handlers/api and handlers/fan (SessionAuth/BearerAuth
// plus RequireRole); TestEveryRouteRefusesWhoItShould fails for a route
// missing here, so a new route needs a deliberate entry. The sandbox's fake
// WeChat API (handlers.SandboxAPIPrefix) is public and exists only without
// WeChat credentials. /metrics is not a route: it has its own listener
// (FIVEC_METRICS_ADDR; TestMetricsNotOnMainPort).
var routeAccess = map[string][]string{
	// ops and the WeChat callback: handlers/routes.go
	"GET /":        public,
	"GET /healthz": public,
	"GET /readyz":  public,
	"GET /wechat":  public,
	"POST /wechat": public,
	// console: console.go
	"GET /console/static/*filepath":   public,
	"GET /console/login":              public,
	"POST /console/login":             public,
	"GET /console/":                   anyStaff,
	"POST /console/logout":            anyStaff,
	"POST /console/lang":              anyStaff,
	"GET /console/members":            anyStaff,
	"GET /console/members/:openid":    anyStaff,
	"GET /console/tokens":             anyStaff,
	"POST /console/tokens":            anyStaff,
	"POST /console/tokens/:id/delete": anyStaff,
	"GET /console/staff":              adminOnly,
	"POST /console/staff":             adminOnly,
	"POST /console/staff/:id/:action": adminOnly,
	"GET /console/audit":              adminOnly,
	// console: settings.go (issue 17)
	"GET /console/settings":             adminOnly,
	"POST /console/settings":            adminOnly,
	"POST /console/settings/:key/reset": adminOnly,
	// console: member_rights.go (issue 17)
	"GET /console/members/:openid/export": adminOnly,
	"POST /console/members/:openid/erase": adminOnly,
	"GET /console/segments/:id/export":    adminOnly,
	// console: crm.go
	"POST /console/members/:openid/:action":   editors,
	"GET /console/sync":                       anyStaff,
	"POST /console/sync":                      editors,
	"GET /console/segments":                   anyStaff,
	"GET /console/segments/new":               anyStaff,
	"GET /console/segments/:id":               anyStaff,
	"POST /console/segments/count":            anyStaff,
	"POST /console/segments/new":              editors,
	"POST /console/segments/:id":              editors,
	"POST /console/segments/:id/delete":       editors,
	"GET /console/channels":                   anyStaff,
	"GET /console/channels/:id/qr":            anyStaff,
	"POST /console/channels":                  editors,
	"GET /console/points":                     anyStaff,
	"GET /console/points/gifts/:id":           anyStaff,
	"POST /console/points/gifts":              editors,
	"POST /console/points/gifts/:id":          editors,
	"POST /console/points/coupons":            editors,
	"GET /console/topics":                     anyStaff,
	"GET /console/topics/:id":                 anyStaff,
	"GET /console/topics/:id/export":          anyStaff,
	"POST /console/topics":                    editors,
	"POST /console/topics/:id":                editors,
	"POST /console/topics/:id/entries/:entry": editors,
	"GET /console/shares":                     anyStaff,
	"GET /console/shares/:id":                 anyStaff,
	"POST /console/shares":                    editors,
	"GET /console/draws":                      anyStaff,
	"GET /console/draws/:id":                  anyStaff,
	"POST /console/draws":                     editors,
	"POST /console/draws/:id/notify":          editors,
	"POST /console/lucky-draws":               editors,
	"POST /console/lucky-draws/:id/draw":      editors,
	// console: reports.go (every staff role; agents see only the service
	// area, which the handler checks per area)
	"GET /console/reports":              anyStaff,
	"GET /console/reports/:area":        anyStaff,
	"GET /console/reports/:area/:table": anyStaff,
	// console: broadcasts.go (agents look; admins approve)
	"GET /console/broadcasts":               anyStaff,
	"GET /console/broadcasts/new":           anyStaff,
	"GET /console/broadcasts/:id":           anyStaff,
	"GET /console/broadcasts/:id/edit":      anyStaff,
	"GET /console/broadcasts/:id/runs/:run": anyStaff,
	"POST /console/broadcasts/new":          editors,
	"POST /console/broadcasts/plan":         editors,
	"POST /console/broadcasts/:id/edit":     editors,
	"POST /console/broadcasts/:id/preview":  editors,
	"POST /console/broadcasts/:id/schedule": editors,
	"POST /console/broadcasts/:id/starts":   editors,
	"POST /console/broadcasts/:id/pause":    editors,
	"POST /console/broadcasts/:id/resume":   editors,
	"POST /console/broadcasts/:id/cancel":   editors,
	"POST /console/broadcasts/:id/delete":   editors,
	"POST /console/broadcasts/:id/copy":     editors,
	"POST /console/broadcasts/:id/approve":  adminOnly,
	// console: journeys.go (Care; agents look)
	"GET /console/journeys":                       anyStaff,
	"GET /console/journeys/new":                   anyStaff,
	"GET /console/journeys/interests":             anyStaff,
	"GET /console/journeys/:id":                   anyStaff,
	"GET /console/journeys/:id/edit":              anyStaff,
	"POST /console/journeys/new":                  editors,
	"POST /console/journeys/:id":                  editors,
	"POST /console/journeys/:id/delete":           editors,
	"POST /console/journeys/interests":            editors,
	"POST /console/journeys/interests/:id":        editors,
	"POST /console/journeys/interests/:id/delete": editors,
	// console: inbox.go
	"GET /console/inbox":               service,
	"GET /console/inbox/list":          service,
	"GET /console/inbox/count":         service,
	"GET /console/inbox/events":        service,
	"GET /console/inbox/alert.wav":     service,
	"GET /console/inbox/metrics":       service,
	"POST /console/inbox/status":       service,
	"POST /console/inbox/pickup":       service,
	"GET /console/inbox/:id":           service,
	"GET /console/inbox/:id/live":      service,
	"GET /console/inbox/:id/canned":    service,
	"POST /console/inbox/:id/claim":    service,
	"POST /console/inbox/:id/transfer": service,
	"POST /console/inbox/:id/resolve":  service,
	"POST /console/inbox/:id/notes":    service,
	"POST /console/inbox/:id/reply":    service,
	"POST /console/inbox/:id/template": service,
	"POST /console/inbox/:id/typing":   service,
	"GET /console/canned":              service,
	"POST /console/canned":             service,
	"POST /console/canned/:id/delete":  service,
	// the media library (素材库): media.go
	"GET /console/media":             anyStaff,
	"GET /console/media/:id/file":    anyStaff,
	"POST /console/media":            editors,
	"POST /console/media/:id/delete": editors,
	"POST /console/media/sync":       editors,
	// 图文 drafts and publishing: news.go
	"GET /console/news":              anyStaff,
	"GET /console/news/:id":          anyStaff,
	"POST /console/news":             editors,
	"POST /console/news/image":       editors,
	"POST /console/news/:id":         editors,
	"POST /console/news/:id/delete":  editors,
	"POST /console/news/:id/publish": editors,
	"POST /console/news/:id/preview": editors,
	// console: inbox_media.go (fans' files, pictures sent to fans)
	"GET /console/members/:openid/files/:msg":  anyStaff,
	"GET /console/members/:openid/sent/:media": anyStaff,
	// console: rules.go
	"GET /console/rules":              anyStaff,
	"GET /console/rules/new":          anyStaff,
	"GET /console/rules/test":         anyStaff,
	"GET /console/rules/unanswered":   anyStaff,
	"GET /console/rules/yaml":         anyStaff,
	"GET /console/rules/export.yaml":  anyStaff,
	"GET /console/rules/:id":          anyStaff,
	"POST /console/rules/new":         editors,
	"POST /console/rules/import":      editors,
	"POST /console/rules/:id":         editors,
	"POST /console/rules/:id/:action": editors,
	"GET /console/menu":               anyStaff,
	"GET /console/menu/live":          anyStaff,
	"POST /console/menu":              editors,
	"POST /console/menu/publish":      editors,
	// console: simulator.go
	"GET /console/simulator":           anyStaff,
	"GET /console/simulator/inbox":     anyStaff,
	"GET /console/simulator/media/:id": anyStaff,
	"POST /console/simulator/fans":     anyStaff,
	"POST /console/simulator/:action":  anyStaff,
	// api: api.go
	"GET /api/v1/me":                       anyStaff,
	"GET /api/v1/members":                  anyStaff,
	"GET /api/v1/members/:openid":          anyStaff,
	"GET /api/v1/members/:openid/messages": anyStaff,
	"GET /api/v1/tokens":                   anyStaff,
	"POST /api/v1/tokens":                  anyStaff,
	"DELETE /api/v1/tokens/:id":            anyStaff,
	"GET /api/v1/staff":                    adminOnly,
	"POST /api/v1/staff":                   adminOnly,
	"PATCH /api/v1/staff/:id":              adminOnly,
	"GET /api/v1/audit":                    adminOnly,
	"GET /api/v1/settings":                 adminOnly,
	"PUT /api/v1/settings":                 adminOnly,
	"POST /api/v1/settings/preview":        adminOnly,
	// api: rights.go (issue 17)
	"GET /api/v1/members/:openid/export": adminOnly,
	"POST /api/v1/members/:openid/erase": adminOnly,
	"GET /api/v1/segments/:id/export":    adminOnly,
	// api: reports.go (as the console)
	"GET /api/v1/reports/:area":        anyStaff,
	"GET /api/v1/reports/:area/:table": anyStaff,
	// api: broadcasts.go (as the console)
	"GET /api/v1/broadcasts":               anyStaff,
	"GET /api/v1/broadcasts/:id":           anyStaff,
	"GET /api/v1/broadcasts/:id/runs/:run": anyStaff,
	"POST /api/v1/broadcasts":              editors,
	"POST /api/v1/broadcasts/plan":         editors,
	"PUT /api/v1/broadcasts/:id":           editors,
	"POST /api/v1/broadcasts/:id/preview":  editors,
	"POST /api/v1/broadcasts/:id/schedule": editors,
	"POST /api/v1/broadcasts/:id/pause":    editors,
	"POST /api/v1/broadcasts/:id/resume":   editors,
	"POST /api/v1/broadcasts/:id/cancel":   editors,
	"POST /api/v1/broadcasts/:id/approve":  adminOnly,
	// api: journeys.go (as the console)
	"GET /api/v1/journeys":             anyStaff,
	"GET /api/v1/journeys/:id":         anyStaff,
	"GET /api/v1/journeys/:id/members": anyStaff,
	"POST /api/v1/journeys":            editors,
	"PUT /api/v1/journeys/:id":         editors,
	"DELETE /api/v1/journeys/:id":      editors,
	"GET /api/v1/interests":            anyStaff,
	"POST /api/v1/interests":           editors,
	"PUT /api/v1/interests/:id":        editors,
	"DELETE /api/v1/interests/:id":     editors,
	// api: channels.go
	"GET /api/v1/channels":        anyStaff,
	"GET /api/v1/channels/:id":    anyStaff,
	"GET /api/v1/channels/:id/qr": anyStaff,
	"POST /api/v1/channels":       editors,
	// api: conversations.go
	"GET /api/v1/conversations":               service,
	"POST /api/v1/conversations":              service,
	"GET /api/v1/conversations/:id":           service,
	"POST /api/v1/conversations/:id/claim":    service,
	"POST /api/v1/conversations/:id/transfer": service,
	"POST /api/v1/conversations/:id/resolve":  service,
	"POST /api/v1/conversations/:id/reply":    service,
	"GET /api/v1/conversations/:id/notes":     service,
	"POST /api/v1/conversations/:id/notes":    service,
	"GET /api/v1/canned":                      service,
	"POST /api/v1/canned":                     service,
	"DELETE /api/v1/canned/:id":               service,
	"GET /api/v1/materials":                   anyStaff,
	"GET /api/v1/materials/:id":               anyStaff,
	"GET /api/v1/materials/:id/file":          anyStaff,
	"GET /api/v1/materials/sync":              anyStaff,
	"POST /api/v1/materials":                  editors,
	"DELETE /api/v1/materials/:id":            editors,
	"POST /api/v1/materials/sync":             editors,
	"GET /api/v1/news/drafts":                 anyStaff,
	"GET /api/v1/news/drafts/:id":             anyStaff,
	"POST /api/v1/news/drafts":                editors,
	"PUT /api/v1/news/drafts/:id":             editors,
	"DELETE /api/v1/news/drafts/:id":          editors,
	"POST /api/v1/news/drafts/:id/publish":    editors,
	"POST /api/v1/news/drafts/:id/preview":    editors,
	"POST /api/v1/news/images":                editors,
	"GET /api/v1/agent/status":                service,
	"PUT /api/v1/agent/status":                service,
	// api: crm_members.go
	"GET /api/v1/profiles/completeness":        anyStaff,
	"GET /api/v1/members/:openid/profile":      anyStaff,
	"GET /api/v1/members/:openid/history":      anyStaff,
	"GET /api/v1/members/:openid/tags":         anyStaff,
	"GET /api/v1/members/:openid/points":       anyStaff,
	"GET /api/v1/members/:openid/referrals":    anyStaff,
	"GET /api/v1/members/:openid/redemptions":  anyStaff,
	"PUT /api/v1/members/:openid/stage":        editors,
	"PUT /api/v1/members/:openid/level":        editors,
	"POST /api/v1/members/:openid/tags":        editors,
	"DELETE /api/v1/members/:openid/tags/:tag": editors,
	"POST /api/v1/members/:openid/points":      editors,
	// api: draws.go
	"GET /api/v1/draws":             anyStaff,
	"GET /api/v1/draws/:id":         anyStaff,
	"GET /api/v1/draws/:id/verify":  anyStaff,
	"POST /api/v1/draws":            editors,
	"POST /api/v1/draws/:id/notify": editors,
	// api: points.go
	"GET /api/v1/gifts":        anyStaff,
	"GET /api/v1/gifts/:id":    anyStaff,
	"GET /api/v1/leaderboard":  anyStaff,
	"POST /api/v1/gifts":       editors,
	"PUT /api/v1/gifts/:id":    editors,
	"POST /api/v1/coupons/use": editors,
	// api: rules.go
	"GET /api/v1/rules":            anyStaff,
	"GET /api/v1/rules/unanswered": anyStaff,
	"GET /api/v1/rules/export":     anyStaff,
	"GET /api/v1/rules/:id":        anyStaff,
	"POST /api/v1/rules/test":      anyStaff,
	"POST /api/v1/rules":           editors,
	"POST /api/v1/rules/import":    editors,
	"PUT /api/v1/rules/:id":        editors,
	"DELETE /api/v1/rules/:id":     editors,
	"GET /api/v1/menu":             anyStaff,
	"GET /api/v1/menu/live":        anyStaff,
	"PUT /api/v1/menu":             editors,
	"POST /api/v1/menu/publish":    editors,
	// api: segments.go
	"GET /api/v1/segments":             anyStaff,
	"GET /api/v1/segments/:id":         anyStaff,
	"GET /api/v1/segments/:id/members": anyStaff,
	"POST /api/v1/segments/count":      anyStaff,
	"POST /api/v1/segments":            editors,
	"PUT /api/v1/segments/:id":         editors,
	"DELETE /api/v1/segments/:id":      editors,
	// api: sync.go
	"GET /api/v1/sync/followers":  anyStaff,
	"POST /api/v1/sync/followers": editors,
	// api: topics.go
	"GET /api/v1/topics":                    anyStaff,
	"GET /api/v1/topics/:id":                anyStaff,
	"GET /api/v1/topics/:id/entries":        anyStaff,
	"GET /api/v1/topics/:id/export":         anyStaff,
	"POST /api/v1/topics":                   editors,
	"PUT /api/v1/topics/:id":                editors,
	"PUT /api/v1/topics/:id/entries/:entry": editors,
	// api: shares.go
	"GET /api/v1/share-links":            anyStaff,
	"GET /api/v1/share-links/:id/report": anyStaff,
	"GET /api/v1/share-links/:id/tree":   anyStaff,
	"GET /api/v1/share-spreaders":        anyStaff,
	"POST /api/v1/share-links":           editors,
	// profile: profile.go
	"GET /profile/:token":  public,
	"GET /fan/profile.css": public,
	"POST /profile/:token": public,
	// member centre and web authorisation: member.go, oauth.go (the fan's
	// own session, never a staff one)
	"GET /fan/me":         public,
	"POST /fan/me/signin": public,
	"GET /fan/oauth":      public,
	"GET /fan/member.css": public,
	// the member centre's other pages: centre.go (the fan's session too)
	"GET /fan/me/gifts":         public,
	"GET /fan/me/gifts/:id":     public,
	"POST /fan/me/gifts/:id":    public,
	"GET /fan/me/coupons/:id":   public,
	"GET /fan/me/leaderboard":   public,
	"GET /fan/me/topics":        public,
	"POST /fan/me/topics/:id":   public,
	"GET /fan/me/draws":         public,
	"GET /fan/me/draws/:id":     public,
	"POST /fan/me/draws/:id":    public,
	"GET /fan/me/invite":        public,
	"GET /fan/me/invite/qr.png": public,
	// tracked links and their share pages: handlers/fan/share.go
	"GET /fan/t/:id":     public,
	"GET /fan/s/:token":  public,
	"GET /fan/share.js":  public,
	"GET /fan/share.css": public,
}

// crawler drives the fully wired router (sandbox mode, as cmd/fivec builds
// it) in-process.
type crawler struct {
	t      *testing.T
	a      *app
	router http.Handler
	staff  map[string]*models.Staff // by role
	tokens map[string]string        // API bearer token by role
}

func newCrawler(t *testing.T, driver string) *crawler {
	_, dsn := modelstest.DSN(t, driver)
	a, _ := startApp(t, map[string]string{"FIVEC_DB_DRIVER": driver, "FIVEC_DB_DSN": dsn})
	c := &crawler{t: t, a: a, router: a.router, staff: map[string]*models.Staff{}, tokens: map[string]string{}}
	ctx := context.Background()
	for _, role := range anyStaff {
		st, err := a.store.CreateStaff(ctx, models.NewStaff{Username: "crawl-" + role, Password: "crawl-pass-123", Role: role})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := a.store.CreateAPIToken(ctx, st.ID, "crawler")
		if err != nil {
			t.Fatal(err)
		}
		c.staff[role], c.tokens[role] = st, tok
	}
	return c
}

// session logs role in (a fresh session) and returns its cookie and CSRF
// token.
func (c *crawler) session(role string) (cookie, csrf string) {
	c.t.Helper()
	cookie, sess, err := c.a.store.CreateSession(context.Background(), c.staff[role].ID)
	if err != nil {
		c.t.Fatal(err)
	}
	return cookie, sess.CSRFToken
}

// who is how a request authenticates.
type who struct {
	role         string // "" for nobody
	cookie, csrf string // console session; csrf "" sends none
	bearer       string // API token
}

// streaming routes answer with an event stream that ends only when the
// client goes away; the crawler gives them a short deadline.
var streaming = regexp.MustCompile(`/events$|/live$`)

// concrete fills a route pattern's parameters with values that name
// nothing, so handlers that get past the checks find nothing to change.
func concrete(pattern string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		switch {
		case p == "*filepath":
			parts[i] = "nothing-here.css"
		case p == "*path":
			parts[i] = "cgi-bin/token"
		case p == ":openid":
			parts[i] = "o_crawler_nobody"
		case p == ":area":
			parts[i] = "service" // the report area every staff role may see
		case strings.HasPrefix(p, ":"):
			parts[i] = "999999"
		}
	}
	return strings.Join(parts, "/")
}

func (c *crawler) do(method, pattern string, w who) *httptest.ResponseRecorder {
	return c.doForm(method, pattern, w, nil)
}

// doForm is do with a form body.
func (c *crawler) doForm(method, pattern string, w who, form url.Values) *httptest.ResponseRecorder {
	timeout := 10 * time.Second
	if streaming.MatchString(pattern) {
		timeout = 300 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, method, concrete(pattern), strings.NewReader(form.Encode()))
	req.RemoteAddr = "192.0.2.77:40000"
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.serve(req, w)
}

// serve authenticates req as w and runs it through the router.
func (c *crawler) serve(req *http.Request, w who) *httptest.ResponseRecorder {
	if w.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "fivec_session", Value: w.cookie})
	}
	if w.csrf != "" {
		req.Header.Set("X-CSRF-Token", w.csrf)
	}
	if w.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+w.bearer)
	}
	rec := httptest.NewRecorder()
	c.router.ServeHTTP(rec, req)
	return rec
}

// leaks are signs of internals in an answer: stack traces, SQL, driver
// errors, Go source paths.
// The case-insensitive parts are grouped so that the rest stays exact: a
// random CSRF token may well contain "GorM", never "gorm." or "gorm:".
var leaks = regexp.MustCompile(`goroutine \d|panic\(|\.go:\d|(?i:\bselect .* from\b)|(?i:\binsert into\b)|Error 1\d{3}|sqlite3?:|gorm[.:]|runtime error`)

func (c *crawler) check(key string, rec *httptest.ResponseRecorder, ok func(int) bool, want string) {
	c.t.Helper()
	if !ok(rec.Code) {
		c.t.Errorf("%s: got %d, want %s; body %.200q", key, rec.Code, want, rec.Body.String())
	}
	if rec.Code >= 500 {
		c.t.Errorf("%s: %d", key, rec.Code)
	}
	if m := leaks.FindString(rec.Body.String()); m != "" {
		c.t.Errorf("%s: the answer shows internals (%q): %.300q", key, m, rec.Body.String())
	}
}

// TestEveryRouteRefusesWhoItShould crawls every route of the router (from
// gin's own list, so a new route is covered without editing this test,
// except for its entry in routeAccess) without a login, with a role the
// route does not allow, with a role it allows, and (console forms) without
// a CSRF token. Refusals are 303 to the login page (console) or 401 (API),
// 403 for a wrong role or a missing CSRF token, no refusal stores anything,
// no answer is a 5xx or shows internals.
func TestEveryRouteRefusesWhoItShould(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c := newCrawler(t, driver)
			var routes []string
			for _, ri := range c.a.router.Routes() {
				key := ri.Method + " " + ri.Path
				if _, ok := routeAccess[key]; !ok && !strings.HasPrefix(ri.Path, handlers.SandboxAPIPrefix+"/") {
					t.Errorf("route %s has no entry in routeAccess (cmd/fivec/routes_access_test.go): add it with the roles its group allows", key)
				}
				routes = append(routes, key)
			}
			for key := range routeAccess {
				if !slices.Contains(routes, key) {
					t.Errorf("routeAccess lists %s, which the router no longer has: remove it", key)
				}
			}
			slices.Sort(routes)
			sessions := map[string]who{}
			for _, role := range anyStaff {
				cookie, csrf := c.session(role)
				sessions[role] = who{role: role, cookie: cookie, csrf: csrf}
			}
			ctx := context.Background()
			before, err := c.a.store.RowCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}

			// Refusals: nobody, wrong roles, no CSRF token.
			for _, key := range routes {
				method, pattern, _ := strings.Cut(key, " ")
				allowed, known := routeAccess[key]
				if !known || allowed == nil {
					continue
				}
				api := strings.HasPrefix(pattern, "/api/")
				rec := c.do(method, pattern, who{})
				if api {
					c.check(key+" (no token)", rec, func(s int) bool { return s == 401 }, "401")
				} else {
					loc := rec.Header().Get("Location")
					c.check(key+" (no session)", rec, func(s int) bool { return s == 303 && strings.HasPrefix(loc, "/console/login") },
						"303 to /console/login")
				}
				for _, role := range anyStaff {
					w := sessions[role]
					if api {
						w = who{role: role, bearer: c.tokens[role]}
					}
					if !slices.Contains(allowed, role) {
						c.check(key+" as "+role, c.do(method, pattern, w), func(s int) bool { return s == 403 }, "403 (role)")
					}
				}
				if !api && method != http.MethodGet {
					w := sessions[allowed[0]]
					w.csrf = ""
					c.check(key+" without CSRF token", c.do(method, pattern, w), func(s int) bool { return s == 403 }, "403 (CSRF)")
					w.csrf = "forged-" + sessions[allowed[0]].csrf
					c.check(key+" with a wrong CSRF token", c.do(method, pattern, w), func(s int) bool { return s == 403 }, "403 (CSRF)")
				}
			}
			after, err := c.a.store.RowCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if changed := models.RowCountChanges(before, after); len(changed) > 0 {
				t.Errorf("refused requests stored something: %v", changed)
			}

			// Allowed roles get through (whatever the handler then says about
			// the made-up ids), and public routes answer everyone.
			for _, key := range routes {
				method, pattern, _ := strings.Cut(key, " ")
				allowed, known := routeAccess[key]
				if !known || allowed == nil {
					c.check(key+" (public)", c.do(method, pattern, who{}), func(s int) bool { return s < 500 }, "< 500")
					continue
				}
				for _, role := range allowed {
					w := who{role: role, bearer: c.tokens[role]}
					if !strings.HasPrefix(pattern, "/api/") {
						cookie, csrf := c.session(role) // fresh: the route may be logout
						w = who{role: role, cookie: cookie, csrf: csrf}
					}
					rec := c.do(method, pattern, w)
					c.check(key+" as "+role, rec, func(s int) bool {
						toLogin := strings.HasPrefix(rec.Header().Get("Location"), "/console/login")
						return s != 401 && s != 403 && (!toLogin || key == "POST /console/logout")
					}, "through the access checks")
				}
			}
		})
	}
}

// TestStaffCannotTouchEachOthersPersonalThings: one agent cannot see,
// revoke or delete another's API tokens, personal canned replies or
// session, through the console or the API; they stay working.
func TestStaffCannotTouchEachOthersPersonalThings(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			c := newCrawler(t, driver)
			ctx := context.Background()
			b, err := c.a.store.CreateStaff(ctx, models.NewStaff{Username: "agent-b", Password: "crawl-pass-123", Role: models.RoleAgent})
			if err != nil {
				t.Fatal(err)
			}
			bToken, bTok, err := c.a.store.CreateAPIToken(ctx, b.ID, "b's script")
			if err != nil {
				t.Fatal(err)
			}
			bCanned, err := c.a.store.CreateCanned(ctx, b.ID, models.NewCanned{Code: "b-secret", Title: "B only", Text: "B 的私人回复"})
			if err != nil {
				t.Fatal(err)
			}
			bCookie, _, err := c.a.store.CreateSession(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			before, err := c.a.store.RowCounts(ctx, "staff_sessions")
			if err != nil {
				t.Fatal(err)
			}
			tokenID, cannedID := itoa(bTok.ID), itoa(bCanned.ID)
			api := who{role: models.RoleAgent, bearer: c.tokens[models.RoleAgent]}
			cookie, csrf := c.session(models.RoleAgent)
			con := who{role: models.RoleAgent, cookie: cookie, csrf: csrf}
			for _, tc := range []struct {
				method, path string
				w            who
			}{
				{"DELETE", "/api/v1/tokens/" + tokenID, api},
				{"POST", "/console/tokens/" + tokenID + "/delete", con},
				{"DELETE", "/api/v1/canned/" + cannedID, api},
				{"POST", "/console/canned/" + cannedID + "/delete", con},
			} {
				c.check(tc.method+" "+tc.path+" by another agent", c.do(tc.method, tc.path, tc.w),
					func(s int) bool { return s == 404 }, "404 (not theirs: as if it did not exist)")
			}
			for _, path := range []string{"/api/v1/tokens", "/api/v1/canned", "/console/tokens", "/console/canned"} {
				w := api
				if strings.HasPrefix(path, "/console/") {
					w = con
				}
				rec := c.do("GET", path, w)
				c.check("GET "+path, rec, func(s int) bool { return s == 200 }, "200")
				if body := rec.Body.String(); strings.Contains(body, "b's script") || strings.Contains(body, "b-secret") || strings.Contains(body, "B 的私人回复") {
					t.Errorf("GET %s shows agent B's things to agent A", path)
				}
			}
			after, err := c.a.store.RowCounts(ctx, "staff_sessions")
			if err != nil {
				t.Fatal(err)
			}
			if changed := models.RowCountChanges(before, after); len(changed) > 0 {
				t.Errorf("A's attempts changed: %v", changed)
			}
			// A logging out ends only A's session.
			c.do("POST", "/console/logout", con)
			if rec := c.do("GET", "/console/inbox", con); rec.Code != 303 {
				t.Errorf("A's session after logout: %d", rec.Code)
			}
			if rec := c.do("GET", "/console/inbox", who{cookie: bCookie}); rec.Code != 200 {
				t.Errorf("B's session after A's logout: %d", rec.Code)
			}
			if rec := c.do("GET", "/api/v1/me", who{bearer: bToken}); rec.Code != 200 {
				t.Errorf("B's token after A's attempts: %d", rec.Code)
			}
		})
	}
}

func itoa(id uint64) string { return strconv.FormatUint(id, 10) }
