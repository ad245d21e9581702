package console_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestCannedReplies: saved only when the template is safe, shared or
// personal, found by the reply box's "/" with the fan's values filled in.
func TestCannedReplies(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s)
		d.staff("ann", models.RoleAgent)
		d.staff("bob", models.RoleAgent)
		d.staff("root", models.RoleAdmin)
		if _, err := s.UpdateStaff(ctx, d.staffID("ann"), models.StaffUpdate{DisplayName: ptr("安")}); err != nil {
			t.Fatal(err)
		}
		a, b, root := d.browser().login("ann"), d.browser().login("bob"), d.browser().login("root")

		save := func(br *browser, code, text string, shared bool) resp {
			f := url.Values{"code": {code}, "title": {"T " + code}, "text": {text}}
			if shared {
				f.Set("shared", "on")
			}
			return br.submit("/console/canned", "/console/canned", f)
		}
		expect(t, save(a, "hello", `{{or .Name "朋友"}}您好，我是{{.Agent}}，您有 {{.Points}} 积分。`, true), 303)
		expect(t, save(a, "/mine", "私人：{{if .Name}}{{.Name}}{{else}}亲{{end}}", false), 303)
		for _, bad := range []struct{ text, want string }{
			{"{{.Foo}}", "不允许使用"},
			{"{{range 1000000000}}x{{end}}", "不允许使用"},
			{`{{template "x"}}`, "不允许使用"},
			{"{{.Name | printf \"%v\"}}", "不允许使用"},
			{"{{.Name", "模板写法有误"},
			{"{{define \"x\"}}y{{end}}", "define"},
		} {
			r := save(a, "bad", bad.text, false)
			expect(t, r, 400, bad.want)
			if !strings.Contains(r.body(), `value="bad"`) {
				t.Fatalf("the form lost its values: %s", r.body())
			}
		}
		expect(t, save(a, "has space", "x", false), 400, "code")
		expect(t, save(b, "hello", "again", true), 409, "already used")
		expect(t, save(b, "hello", "my own hello", false), 303) // personal codes are per agent

		// Listing: shared + own; search by code prefix, title or text.
		expect(t, a.get("/console/canned"), 200, "/hello", "/mine", "共享", "个人")
		if r := b.get("/console/canned"); strings.Contains(r.body(), "/mine") {
			t.Fatal("bob sees ann's personal reply")
		}
		if r := a.get("/console/canned?q=min"); !strings.Contains(r.body(), "/mine") || strings.Contains(r.body(), "/hello") {
			t.Fatalf("search: %s", r.body())
		}

		// The picker renders for the conversation's fan.
		d.fan("oFanCanned", "人工")
		conv := d.escalated("oFanCanned")
		m, _ := s.FindMemberByOpenID(ctx, "oFanCanned")
		if _, _, err := s.Earn(ctx, m.ID, 120, "test", "seed", "canned-test", nil); err != nil {
			t.Fatal(err)
		}
		path := "/console/inbox/" + id(conv)
		expect(t, a.get(path+"/canned?q=hel"), 200, `data-text="朋友您好，我是安，您有 120 积分。"`, "/hello")
		// Without a profile name the fan is 朋友 (models.FanName), as in rule replies.
		expect(t, a.get(path+"/canned?q=%2Fmin"), 200, "私人：朋友")
		expect(t, a.get(path+"/canned?q=zzz"), 200, "没有匹配的快捷回复")
		expect(t, b.get(path+"/canned?q=hello"), 200, "my own hello", "朋友您好")
		// With one, the canned reply addresses the fan by it.
		if _, err := s.SaveProfile(ctx, m.ID, models.ProfileInput{Name: "张三", Consent: true}); err != nil {
			t.Fatal(err)
		}
		expect(t, a.get(path+"/canned?q=hel"), 200, `data-text="张三您好，我是安，您有 120 积分。"`)
		expect(t, a.get(path+"/canned?q=%2Fmin"), 200, "私人：张三")

		// Deleting: a shared reply by its author or an admin only.
		list, _ := s.ListCanned(ctx, d.staffID("ann"), "hello", 10)
		var shared uint64
		for _, r := range list {
			if r.Shared() {
				shared = r.ID
			}
		}
		del := fmt.Sprintf("/console/canned/%d/delete", shared)
		expect(t, b.submit("/console/canned", del, nil), 403)
		expect(t, root.submit("/console/canned", del, nil), 303)
		expect(t, a.submit("/console/canned", del, nil), 404)
	})
}

func ptr[T any](v T) *T { return &v }
