package wechat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
	"github.com/fivec/fivec/wechat/fake"
	"github.com/fivec/fivec/wechat/fake/faketest"
)

var platform *fake.Server

func TestMain(m *testing.M) { faketest.Main(m, fake.Options{}, &platform) }

func client(appID string) *wechat.Client {
	platform.AddAccount(fake.Account{AppID: appID, AppSecret: "s", Token: "t"})
	return wechat.NewClient(wechat.Account{AppID: appID, AppSecret: "s", Token: "t"}, wechat.NewMemoryCache(nil))
}

func TestPublishMenuAndReadBack(t *testing.T) {
	c := client("wxmenu1")
	ctx := context.Background()
	live, err := c.LiveMenu(ctx)
	if err != nil || len(live.Buttons) != 0 {
		t.Fatalf("no menu yet: %+v %v", live, err)
	}
	m := models.Menu{Buttons: []models.MenuButton{
		{Type: "click", Name: "签到", Key: "SIGN_IN"},
		{Name: "服务", SubButtons: []models.MenuButton{
			{Type: "view", Name: "官网", URL: "https://example.com"},
			{Type: "scancode_push", Name: "扫一扫", Key: "SCAN"},
		}},
	}}
	if err := c.PublishMenu(ctx, m); err != nil {
		t.Fatal(err)
	}
	live, err = c.LiveMenu(ctx)
	if err != nil || len(live.Buttons) != 2 || live.Buttons[1].SubButtons[0].URL != "https://example.com" || live.Buttons[0].Key != "SIGN_IN" {
		t.Fatalf("read back: %+v %v", live, err)
	}
}

func TestMenuValidationNamesButtonAndLimit(t *testing.T) {
	long := strings.Repeat("菜", 6) // 18 bytes
	cases := []struct {
		m    models.Menu
		want string
	}{
		{models.Menu{}, "at least one button"},
		{models.Menu{Buttons: make([]models.MenuButton, 4)}, "4 buttons; WeChat allows 3"},
		{models.Menu{Buttons: []models.MenuButton{{Type: "click", Name: long, Key: "k"}}}, `button 1 ("菜菜菜菜菜菜"): the name is 18 bytes; WeChat allows 16`},
		{models.Menu{Buttons: []models.MenuButton{{Name: "a", SubButtons: make([]models.MenuButton, 6)}}}, "6 sub-buttons; WeChat allows 5"},
		{models.Menu{Buttons: []models.MenuButton{{Name: "a", SubButtons: []models.MenuButton{{Type: "click", Name: "b", Key: strings.Repeat("k", 129)}}}}}, `sub-button 1 ("b"): the key is 129 bytes; WeChat allows 128`},
		{models.Menu{Buttons: []models.MenuButton{{Type: "view", Name: "a", URL: "https://x/" + strings.Repeat("u", 1020)}}}, "WeChat allows 1024"},
		{models.Menu{Buttons: []models.MenuButton{{Type: "view", Name: "a", URL: "javascript:alert(1)"}}}, "http:// or https://"},
		{models.Menu{Buttons: []models.MenuButton{{Type: "teleport", Name: "a"}}}, `unknown type "teleport"`},
		{models.Menu{Buttons: []models.MenuButton{{Name: "a"}}}, "needs a type or sub-buttons"},
		{models.Menu{Buttons: []models.MenuButton{{Type: "miniprogram", Name: "a", URL: "https://x"}}}, "appid, pagepath"},
	}
	for _, c := range cases {
		err := c.m.Validate()
		if models.ErrorCode(err) != models.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.m, err, c.want)
		}
	}
	if err := client("wxmenu2").PublishMenu(context.Background(), cases[1].m); models.ErrorCode(err) != models.EINVALID {
		t.Fatalf("invalid menu was sent: %v", err)
	}
	if n := len(platform.CallsFor("wxmenu2")); n != 0 {
		t.Fatalf("%d API calls for an invalid menu", n)
	}
}
