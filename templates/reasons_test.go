package templates_test

import (
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/templates"
)

func TestEveryReasonCodeIsTranslated(t *testing.T) {
	for _, lang := range []string{templates.LangZH, templates.LangEN} {
		lookup := templates.Reason(lang)
		for _, code := range models.ReasonCodes {
			if s, ok := lookup(code, "7"); !ok || s == "" {
				t.Errorf("%s: no text for reason %q", lang, code)
			}
		}
	}
	for _, c := range []struct{ lang, code, arg, want string }{
		{templates.LangZH, models.ReasonTopic, "美食", "参与话题：美食"},
		{templates.LangEN, models.ReasonTopic, "美食", "joined topic 美食"},
		{templates.LangEN, models.ReasonSignIn, "", "daily sign-in"},
		{templates.LangZH, models.ReasonReferrals, "12", "推荐了 12 位好友"},
	} {
		if s, ok := templates.Reason(c.lang)(c.code, c.arg); !ok || s != c.want {
			t.Errorf("%s %s %q = %q %v, want %q", c.lang, c.code, c.arg, s, ok, c.want)
		}
	}
	// Not found: an unknown code, or one that needs an argument without it.
	for _, c := range [][2]string{{"nosuch", ""}, {models.ReasonTopic, ""}} {
		if s, ok := templates.Reason(templates.LangZH)(c[0], c[1]); ok {
			t.Errorf("%q %q = %q, want not found", c[0], c[1], s)
		}
	}
}
