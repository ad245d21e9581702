package console_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestBroadcastCancelledThenDeletedOrCopied: a cancelled broadcast can be
// neither edited nor scheduled, but it can be copied to a new draft
// ("复制为新草稿") and deleted (after a confirmation).
func TestBroadcastCancelledThenDeletedOrCopied(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		mia := a.staff("mia", models.RoleMarketer)
		b := a.browser().login("mia")
		bc, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "双十一", Kind: models.BroadcastText, Text: "全场五折", Audience: models.AudienceAll}, mia.ID, models.BroadcastPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		path := "/console/broadcasts/" + strconv.FormatUint(bc.ID, 10)
		expect(t, b.get(path), 200, `id="bc-cancel"`, `data-confirm="确定取消群发「双十一」吗？`, `id="bc-delete"`, `data-confirm="确定删除群发「双十一」吗？`)
		expect(t, b.submit(path, path+"/cancel", nil), 303)
		r := b.get(path)
		expect(t, r, 200, "已取消的群发不能再修改", `id="bc-copy"`, "复制为新草稿", `id="bc-delete"`)
		if strings.Contains(r.body(), `id="bc-edit"`) || strings.Contains(r.body(), `id="schedule-form"`) {
			t.Fatal("a cancelled broadcast offers edit or schedule")
		}
		// Its edit page is read-only and says why.
		r = b.get(path + "/edit")
		expect(t, r, 200, `id="bc-locked"`, "复制为新草稿", "<fieldset class=\"group plain\" disabled>")
		if strings.Contains(r.body(), `id="bc-save"`) {
			t.Fatal("the locked form offers save")
		}

		// Copy: a new draft with the same content opens in the form.
		r = b.submit(path, path+"/copy", nil)
		expect(t, r, 303)
		loc := r.Header().Get("Location")
		expect(t, b.get(loc), 200, "双十一（副本）", "全场五折", `id="bc-save"`, "已复制为新草稿")
		list, err := s.ListBroadcasts(ctx, 10)
		if err != nil || len(list) != 2 {
			t.Fatalf("after the copy: %d broadcasts, %v", len(list), err)
		}

		// Delete the cancelled one.
		expect(t, b.submit(path, path+"/delete", nil), 303)
		if _, err := s.FindBroadcast(ctx, bc.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("the cancelled broadcast is still there: %v", err)
		}
		expect(t, b.get("/console/broadcasts?ok=bc.flash.deleted"), 200, "群发已删除", "双十一（副本）")

	})
}

// TestBroadcastFormReadOnlyForAgents: an agent may look at broadcasts but
// not change them, so the compose form is shown read-only with "你的角色只能
// 查看" and no save button, instead of letting them type and get a 403.
func TestBroadcastFormReadOnlyForAgents(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		mia := a.staff("mia", models.RoleMarketer)
		a.staff("alex", models.RoleAgent)
		a.staff("ann", models.RoleAdmin)
		bc, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "周报", Kind: models.BroadcastText, Text: "本周新品", Audience: models.AudienceAll}, mia.ID, models.BroadcastPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		path := "/console/broadcasts/" + strconv.FormatUint(bc.ID, 10)
		for _, tc := range []struct {
			user     string
			readOnly bool
		}{{"alex", true}, {"mia", false}, {"ann", false}} {
			b := a.browser().login(tc.user)
			for _, p := range []string{"/console/broadcasts/new", path + "/edit", path} {
				r := b.get(p)
				expect(t, r, 200)
				body := r.body()
				if got := strings.Contains(body, "你的角色只能查看群发"); got != tc.readOnly {
					t.Errorf("%s %s: read-only note shown %v, want %v", tc.user, p, got, tc.readOnly)
				}
				if p != path {
					if got := strings.Contains(body, `id="bc-save"`); got == tc.readOnly {
						t.Errorf("%s %s: save button shown %v", tc.user, p, got)
					}
					if got := strings.Contains(body, "disabled>"); got != tc.readOnly {
						t.Errorf("%s %s: fields disabled %v, want %v", tc.user, p, got, tc.readOnly)
					}
				}
			}
			if tc.readOnly {
				expect(t, b.submit(path, path+"/edit", url.Values{"name": {"改"}}), 403, "你的角色不能执行这个操作")
			}
		}
	})
}
