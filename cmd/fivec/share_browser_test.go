package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers"
	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// TestShareChainInBrowser: at phone size (390×844) fan A opens a tracked
// article in the sandbox as A's phone and lands on the page under A's own
// link; fan B, who does not follow yet, opens A's link as B's phone, sees
// the account's follow QR code and follows through it (A's referral scene).
// The console (1280 px, and 390 px) shows the share tree A → B, B followed,
// and the share points paid to A once, although B opened it twice.
func TestShareChainInBrowser(t *testing.T) {
	br := browsertest.New(t, 3*time.Minute, chromedp.Flag("lang", "zh-CN"))
	c := newCrawler(t, "sqlite")
	ctx0 := context.Background()
	s := c.a.store
	if _, err := c.a.sandbox.fake.Follow(ctx0, sandboxAppID, "o_br_a", ""); err != nil {
		t.Fatal(err)
	}
	link := &models.ShareLink{Title: "冬季养生指南", TargetURL: c.a.baseURL + "/healthz", Source: "broadcast:1"}
	if err := s.CreateShareLink(ctx0, link); err != nil {
		t.Fatal(err)
	}
	base := c.a.baseURL
	phone := func(openID, next string) string {
		return base + handlers.SandboxAPIPrefix + "/connect/oauth2/phone?openid=" + openID + "&next=" + url.QueryEscape(next)
	}
	root := br.Tab()
	br.Do(root, "start", chromedp.Navigate("about:blank"))

	fanA := br.Session(root)
	br.Do(fanA, "viewport 390", chromedp.EmulateViewport(390, 844))
	br.Do(fanA, "A opens the article", chromedp.Navigate(phone("o_br_a", "/fan/t/"+itoa(link.ID))),
		chromedp.WaitVisible(chromedp.CSS("#share-tip")))
	br.Shot(fanA, "share-page-own-390")
	ownA, err := chromedp.Run(fanA, chromedp.Evaluate[string](`document.querySelector("#share-url").value`))
	if err != nil || !strings.Contains(ownA, "/fan/s/"+itoa(link.ID)+"-") {
		t.Fatalf("A's link: %q %v", ownA, err)
	}
	u, _ := url.Parse(ownA)

	fanB := br.Session(root)
	br.Do(fanB, "viewport 390", chromedp.EmulateViewport(390, 844))
	for range 2 { // twice: one friend, one payment
		br.Do(fanB, "B opens A's link", chromedp.Navigate(phone("o_br_b", u.RequestURI())),
			chromedp.WaitVisible(chromedp.CSS("#share-follow")))
	}
	br.Until(fanB, "the follow QR code", `!!document.querySelector('#follow-qr') && document.querySelector('#follow-qr').naturalWidth > 0`)
	br.Shot(fanB, "share-page-friend-390")
	a, err := s.FindMemberByOpenID(ctx0, "o_br_a")
	if err != nil {
		t.Fatal(err)
	}
	code, err := s.ReferralCode(ctx0, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	// B scans the code on the page: WeChat's follow with A's scene.
	if _, err := c.a.sandbox.fake.Follow(ctx0, sandboxAppID, "o_br_b", models.ReferralScenePrefix+code); err != nil {
		t.Fatal(err)
	}

	staff := zhBrowser(t, br, root, base, models.RoleMarketer)
	br.Do(staff, "viewport 1280", chromedp.EmulateViewport(1280, 900))
	br.Do(staff, "the report", chromedp.Navigate(base+"/console/shares/"+itoa(link.ID)), chromedp.WaitVisible(chromedp.CSS("#share-tree")))
	points := itoa(uint64(roles.DefaultShareRules.Points))
	br.Until(staff, "the tree and the points", `document.querySelector('#node-o_br_a.depth-0') !== null &&
  document.querySelector('#node-o_br_b.depth-1').innerText.includes('打开后关注') &&
  document.querySelector('#node-o_br_b.depth-1').innerText.includes('为分享者带来 `+points+` 积分') &&
  document.querySelector('#stat-points').innerText.trim() === '`+points+`' &&
  document.querySelector('#stat-follows').innerText.trim() === '1'`)
	br.Shot(staff, "share-report-1280")
	br.Do(staff, "viewport 390", chromedp.EmulateViewport(390, 844))
	br.Shot(staff, "share-report-390")
	br.Do(staff, "the list", chromedp.Navigate(base+"/console/shares"), chromedp.WaitVisible(chromedp.CSS("#shares")))
	br.Shot(staff, "shares-list-390")

	if a, err = s.FindMemberByOpenID(ctx0, "o_br_a"); err != nil || a.Points != roles.DefaultShareRules.Points {
		t.Fatalf("A's points: %+v %v", a, err)
	}
}
