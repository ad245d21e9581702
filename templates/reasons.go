package templates

import (
	"fmt"
	"strings"
	"sync"
)

var (
	catsOnce sync.Once
	cats     map[string]Catalog
)

// catalogs loads the embedded catalogues once, for text built outside
// the console (the API, fan replies). nil if they do not load, which a
// test rules out.
func catalogs() map[string]Catalog {
	catsOnce.Do(func() { cats, _ = LoadCatalogs() })
	return cats
}

// Reason returns the lookup that renders system reason codes
// (models.ReasonText) in lang: crm.reason.<code>, with the argument in
// place of %s. Unknown codes are not found, so the stored text shows.
func Reason(lang string) func(code, arg string) (string, bool) {
	cat := catalogs()[lang]
	if cat == nil {
		cat = catalogs()[DefaultLang]
	}
	return func(code, arg string) (string, bool) {
		s, ok := cat["crm.reason."+code]
		if !ok {
			return "", false
		}
		if !strings.Contains(s, "%s") {
			return s, true
		}
		if arg == "" {
			return "", false // a damaged code: show it as stored
		}
		return fmt.Sprintf(s, arg), true
	}
}

// Label returns the catalogue text of key in lang (e.g. "crm.level.spreader"
// for the fan pages), or key itself when the catalogue has none.
func Label(lang, key string) string {
	cat := catalogs()[lang]
	if cat == nil {
		cat = catalogs()[DefaultLang]
	}
	if s, ok := cat[key]; ok {
		return s
	}
	return key
}
