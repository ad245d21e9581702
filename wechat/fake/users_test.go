package fake

import (
	"fmt"
	"slices"
	"testing"

	"github.com/silenceper/wechat/v2/officialaccount/user"
)

func TestUserListPaging(t *testing.T) {
	t.Parallel()
	const app = "wx-users"
	s, _ := newFake(t, Options{PageSize: 3}, Account{AppID: app})
	var want []string
	for i := 0; i < 8; i++ {
		id := fmt.Sprintf("o%d", i)
		sub := i != 4 // o4 unfollowed: not listed
		if err := s.SeedFan(app, Fan{OpenID: id, Subscribed: sub, Remark: "r"}); err != nil {
			t.Fatal(err)
		}
		if sub {
			want = append(want, id)
		}
	}
	u := sdk(t, s, app).GetUser()

	first, err := u.ListUserOpenIDs()
	if err != nil || first.Total != 7 || first.Count != 3 || first.NextOpenID != "o2" {
		t.Fatalf("page 1: %+v, %v", first, err)
	}
	second, err := u.ListUserOpenIDs(first.NextOpenID)
	if err != nil || !slices.Equal(second.Data.OpenIDs, []string{"o3", "o5", "o6"}) {
		t.Fatalf("page 2: %+v, %v", second, err)
	}
	all, err := u.ListAllUserOpenIDs()
	if err != nil || !slices.Equal(all, want) {
		t.Fatalf("all: %v, %v", all, err)
	}
	last, err := u.ListUserOpenIDs("o7")
	if err != nil || last.Count != 0 || last.NextOpenID != "" {
		t.Fatalf("past the end: %+v, %v", last, err)
	}

	info, err := u.GetUserInfo("o4")
	if err != nil || info.Subscribe != 0 || info.SubscribeTime != 0 {
		t.Fatalf("unsubscribed info: %+v, %v", info, err)
	}
	_, err = u.GetUserInfo("nobody")
	wantErrCode(t, err, 40003)

	list, err := u.BatchGetUserInfo(user.BatchGetUserInfoParams{UserList: []user.BatchGetUserListItem{
		{OpenID: "o0"}, {OpenID: "o4"}}})
	if err != nil || len(list.UserInfoList) != 2 || list.UserInfoList[0].Subscribe != 1 || list.UserInfoList[0].Nickname != "" {
		t.Fatalf("batchget: %+v, %v", list, err)
	}
	_, err = u.BatchGetUserInfo(user.BatchGetUserInfoParams{UserList: []user.BatchGetUserListItem{{OpenID: "o0"}, {OpenID: "x"}}})
	if err == nil {
		t.Fatal("batchget with an unknown openid succeeded")
	}
	tok := fetchToken(t, s, app)
	many := make([]map[string]string, 101)
	for i := range many {
		many[i] = map[string]string{"openid": "o0"}
	}
	wantCode(t, post(t, "/cgi-bin/user/info/batchget", tok, map[string]any{"user_list": many}), 40032)

	if err := u.UpdateRemark("o1", "老客户"); err != nil {
		t.Fatal(err)
	}
	if info, _ := u.GetUserInfo("o1"); info.Remark != "老客户" {
		t.Fatalf("remark: %+v", info)
	}
}
