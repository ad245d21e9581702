package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"testing"

	"github.com/fivec/fivec/jobs"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
)

func TestTagSyncBothWays(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		appID := "wxtags" + models.RandomToken(4)
		platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"})
		wx := wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "s", Token: "t"}, wechat.NewMemoryCache(nil))
		for _, id := range []string{"t1", "t2", "t3"} {
			platform.SeedFan(appID, fake.Fan{OpenID: id, Subscribed: true})
			s.RecordInbound(ctx, models.Inbound{DedupeKey: "seed" + id, OpenID: id, MsgType: "text"})
		}
		// On WeChat: tag "vip" on t1. Locally: tag "新客" on t2 and t3.
		vipID, err := wx.CreateTag(ctx, "vip")
		if err != nil {
			t.Fatal(err)
		}
		if err := wx.BatchTag(ctx, vipID, []string{"t1"}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"t2", "t3"} {
			m, _ := s.FindMemberByOpenID(ctx, id)
			s.TagMember(ctx, m.ID, "新客")
		}
		r := &jobs.Runner{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if err := r.SyncTags(ctx, wx); err != nil {
			t.Fatal(err)
		}
		m1, _ := s.FindMemberByOpenID(ctx, "t1")
		if tags, _ := s.MemberTags(ctx, m1.ID); len(tags) != 1 || tags[0] != "vip" {
			t.Fatalf("pulled tags of t1: %v", tags)
		}
		remote, _ := wx.Tags(ctx)
		var newTag int32
		for _, tg := range remote {
			if tg.Name == "新客" {
				newTag = tg.ID
			}
		}
		if newTag == 0 {
			t.Fatalf("local tag not created on WeChat: %+v", remote)
		}
		got, _ := wx.TagFollowers(ctx, newTag)
		sort.Strings(got)
		if len(got) != 2 || got[0] != "t2" || got[1] != "t3" {
			t.Fatalf("pushed members: %v", got)
		}
		// A second pass changes nothing and makes no batch calls.
		before := len(platform.CallsFor(appID))
		if err := r.SyncTags(ctx, wx); err != nil {
			t.Fatal(err)
		}
		for _, c := range platform.CallsFor(appID)[before:] {
			if c.Path == "/cgi-bin/tags/members/batchtagging" || c.Path == "/cgi-bin/tags/create" {
				t.Fatalf("second pass called %s", c.Path)
			}
		}
	})
}
