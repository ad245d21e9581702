package main

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// TestShareChainInBrowser: in the simulator at phone size (390×844) fan A
// opens a tracked article inside the phone and lands on the page under A's
// own link; A "shares" it to fan B (the simulator's 分享给), who does not
// follow yet: B's phone opens the link A's share card carries, shows the
// account's follow QR code, and B follows through it (A's referral scene).
// B opens it once more. The console (1280 px, and 390 px) shows the share
// tree A → B, B followed, and the share points paid to A once.
func TestShareChainInBrowser(t *testing.T) {
	br := browsertest.New(t, 3*time.Minute, chromedp.Flag("lang", "zh-CN"))
	c := newCrawler(t, "sqlite")
	ctx0 := context.Background()
	s := c.a.store
	if _, err := c.a.sandbox.fake.Follow(ctx0, sandboxAppID, "o_br_a", ""); err != nil {
		t.Fatal(err)
	}
	// B is a WeChat user the account does not know yet.
	if err := c.a.sandbox.fake.SeedFan(sandboxAppID, fake.Fan{OpenID: "o_br_b"}); err != nil {
		t.Fatal(err)
	}
	link := &models.ShareLink{Title: "冬季养生指南", TargetURL: c.a.baseURL + "/healthz", Source: "broadcast:1"}
	if err := s.CreateShareLink(ctx0, link); err != nil {
		t.Fatal(err)
	}
	base := c.a.baseURL
	root := br.Tab()
	br.Do(root, "start", chromedp.Navigate("about:blank"))
	staff := zhBrowser(t, br, root, base, models.RoleMarketer)

	br.Do(staff, "viewport 390", chromedp.EmulateViewport(390, 844))
	br.Do(staff, "A opens the article in the phone",
		chromedp.Navigate(base+"/console/simulator?openid=o_br_a&page="+url.QueryEscape("/fan/t/"+itoa(link.ID))),
		chromedp.WaitVisible(chromedp.CSS("#phone-web-frame")))
	br.Until(staff, "A's own page", inPhone(`!!d.querySelector('#share-tip') && d.querySelector('#share-url').value.includes('/fan/s/`+itoa(link.ID)+`-')`))
	br.Shot(staff, "share-sim-own-390")
	for range 2 { // B opens it twice: one friend, one payment
		br.Do(staff, "A shares to B", chromedp.WaitVisible(chromedp.CSS("#sim-share-send")),
			chromedp.SetValue(chromedp.CSS("#sim-share-to"), "o_br_b"), chromedp.Click(chromedp.CSS("#sim-share-send")), chromedp.Sleep(700*time.Millisecond), chromedp.WaitVisible(chromedp.CSS("#phone-web-frame")))
		br.Until(staff, "B's phone shows A's link", `location.search.includes('openid=o_br_b') && decodeURIComponent(location.search).includes('/fan/s/`+itoa(link.ID)+`-')`)
		br.Until(staff, "the follow QR code", inPhone(`!!d.querySelector('#share-follow') && d.querySelector('#follow-qr').naturalWidth > 0`))
		br.Do(staff, "back to A", chromedp.Navigate(base+"/console/simulator?openid=o_br_a&page="+url.QueryEscape("/fan/t/"+itoa(link.ID))),
			chromedp.WaitVisible(chromedp.CSS("#phone-web-frame")))
		br.Until(staff, "A's page again", inPhone(`!!d.querySelector('#share-tip')`))
	}
	br.Do(staff, "A shares to B once more", chromedp.SetValue(chromedp.CSS("#sim-share-to"), "o_br_b"), chromedp.Click(chromedp.CSS("#sim-share-send")), chromedp.Sleep(700*time.Millisecond), chromedp.WaitVisible(chromedp.CSS("#phone-web-frame")))
	br.Until(staff, "B's page", inPhone(`!!d.querySelector('#share-follow')`))
	br.Shot(staff, "share-sim-friend-390")
	br.Do(staff, "viewport 1280", chromedp.EmulateViewport(1280, 900))
	br.Shot(staff, "share-sim-friend-1280")
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
