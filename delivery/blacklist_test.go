package delivery_test

import (
	"context"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat/fake"
)

// TestDeliverySkipsBlacklistedFans: a blacklisted fan with an open window
// gets no push, and the recipient says why; taken off the blacklist, the
// next push reaches them.
func TestDeliverySkipsBlacklistedFans(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxblk" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t", Verified: true})
		ids := fans(t, s, appID, "k", 2, 2) // both wrote: windows open
		if changed, err := s.SetBlacklisted(ctx, ids[1], true); err != nil || !changed {
			t.Fatalf("blacklist: %v %v", changed, err)
		}
		if changed, _ := s.SetBlacklisted(ctx, ids[1], true); changed {
			t.Fatal("blacklisting twice changed something")
		}
		d := newDelivery(s, appID, "w1")
		p, err := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "上新", Reply: models.TextReply("新品到了")}, ids)
		if err != nil {
			t.Fatal(err)
		}
		d.RunOnce(ctx)
		skipped, err := s.PushRecipients(ctx, p.ID, models.RcptSkipped, 0, 10)
		if err != nil || len(skipped) != 1 || skipped[0].MemberID != ids[1] || skipped[0].Reason != "blacklisted" {
			t.Fatalf("skipped %+v %v", skipped, err)
		}
		if got := sentTo(appID); got["k000"] != 1 || got["k001"] != 0 {
			t.Fatalf("sends %v", got)
		}
		if _, err := s.SetBlacklisted(ctx, ids[1], false); err != nil {
			t.Fatal(err)
		}
		p2, _ := s.CreatePush(ctx, models.NewPush{Kind: "broadcast", Name: "再次上新", Reply: models.TextReply("又到了")}, ids[1:])
		d.RunOnce(ctx)
		if prog, _ := s.PushProgress(ctx, p2.ID); prog[models.RcptSent] != 1 {
			t.Fatalf("after unblacklisting: %v", prog)
		}
	})
}
