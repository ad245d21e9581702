package console_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// System reasons on the member page show in the staff member's language;
// staff-typed and old rows show as stored.
func TestMemberPageReasonsInStaffLanguage(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := newApp(t, s, false)
		a.staff("root", models.RoleAdmin) // the console keeps one admin; a language change checks that
		a.staff("mia", models.RoleMarketer)
		modelstest.SeedReasons(t, s, "oSign")
		page := "/console/members/oSign"

		b := a.browser().login("mia")
		r := b.get(page)
		expect(t, r, 200, "<td>每日签到</td>", "<td>签到 2030-06-01</td>", "<td>brought a friend</td>",
			"<td>sys:expiry <small")
		if strings.Contains(r.body(), "sys:signin") {
			t.Fatalf("a code shows on the page:\n%s", r.body())
		}

		// The staff member switches the console to English.
		expect(t, b.submit(page, "/console/lang", url.Values{"lang": {"en"}}), 303)
		r = b.get(page)
		expect(t, r, 200, "<td>daily sign-in</td>", "<td>sign-in 2030-06-01</td>", "<td>brought a friend</td>",
			"<td>sys:expiry <small")
		if strings.Contains(r.body(), "每日签到") || strings.Contains(r.body(), "sys:signin") {
			t.Fatalf("the English page shows Chinese or a code:\n%s", r.body())
		}
	})
}
