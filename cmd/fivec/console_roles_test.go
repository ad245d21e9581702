package main

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// patternRE turns a gin route pattern into a regexp for concrete paths.
func patternRE(pattern string) *regexp.Regexp {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, ":"):
			parts[i] = `[^/]+`
		case strings.HasPrefix(p, "*"):
			parts[i] = `.*`
		default:
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return regexp.MustCompile(`^` + strings.Join(parts, "/") + `$`)
}

// liveForms returns the actions of a page's POST forms that a person can
// submit: a form with a submit button that no disabled fieldset covers.
func liveForms(t *testing.T, body string) []string {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	var out []string
	var find func(n *html.Node, form string, disabled bool)
	find = func(n *html.Node, form string, disabled bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				if m, _ := attr(n, "method"); strings.EqualFold(m, "post") {
					form, _ = attr(n, "action")
				}
			case "fieldset":
				if _, ok := attr(n, "disabled"); ok {
					disabled = true
				}
			case "button":
				_, off := attr(n, "disabled")
				typ, _ := attr(n, "type")
				action, hasAction := attr(n, "formaction")
				if !hasAction {
					action = form
				}
				if action != "" && !off && !disabled && typ != "button" && !slices.Contains(out, action) {
					out = append(out, action)
				}
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			find(ch, form, disabled)
		}
	}
	find(doc, "", false)
	return out
}

// TestPagesOfferOnlyWhatTheRoleMayDo opens every console page as admin,
// agent and marketer (seeded as in TestConsoleSpeaksChinese) and fails
// when a page offers a form its reader may not submit: an agent must not
// be able to fill the broadcast form and get a 403 on save. Such pages show
// their fields disabled (with "你的角色只能查看") or no form at all.
func TestPagesOfferOnlyWhatTheRoleMayDo(t *testing.T) {
	c := newCrawler(t, "sqlite")
	sd := seedZH(t, c)
	type route struct {
		re  *regexp.Regexp
		key string
	}
	var posts []route
	var gets []string
	for _, r := range c.a.router.Routes() {
		switch {
		case r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/console/"):
			posts = append(posts, route{patternRE(r.Path), "POST " + r.Path})
		case r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/console/") && !zhSkip.MatchString(r.Path):
			gets = append(gets, r.Path)
		}
	}
	// Literal routes first, as gin matches them ("/broadcasts/new" before
	// "/broadcasts/:id").
	slices.SortFunc(posts, func(a, b route) int { return strings.Count(a.key, ":") - strings.Count(b.key, ":") })
	checked := 0
	for _, role := range anyStaff {
		cookie, csrf := c.session(role)
		w := who{role: role, cookie: cookie, csrf: csrf}
		for _, pat := range gets {
			for _, path := range sd.paths(pat) {
				rec := c.do(http.MethodGet, path, w)
				if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
					continue
				}
				for _, action := range liveForms(t, rec.Body.String()) {
					action, _, _ = strings.Cut(action, "?")
					i := slices.IndexFunc(posts, func(r route) bool { return r.re.MatchString(action) })
					if i < 0 {
						t.Errorf("%s %s: a form posts to %s, which is no route", role, path, action)
						continue
					}
					checked++
					if allowed := routeAccess[posts[i].key]; allowed != nil && !slices.Contains(allowed, role) {
						t.Errorf("%s %s: offers a form to %s (%s), which refuses %s", role, path, action, posts[i].key, role)
					}
				}
			}
		}
	}
	if checked < 30 {
		t.Fatalf("only %d forms checked", checked)
	}
}
