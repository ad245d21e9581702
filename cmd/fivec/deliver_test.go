package main

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

func TestDeliverCommand(t *testing.T) {
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			driverName, dsn := modelstest.DSN(t, driver)
			store, err := models.Open(ctx, driverName, dsn, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			platform := fake.New(fake.Options{})
			defer platform.Close()
			api := httptest.NewServer(platform)
			defer api.Close()
			platform.AddAccount(fake.Account{AppID: "wxdeliver", AppSecret: "secret", Token: "token", Verified: true})
			var fans []models.Follower
			for _, id := range []string{"d1", "d2", "d3"} {
				platform.SeedFan("wxdeliver", fake.Fan{OpenID: id, Subscribed: true})
				fans = append(fans, models.Follower{OpenID: id, Subscribed: true})
			}
			if err := store.UpsertFollowers(ctx, fans); err != nil {
				t.Fatal(err)
			}
			p, _, err := store.PlanPush(ctx, models.NewPush{Kind: "broadcast", Name: "cmd", Reply: models.TextReply("hi"),
				TemplateID: "TPL", TemplateData: map[string]string{"thing1": "新品"}}, models.PushAudience{Segment: &models.SegmentFilter{}})
			if err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(t.TempDir(), "fivec.yaml")
			os.WriteFile(cfg, []byte("FIVEC_QUIET_HOURS: \"\"\n"), 0o600)
			env := map[string]string{"FIVEC_DB_DRIVER": driverName, "FIVEC_DB_DSN": dsn, "FIVEC_WECHAT_APPID": "wxdeliver",
				"FIVEC_WECHAT_APPSECRET": "secret", "FIVEC_WECHAT_TOKEN": "token", "FIVEC_WECHAT_API_BASE": api.URL}
			var out bytes.Buffer
			if err := run(ctx, []string{"deliver", "-config", cfg, "-once", "-senders", "2"}, envOf(env), &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "fivec deliver: worker") {
				t.Fatalf("banner %q", out.String())
			}
			prog, _ := store.PushProgress(ctx, p.ID)
			if prog[models.RcptSent] != 3 {
				t.Fatalf("progress %v", prog)
			}
			for _, id := range []string{"d1", "d2", "d3"} {
				if in := platform.Inbox("wxdeliver", id); len(in) != 1 || in[0].TemplateData["thing1"] != "新品" {
					t.Fatalf("%s's phone: %+v", id, in)
				}
			}
			// Bad input: one clear line, nothing sent.
			for args, want := range map[string]string{
				"-senders 0": "-senders 1-256",
				"-lease 1ms": "-lease must be",
			} {
				err := run(ctx, append([]string{"deliver", "-once"}, strings.Fields(args)...), envOf(env), io.Discard, io.Discard)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: %v", args, err)
				}
			}
			delete(env, "FIVEC_WECHAT_APPID")
			if err := run(ctx, []string{"deliver", "-once"}, envOf(env), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "FIVEC_WECHAT_APPID") {
				t.Fatalf("sandbox: %v", err)
			}
		})
	}
}
