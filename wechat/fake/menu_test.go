package fake

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/officialaccount/menu"
)

func TestMenu(t *testing.T) {
	t.Parallel()
	const app = "wx-menu"
	s, _ := newFake(t, Options{}, Account{AppID: app})
	m := sdk(t, s, app).GetMenu()

	_, err := m.GetMenu()
	wantErrCode(t, err, 46003)

	click := func(name, key string) *menu.Button { return new(menu.Button).SetClickButton(name, key) }
	view := func(name, url string) *menu.Button { return new(menu.Button).SetViewButton(name, url) }
	good := []*menu.Button{
		click("咨询", "ASK"),
		new(menu.Button).SetSubButton("服务", []*menu.Button{view("官网", "https://example.com"), click("积分", "POINTS")}),
	}
	if err := m.SetMenu(good); err != nil {
		t.Fatalf("valid menu: %v", err)
	}
	got, err := m.GetMenu()
	if err != nil || len(got.Menu.Button) != 2 || got.Menu.Button[1].SubButtons[1].Key != "POINTS" {
		t.Fatalf("menu/get: %+v, %v", got, err)
	}
	self, err := m.GetCurrentSelfMenuInfo()
	if err != nil || self.IsMenuOpen != 1 || self.SelfMenuInfo.Button[1].SubButton.List[0].URL != "https://example.com" {
		t.Fatalf("selfmenu: %+v, %v", self, err)
	}
	if b := s.Menu(app); len(b) != 2 || b[0].Key != "ASK" {
		t.Fatalf("Menu(): %+v", b)
	}

	subs := func(n int) []*menu.Button {
		var out []*menu.Button
		for i := 0; i < n; i++ {
			out = append(out, click("s", "K"))
		}
		return out
	}
	cases := []struct {
		name string
		menu []*menu.Button
		code int
	}{
		{"four buttons", []*menu.Button{click("a", "1"), click("b", "2"), click("c", "3"), click("d", "4")}, 40016},
		{"no buttons", nil, 40016},
		{"six sub-buttons", []*menu.Button{new(menu.Button).SetSubButton("more", subs(6))}, 40023},
		{"top name 17 bytes", []*menu.Button{click(strings.Repeat("a", 17), "k")}, 40018},
		{"sub name 61 bytes", []*menu.Button{new(menu.Button).SetSubButton("m", []*menu.Button{click(strings.Repeat("a", 61), "k")})}, 40025},
		{"key 129 bytes", []*menu.Button{click("a", strings.Repeat("k", 129))}, 40019},
		{"url 1025 bytes", []*menu.Button{view("a", "https://x/"+strings.Repeat("u", 1015))}, 40020},
		{"sub url not http", []*menu.Button{new(menu.Button).SetSubButton("m", []*menu.Button{view("a", "ftp://x")})}, 40054},
		{"unknown type", []*menu.Button{{Type: "teleport", Name: "a", Key: "k"}}, 40017},
	}
	for _, c := range cases {
		err := m.SetMenu(c.menu)
		if err == nil || !strings.Contains(err.Error(), "errcode="+strconv.Itoa(c.code)) {
			t.Errorf("%s: %v, want errcode %d", c.name, err, c.code)
		}
	}
	// A 16-byte name (5 CJK characters are 15) is fine.
	if err := m.SetMenu([]*menu.Button{click("一二三四五", "k")}); err != nil {
		t.Fatalf("15-byte name: %v", err)
	}

	// Clicks from the simulator open the event window.
	if _, err := s.Follow(context.Background(), app, "fan", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Click(context.Background(), app, "fan", "k"); err != nil {
		t.Fatal(err)
	}
	if f := s.Fans(app)[0]; f.EventWindowLeft != 3 {
		t.Fatalf("event window after click: %+v", f)
	}

	if err := m.DeleteMenu(); err != nil {
		t.Fatal(err)
	}
	_, err = m.GetMenu()
	wantErrCode(t, err, 46003)
}
