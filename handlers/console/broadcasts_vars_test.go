package console_test

import (
	"context"
	"database/sql"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestBroadcastVariablesInTheConsole: a mass broadcast with {{.Name}} is
// refused at save with the message (what to do), the form keeps what was
// typed, and nothing is saved; a direct one is saved. A mass broadcast
// stored with a variable before this check shows a warning on its page and
// its form, and cannot be scheduled.
func TestBroadcastVariablesInTheConsole(t *testing.T) {
	t.Parallel()
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			name, dsn := modelstest.DSN(t, driver)
			s, err := models.Open(context.Background(), name, dsn, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			ctx := context.Background()
			a := newApp(t, s, false)
			mia := a.staff("mia", models.RoleMarketer)
			b := a.browser().login("mia")

			form := url.Values{"name": {"会员日"}, "kind": {"text"}, "text": {"{{.Name}}您好，会员日全场八折"}, "audience": {"all"}, "channel": {""}}
			r := b.submit("/console/broadcasts/new", "/console/broadcasts/new", form)
			expect(t, r, 400, `id="bc-error"`, models.ErrMassVariables, "{{.Name}}", "请删除变量", "直发（客服 / 模板）", "{{.Name}}您好，会员日全场八折</textarea>")
			if list, _ := s.ListBroadcasts(ctx, 10); len(list) != 0 {
				t.Fatalf("a refused broadcast was saved: %+v", list)
			}
			// An unknown variable on a direct send is refused by name.
			form.Set("channel", "direct")
			form.Set("text", "{{.Nickname}}您好")
			expect(t, b.submit("/console/broadcasts/new", "/console/broadcasts/new", form), 400, "{{.Nickname}}")
			// The same text sent directly is saved.
			form.Set("text", "{{.Name}}您好，会员日全场八折")
			expect(t, b.submit("/console/broadcasts/new", "/console/broadcasts/new", form), 303)

			// As stored before the check: the same text as a mass send.
			old, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "旧群发", Kind: "text", Text: "{{.Name}}您好", Audience: "all", Channel: "direct"}, mia.ID, models.BroadcastPolicy{})
			if err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open(name, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec("UPDATE broadcasts SET channel = 'mass' WHERE id = ?", old.ID); err != nil {
				t.Fatal(err)
			}
			path := "/console/broadcasts/" + strconv.FormatUint(old.ID, 10)
			expect(t, b.get(path), 200, `id="bc-vars-warn"`, "这条群发按现在的内容不会发出", "{{.Name}}", "请删除变量")
			r = b.get(path + "/edit")
			expect(t, r, 200, `id="bc-vars-warn"`, models.ErrMassVariables)
			if i := strings.Index(r.body(), `id="bc-vars-warn"`); strings.Contains(r.body()[i:i+400], " hidden>") {
				t.Fatal("the stored broadcast's warning is hidden")
			}
			at := time.Now().Add(time.Hour).Format("2006-01-02T15:04")
			expect(t, b.submit(path, path+"/schedule", url.Values{"at": {at}}), 400, models.ErrMassVariables)
			if got, _ := s.FindBroadcast(ctx, old.ID); got.State != models.BroadcastDraft {
				t.Fatalf("state %s after the refused schedule", got.State)
			}
			// A new form has the warning ready for the script, hidden.
			r = b.get("/console/broadcasts/new")
			if i := strings.Index(r.body(), `id="bc-vars-warn"`); i < 0 || !strings.Contains(r.body()[i:i+600], " hidden>") {
				t.Fatal("the new form's variable warning is missing or shown before anything is typed")
			}
		})
	}
}
