package roles_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

func TestCareTagsInterestsAndExitsOnUnfollow(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if _, err := s.SaveInterest(ctx, 0, models.NewInterest{Name: "汽车", Keywords: []string{"4S店", "保养"}, Tag: "兴趣:汽车"}); err != nil {
			t.Fatal(err)
		}
		care := &roles.Care{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		e := newEnv(t, s, true, care)
		e.Follow("car1")
		member, err := s.FindMemberByOpenID(ctx, "car1")
		if err != nil {
			t.Fatal(err)
		}
		j, err := s.SaveJourney(ctx, 0, models.NewJourney{Name: "车主关怀", Trigger: models.TriggerTagged, TriggerVal: "兴趣:汽车",
			Steps: []models.NewStep{{After: "0", Reply: models.TextReply("汽车宝典免费试用")}, {After: "3d", Reply: models.TextReply("试用感受如何？")}}})
		if err != nil {
			t.Fatal(err)
		}
		// Care never answers itself: the fan gets no passive reply from it.
		say := func(text string) *fake.Delivery {
			t.Helper()
			d, err := platform.SendText(ctx, e.Acct.AppID, "car1", text)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if reply := say("附近有没有４ｓ店？"); reply != nil {
			t.Fatalf("care answered: %+v", reply)
		}
		if tags, _ := s.MemberTags(ctx, member.ID); !slices.Contains(tags, "兴趣:汽车") {
			t.Fatalf("tags after asking about 4S shops: %v", tags)
		}
		// A new interest is picked up once the version moved.
		if _, err := s.SaveInterest(ctx, 0, models.NewInterest{Name: "彩铃", Keywords: []string{"彩铃"}}); err != nil {
			t.Fatal(err)
		}
		if err := care.ReloadIfChanged(ctx); err != nil {
			t.Fatal(err)
		}
		say("怎么下载彩铃")
		say("你好")
		if tags, _ := s.MemberTags(ctx, member.ID); len(tags) != 2 || !slices.Contains(tags, "彩铃") {
			t.Fatalf("tags: %v", tags)
		}
		// The journey enrols from the tag; unfollowing takes the fan out at once.
		if ok, err := s.Enrol(ctx, j, member.ID, "test", time.Now()); err != nil || !ok {
			t.Fatalf("enrol: %v %v", ok, err)
		}
		if err := platform.Unfollow(ctx, e.Acct.AppID, "car1"); err != nil {
			t.Fatal(err)
		}
		e.Handler.Wait()
		f, err := s.Flow(ctx, j)
		if err != nil || f.Active != 0 || f.Exits[models.ExitUnfollowed] != 1 {
			t.Fatalf("after unfollow: %+v %v", f, err)
		}
	})
}
