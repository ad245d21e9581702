package fake

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestTags(t *testing.T) {
	t.Parallel()
	const app = "wx-tags"
	s, _ := newFake(t, Options{}, Account{AppID: app})
	for i := 0; i < 60; i++ {
		if err := s.SeedFan(app, Fan{OpenID: fmt.Sprintf("o%02d", i), Subscribed: true}); err != nil {
			t.Fatal(err)
		}
	}
	users := sdk(t, s, app).GetUser()

	vip, err := users.CreateTag("VIP")
	if err != nil || vip.ID < 100 || vip.Name != "VIP" {
		t.Fatalf("create: %+v, %v", vip, err)
	}
	_, err = users.CreateTag("VIP")
	wantErrCode(t, err, 45157)
	_, err = users.CreateTag(strings.Repeat("标", 11)) // 33 bytes
	wantErrCode(t, err, 45158)

	if err := users.BatchTag([]string{"o00", "o01", "o02"}, vip.ID); err != nil {
		t.Fatalf("batch tag: %v", err)
	}
	var fifty []string
	for i := 0; i < 51; i++ {
		fifty = append(fifty, fmt.Sprintf("o%02d", i))
	}
	wantErrCode(t, users.BatchTag(fifty, vip.ID), 40032)
	wantErrCode(t, users.BatchTag([]string{"stranger"}, vip.ID), 40003)
	wantErrCode(t, users.BatchTag([]string{"o00"}, 4242), 45159)

	ids, err := users.UserTidList("o01")
	if err != nil || !slices.Equal(ids, []int32{vip.ID}) {
		t.Fatalf("getidlist: %v, %v", ids, err)
	}
	list, err := users.OpenIDListByTag(vip.ID)
	if err != nil || list.Count != 3 || !slices.Equal(list.Data.OpenIDs, []string{"o00", "o01", "o02"}) {
		t.Fatalf("user/tag/get: %+v, %v", list, err)
	}
	if err := users.BatchUntag([]string{"o01"}, vip.ID); err != nil {
		t.Fatal(err)
	}
	tags, err := users.GetTag()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, tg := range tags {
		counts[tg.Name] = tg.Count
	}
	if counts["VIP"] != 2 || len(tags) != 2 { // 星标组 + VIP
		t.Fatalf("tags/get: %+v", counts)
	}
	if err := users.UpdateTag(vip.ID, "VVIP"); err != nil {
		t.Fatal(err)
	}
	wantErrCode(t, users.UpdateTag(2, "renamed"), 45058)
	wantErrCode(t, users.DeleteTag(1), 45058)

	// 20 tags per fan: the 21st is refused and nothing changes.
	var made []int32
	for i := 0; i < 20; i++ {
		tg, err := users.CreateTag(fmt.Sprintf("t%d", i))
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, tg.ID)
	}
	for _, id := range made[:19] {
		if err := users.BatchTag([]string{"o00"}, id); err != nil {
			t.Fatalf("tag %d: %v", id, err)
		}
	}
	wantErrCode(t, users.BatchTag([]string{"o05", "o00"}, made[19]), 45059)
	if ids, _ := users.UserTidList("o05"); len(ids) != 0 {
		t.Fatalf("a refused batch still tagged o05: %v", ids)
	}

	// 100 custom tags per account (21 made so far).
	for i := 21; i < 100; i++ {
		if _, err := users.CreateTag(fmt.Sprintf("x%d", i)); err != nil {
			t.Fatalf("tag %d: %v", i, err)
		}
	}
	_, err = users.CreateTag("one too many")
	wantErrCode(t, err, 45056)

	// Deleting a tag removes it from its fans.
	if err := users.DeleteTag(vip.ID); err != nil {
		t.Fatal(err)
	}
	if ids, _ := users.UserTidList("o02"); len(ids) != 0 {
		t.Fatalf("deleted tag still on o02: %v", ids)
	}
}
