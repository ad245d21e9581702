package delivery_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

// TestDirectBroadcastCarriesEachFansName: a direct broadcast with
// variables reaches every fan with their own name and points, by
// customer-service message inside the window and by template message
// outside it; a fan without a profile name is 朋友. Nothing reaches a phone
// with "{{" in it.
func TestDirectBroadcastCarriesEachFansName(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxbcv" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		ids := fans(t, s, appID, "v", 3, 2) // v000, v001 wrote; v002 did not
		for i, name := range []string{"张三", "", "王五"} {
			if name != "" {
				if _, err := s.SaveProfile(ctx, ids[i], models.ProfileInput{Name: name, Consent: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, _, err := s.Earn(ctx, ids[0], 120, "test", "测试", "v0", nil); err != nil {
			t.Fatal(err)
		}
		pol := models.BroadcastPolicy{Loc: time.UTC}
		bj := newBroadcasts(s, appID, pol)
		// Two minutes on, the one-minute window after following has closed
		// for v002: it gets the template message.
		real := s.Now
		s.Now = func() time.Time { return real().Add(2 * time.Minute) }
		bj.Delivery.Now = s.Now
		b := scheduleNow(t, s, models.BroadcastInput{Name: "积分提醒", Kind: "text", Text: "{{.Name}}您好，您有 {{.Points}} 积分",
			TemplateID: "TPL", TemplateData: map[string]string{"thing1": "{{.Name}}的积分", "number2": "{{.Points}}"},
			Audience: "all", Channel: "direct"}, pol)
		bj.RunOnce(ctx)
		bj.Delivery.RunOnce(ctx)
		bj.RunOnce(ctx)
		runs, _ := s.BroadcastRuns(ctx, b.ID)
		if len(runs) != 1 || runs[0].State != models.RunDone {
			t.Fatalf("runs: %+v", runs)
		}
		last := func(openID string) fake.Delivery {
			in := platform.Inbox(appID, openID)
			for i := len(in) - 1; i >= 0; i-- {
				if in[i].Direction == fake.DirOut {
					return in[i]
				}
			}
			t.Fatalf("%s received nothing", openID)
			return fake.Delivery{}
		}
		if d := last("v000"); d.Source != fake.SourceCustom || d.Text != "张三您好，您有 120 积分" {
			t.Errorf("v000: %s %q", d.Source, d.Text)
		}
		if d := last("v001"); d.Source != fake.SourceCustom || d.Text != "朋友您好，您有 0 积分" {
			t.Errorf("v001: %s %q", d.Source, d.Text)
		}
		if d := last("v002"); d.Source != fake.SourceTemplate || d.TemplateData["thing1"] != "王五的积分" || d.TemplateData["number2"] != "0" {
			t.Errorf("v002: %s %v", d.Source, d.TemplateData)
		}
		for _, id := range []string{"v000", "v001", "v002"} {
			for _, d := range platform.Inbox(appID, id) {
				if strings.Contains(d.Text, "{{") || strings.Contains(strings.Join(mapValues(d.TemplateData), " "), "{{") {
					t.Errorf("%s received a raw variable: %+v", id, d)
				}
			}
		}
	})
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestMassJobPlannedWithVariablesIsNotSent: a mass run planned before mass
// sends with variables were refused (its push holds "{{.Name}}") is
// recorded as failed with the reason, and no fan receives it.
func TestMassJobPlannedWithVariablesIsNotSent(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			name, dsn := modelstest.DSN(t, driver)
			s, err := models.Open(context.Background(), name, dsn, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			ctx := context.Background()
			appID := "wxbcm" + models.RandomToken(4)
			platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
			fans(t, s, appID, "mv", 2, 0)
			pol := models.BroadcastPolicy{Loc: time.UTC, AccountType: models.AccountService}
			bj := newBroadcasts(s, appID, pol)
			b := scheduleNow(t, s, models.BroadcastInput{Name: "旧群发", Kind: "text", Text: "您好", Audience: "all"}, pol)
			started, err := s.StartDueBroadcasts(ctx, pol)
			if err != nil || len(started) != 1 || started[0].PushID == 0 {
				t.Fatalf("started %+v, %v", started, err)
			}
			db, err := sql.Open(name, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec("UPDATE pushes SET content = ? WHERE id = ?", `{"kind":"text","text":"{{.Name}}您好"}`, started[0].PushID); err != nil {
				t.Fatal(err)
			}
			if err := bj.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"mv000", "mv001"} {
				if got := massInbox(appID, id); len(got) != 0 {
					t.Fatalf("%s received %+v", id, got)
				}
			}
			prog, _ := s.PushProgress(ctx, started[0].PushID)
			if prog[models.RcptFailed] != 2 || prog[models.RcptSent] != 0 {
				t.Fatalf("progress %v, want both failed", prog)
			}
			runs, _ := s.BroadcastRuns(ctx, b.ID)
			rep, _ := s.RunReport(ctx, &runs[0])
			if !strings.Contains(fmt.Sprint(rep), models.ErrMassVariables) {
				t.Fatalf("the report does not say why: %+v", rep)
			}
		})
	}
}
