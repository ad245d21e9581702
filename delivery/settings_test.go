package delivery_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/settings"
	"github.com/fivec/fivec/wechat/fake"
)

// TestConsoleSettingsGovernPushes: with Live wired, the quiet hours, the
// weekly cap and the rate saved in the console replace the engine's own
// (environment) values at the next run, without a new engine.
func TestConsoleSettingsGovernPushes(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxlive" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"})
		ids := fans(t, s, appID, "l", 1, 1)
		defaults, _ := settings.NormalizeDefaults(settings.Values{settings.DeliveryRate: "20", settings.PushCap: "0", settings.QuietHours: "off"})
		live := &settings.Live{Store: s, Defaults: defaults}
		d := newDelivery(s, appID, "w")
		d.Live, d.Limiter = live, rate.NewLimiter(20, 1)
		night := time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC)
		d.Now = func() time.Time { return night }
		s.Now = d.Now
		admin := models.AuditEntry{Username: "admin"}
		if err := live.Save(ctx, settings.Values{settings.QuietHours: "22:00-08:00", settings.DeliveryRate: "40"}, nil, admin); err != nil {
			t.Fatal(err)
		}
		p, _ := s.CreatePush(ctx, models.NewPush{Kind: "care", Name: "night", Reply: models.TextReply("晚安")}, ids)
		if _, err := d.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if prog, _ := s.PushProgress(ctx, p.ID); prog[models.RcptQueued] != 1 || len(sentTo(appID)) != 0 {
			t.Fatalf("sent during the console's quiet hours: %v", prog)
		}
		if d.Limiter.Limit() != 40 {
			t.Fatalf("rate %v, want the console's 40", d.Limiter.Limit())
		}
		// Quiet hours off in the console: a push at night goes out at once.
		if err := live.Save(ctx, settings.Values{settings.QuietHours: ""}, nil, admin); err != nil {
			t.Fatal(err)
		}
		p2, _ := s.CreatePush(ctx, models.NewPush{Kind: "care", Name: "night 2", Reply: models.TextReply("还没睡？")}, ids)
		if _, err := d.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if prog, _ := s.PushProgress(ctx, p2.ID); prog[models.RcptSent] != 1 {
			t.Fatalf("with quiet hours off in the console: %v", prog)
		}
		// A weekly cap of 1 in the console: the fan has had one this week.
		if err := live.Save(ctx, settings.Values{settings.PushCap: "1"}, nil, admin); err != nil {
			t.Fatal(err)
		}
		p3, _ := s.CreatePush(ctx, models.NewPush{Kind: "care", Name: "night 3", Reply: models.TextReply("第三条")}, ids)
		if _, err := d.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if prog, _ := s.PushProgress(ctx, p3.ID); prog[models.RcptSent] != 0 || prog[models.RcptSkipped] != 1 {
			t.Fatalf("over the console's weekly cap: %v", prog)
		}
	})
}
