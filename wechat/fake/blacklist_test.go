package fake

import (
	"fmt"
	"slices"
	"testing"
)

// TestBlacklist: fans are blacklisted and taken off 1–20 at a time; an
// unknown openid (40003) or more than 20 (40032) change nothing; a
// blacklisted fan's sends answer 43019; getblacklist lists them.
func TestBlacklist(t *testing.T) {
	t.Parallel()
	const app = "wx-blacklist"
	s, _ := newFake(t, Options{}, Account{AppID: app})
	for i := 0; i < 25; i++ {
		if err := s.SeedFan(app, Fan{OpenID: fmt.Sprintf("b%02d", i), Subscribed: true}); err != nil {
			t.Fatal(err)
		}
	}
	users := sdk(t, s, app).GetUser()
	if err := users.BatchBlackList("b01", "b02"); err != nil {
		t.Fatalf("blacklist: %v", err)
	}
	wantErrCode(t, users.BatchBlackList("b03", "stranger"), 40003)
	tok := fetchToken(t, s, app)
	var many []string
	for i := 0; i < 21; i++ {
		many = append(many, fmt.Sprintf("b%02d", i))
	}
	wantCode(t, post(t, "/cgi-bin/tags/members/batchblacklist", tok, map[string]any{"openid_list": many}), 40032)
	wantCode(t, post(t, "/cgi-bin/tags/members/batchunblacklist", tok, map[string]any{"openid_list": many}), 40032)
	wantCode(t, post(t, "/cgi-bin/tags/members/batchblacklist", tok, map[string]any{"openid_list": []string{}}), 40032)
	list, err := users.GetBlackList()
	if err != nil || list.Total != 2 || !slices.Equal(list.Data.OpenIDs, []string{"b01", "b02"}) {
		t.Fatalf("getblacklist: %+v %v", list, err)
	}
	msg := map[string]any{"touser": "b01", "msgtype": "text", "text": map[string]string{"content": "hi"}}
	wantCode(t, post(t, "/cgi-bin/message/custom/send", tok, msg), 43019)
	if err := users.BatchUnBlackList("b01"); err != nil {
		t.Fatalf("unblacklist: %v", err)
	}
	all, err := users.GetAllBlackList()
	if err != nil || !slices.Equal(all, []string{"b02"}) {
		t.Fatalf("after unblacklist: %v %v", all, err)
	}
	if c := code(post(t, "/cgi-bin/message/custom/send", tok, msg)); c == 43019 {
		t.Fatal("an unblacklisted fan still refused")
	}
}
