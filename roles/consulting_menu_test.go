package roles_test

import (
	"context"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
	"github.com/fivec/fivec/wechat/fake/faketest"
)

// TestPublishMenu: the menu is recorded as published only once WeChat has
// accepted it; reading it back shows what WeChat shows; without a WeChat
// account both say so.
func TestPublishMenu(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		wx := faketest.Client(platform)
		m := models.Menu{Buttons: []models.MenuButton{{Type: "click", Name: "签到", Key: "SIGNIN"}}}

		platform.InjectFault("/cgi-bin/menu/create", fake.Fault{ErrCode: -1})
		if err := roles.PublishMenu(ctx, s, wx, m); err == nil {
			t.Fatal("WeChat's refusal was ignored")
		}
		if _, at, _ := s.PublishedMenu(ctx); !at.IsZero() {
			t.Fatal("recorded as published although WeChat refused")
		}
		if err := roles.PublishMenu(ctx, s, wx, m); err != nil {
			t.Fatal(err)
		}
		if pub, at, err := s.PublishedMenu(ctx); err != nil || at.IsZero() || len(pub.Buttons) != 1 || pub.Buttons[0].Key != "SIGNIN" {
			t.Fatalf("published: %+v %v %v", pub, at, err)
		}
		if live, err := roles.LiveMenu(ctx, wx); err != nil || len(live.Buttons) != 1 || live.Buttons[0].Name != "签到" {
			t.Fatalf("live: %+v %v", live, err)
		}

		if err := roles.PublishMenu(ctx, s, nil, m); err != roles.ErrNoWeChat {
			t.Fatalf("no WeChat: %v", err)
		}
		if _, err := roles.LiveMenu(ctx, nil); err != roles.ErrNoWeChat {
			t.Fatalf("no WeChat, live: %v", err)
		}
	})
}
