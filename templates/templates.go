// Package templates holds the staff console's HTML templates, its static
// assets and the message catalogues, all embedded in the binary (the
// embed package) so nothing is read from disk or loaded from the internet.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fivec/fivec/wechat"
)

//go:embed console/*.html console/partials/*.html i18n/*.yaml static fan/*.html fan/*.css fan/*.js
var files embed.FS

// Supported languages. DefaultLang is used when a staff member or browser
// has not chosen.
const (
	LangZH      = "zh"
	LangEN      = "en"
	DefaultLang = LangZH
)

// SupportedLang reports whether l has a catalogue.
func SupportedLang(l string) bool { return l == LangZH || l == LangEN }

// Page is what every console page gets: the layout reads the fields, the
// page's own template reads Data.
type Page struct {
	Title   string // i18n key of the page title
	Nav     string // the active navigation item
	User    *User  // nil on the login and logged-out error pages
	CSRF    string // the session's (or the login form's) CSRF token
	Lang    string
	Sandbox bool   // show the fan simulator
	Flash   string // i18n key of a success notice
	Error   string // an error notice, already safe to show
	Data    any
}

// User is the logged-in staff member as the layout shows them.
type User struct {
	Name  string
	Role  string
	Admin bool
}

// Renderer executes the console templates. One template set is parsed per
// language at start-up, with "t" bound to that language's catalogue and time
// formatting bound to the account's time zone.
type Renderer struct {
	sets map[string]map[string]*template.Template // lang → page → set
	cats map[string]Catalog
}

// New parses every page for every language. loc is the account time zone.
func New(loc *time.Location) (*Renderer, error) {
	if loc == nil {
		return nil, fmt.Errorf("templates: nil time zone")
	}
	cats, err := LoadCatalogs()
	if err != nil {
		return nil, err
	}
	pages, err := fs.Glob(files, "console/*.html")
	if err != nil {
		return nil, err
	}
	r := &Renderer{sets: map[string]map[string]*template.Template{}, cats: cats}
	for lang, cat := range cats {
		r.sets[lang] = map[string]*template.Template{}
		for _, p := range pages {
			name := strings.TrimSuffix(path.Base(p), ".html")
			if name == "layout" {
				continue
			}
			t, err := template.New(name).Funcs(funcs(lang, cat, loc)).ParseFS(files, "console/layout.html", "console/partials/*.html", p)
			if err != nil {
				return nil, fmt.Errorf("templates: %s: %w", p, err)
			}
			r.sets[lang][name] = t
		}
	}
	return r, nil
}

// Render writes page in lang, wrapped in the layout.
func (r *Renderer) Render(w io.Writer, lang, page string, data Page) error {
	return r.RenderBlock(w, lang, page, "layout", data)
}

// RenderBlock writes one named block of page (an htmx fragment). Output is
// buffered so a template error never leaves a half-written page.
func (r *Renderer) RenderBlock(w io.Writer, lang, page, block string, data any) error {
	set := r.sets[lang]
	if set == nil {
		set = r.sets[DefaultLang]
	}
	t := set[page]
	if t == nil {
		return fmt.Errorf("templates: no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, data); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}

// T translates key in lang (for text built outside templates).
func (r *Renderer) T(lang, key string, args ...any) string {
	cat := r.cats[lang]
	if cat == nil {
		cat = r.cats[DefaultLang]
	}
	return cat.T(key, args...)
}

// Static returns the embedded static assets (htmx, CSS) rooted at static/.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the directory is embedded; cannot fail
	}
	return sub
}

func funcs(lang string, cat Catalog, loc *time.Location) template.FuncMap {
	return template.FuncMap{
		// wxerr is a WeChat errcode in words, with what to do next.
		"wxerr": func(errcode int) string {
			what, next := wechat.DescribeCode(lang, errcode)
			if next == "" {
				return what
			}
			return what + sep[lang] + next
		},
		// wxstatus is a template message's TEMPLATESENDJOBFINISH failure
		// in words, with what to do next.
		"wxstatus": func(status string) string {
			what, next := wechat.DescribeTemplateStatus(lang, status)
			return what + sep[lang] + next
		},
		"t": cat.T,
		// when formats a time.Time or *time.Time in the account time zone.
		"when": func(v any) string {
			switch x := v.(type) {
			case time.Time:
				if !x.IsZero() {
					return x.In(loc).Format("2006-01-02 15:04:05")
				}
			case *time.Time:
				if x != nil && !x.IsZero() {
					return x.In(loc).Format("2006-01-02 15:04:05")
				}
			}
			return "—"
		},
		// label translates group.value, showing value itself when the
		// catalogue has no entry (kinds and sources the platform may add).
		"label": func(group, v string) string {
			if s, ok := cat[group+"."+v]; ok {
				return s
			}
			return v
		},
		// action is an audit-log action ("staff.disable") in words, the code
		// itself when the catalogue has no entry.
		"action": func(code string) string {
			if s, ok := cat["action."+strings.ReplaceAll(code, ".", "_")]; ok {
				return s
			}
			return code
		},
		// clock is the short time of day shown in chat bubbles.
		"clock": func(t time.Time) string { return t.In(loc).Format("01-02 15:04") },
		// in reports whether list holds s (checked boxes, selected options).
		"in": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
		// pct is part as a whole percentage of whole ("—" when whole is 0).
		"pct": func(part, whole int64) string {
			if whole <= 0 {
				return "—"
			}
			return fmt.Sprintf("%d%%", (part*200+whole)/(2*whole)) // rounded
		},
		// add is for ranks and 1-based numbering.
		"add": func(a, b int) int { return a + b },
	}
}

// sep joins an errcode's meaning and its next step.
var sep = map[string]string{LangZH: "。", LangEN: ". "}

// Catalog maps message keys ("nav.members") to text in one language.
type Catalog map[string]string

// T returns the text for key, formatted with args when given. A missing key
// shows itself, and a test keeps that from reaching production.
func (c Catalog) T(key string, args ...any) string {
	s, ok := c[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// LoadCatalogs reads i18n/<lang>.yaml for every supported language. The
// YAML is nested for readability and flattened to dotted keys.
func LoadCatalogs() (map[string]Catalog, error) {
	out := map[string]Catalog{}
	for _, lang := range []string{LangZH, LangEN} {
		// One file per area of the console: i18n/zh.yaml, i18n/zh.rules.yaml…
		names, err := fs.Glob(files, "i18n/"+lang+"*.yaml")
		if err != nil {
			return nil, err
		}
		cat := Catalog{}
		for _, name := range names {
			raw, err := files.ReadFile(name)
			if err != nil {
				return nil, err
			}
			var tree map[string]any
			if err := yaml.Unmarshal(raw, &tree); err != nil {
				return nil, fmt.Errorf("templates: %s: %w", name, err)
			}
			part := Catalog{}
			if err := flatten(part, "", tree); err != nil {
				return nil, fmt.Errorf("templates: %s: %w", name, err)
			}
			for k, v := range part {
				if _, dup := cat[k]; dup {
					return nil, fmt.Errorf("templates: %s: key %s is defined twice", name, k)
				}
				cat[k] = v
			}
		}
		out[lang] = cat
	}
	return out, nil
}

func flatten(dst Catalog, prefix string, tree map[string]any) error {
	for k, v := range tree {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch x := v.(type) {
		case map[string]any:
			if err := flatten(dst, key, x); err != nil {
				return err
			}
		case string:
			dst[key] = x
		default:
			return fmt.Errorf("%s: want text, got %T", key, v)
		}
	}
	return nil
}

// FanAsset returns a fan page's stylesheet (templates/fan/NAME).
func FanAsset(name string) ([]byte, error) {
	return files.ReadFile("fan/" + name)
}

// FanPage parses a fan-facing page (templates/fan/NAME.html): standalone,
// Chinese, phone-first pages fans open from WeChat.
func FanPage(name string) (*template.Template, error) {
	return template.ParseFS(files, "fan/"+name+".html")
}
