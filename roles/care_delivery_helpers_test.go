package roles_test

import (
	"io"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/fivec/fivec/delivery"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// newDelivery and sentTo serve the care tests (care_tick_test.go), whose
// pushes go through the delivery engine (the engine's own tests are in
// delivery/).
func newDelivery(s *models.Store, appID, worker string) *delivery.Engine {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	wx := wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "s", Token: "t"}, wechat.NewMemoryCache(nil))
	return &delivery.Engine{
		Store: s, Sender: &wechat.Sender{Store: s, WX: wx, Log: log}, Log: log, Worker: worker,
		Limiter: rate.NewLimiter(rate.Inf, 1), Batch: 7, Lease: time.Minute, Loc: time.UTC,
		Window: models.DefaultWindowRules, MaxAttempts: 3, Now: time.Now,
	}
}

func sentTo(appID string) map[string]int {
	out := map[string]int{}
	for _, c := range platform.CallsFor(appID) {
		if c.ErrCode == 0 && c.HTTPStatus == 200 && (strings.HasSuffix(c.Path, "custom/send") || strings.HasSuffix(c.Path, "template/send")) {
			for _, part := range strings.Split(string(c.Body), `"touser":"`)[1:] {
				out[part[:strings.Index(part, `"`)]]++
			}
		}
	}
	return out
}
