package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
)

// TestDataRightsInBrowser: an admin in zh-CN Chromium, at 1280 px and at
// 390 px, blacklists a fan from the member page ("cancel" first: nothing
// happens; then OK: the badge shows, WeChat's blacklist too) and takes them
// off again; downloads a fan's export from the member page (CSV and JSON hold
// the fan's texts and profile), types a wrong openid into the erase box
// (refused in Chinese, nothing erased), answers "cancel" to the question
// (nothing erased), then erases: the members list says so and no longer
// shows the fan or their texts.
func TestDataRightsInBrowser(t *testing.T) {
	br := browsertest.New(t, 3*time.Minute, chromedp.Flag("lang", "zh-CN"))
	c := newCrawler(t, "sqlite")
	s := c.a.store
	ctx0 := context.Background()
	for i := range 2 {
		openID := fmt.Sprintf("oRightsBrowser%d", i)
		msg, m, _, err := s.RecordInbound(ctx0, models.Inbound{DedupeKey: openID, OpenID: openID, MsgType: "text", Content: "我的电话是13712345678"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishInbound(ctx0, msg.ID, models.Answer{State: models.StateReplied, Replies: []models.Reply{models.TextReply("收到，王五")}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveProfile(ctx0, m.ID, models.ProfileInput{Name: "王五", Region: "杭州", Consent: true}); err != nil {
			t.Fatal(err)
		}
		if err := s.TagMember(ctx0, m.ID, "老客户"); err != nil {
			t.Fatal(err)
		}
	}
	// A fan who follows on the sandbox's WeChat, so its blacklist knows them.
	if _, err := c.a.sandbox.fake.Follow(ctx0, sandboxAppID, "oRightsBlk", ""); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := s.FindMemberByOpenID(ctx0, "oRightsBlk"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the follow never arrived: %v", err)
		}
	}
	base := c.a.baseURL
	root := br.Tab()
	br.Do(root, "start", chromedp.Navigate("about:blank"))
	ctx := zhBrowser(t, br, root, base, models.RoleAdmin)
	fetch := func(sel string) string {
		js := `(() => { const x = new XMLHttpRequest(); x.open('GET', document.querySelector('` + sel + `').href, false); x.send(); return x.status + '\n' + x.responseText; })()`
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("download %s: %v", sel, err)
		}
		return out
	}
	text := func(sel string) string {
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('`+sel+`') || {}).innerText || ''`))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	blacklisted := func() bool {
		m, err := s.FindMemberByOpenID(ctx0, "oRightsBlk")
		return err == nil && m.Blacklisted
	}
	for _, w := range []int64{1280, 390} {
		name := fmt.Sprint(w)
		page := base + "/console/members/oRightsBlk"
		br.Do(ctx, name+": open the fan to blacklist", chromedp.EmulateViewport(w, 900), chromedp.Navigate(page),
			chromedp.WaitVisible(chromedp.CSS("#blacklist-button")))
		br.Do(ctx, name+": blacklist, answer no", evalVoid(stubConfirm(false)), chromedp.Click(chromedp.CSS("#blacklist-button")),
			chromedp.Sleep(500*time.Millisecond))
		raw, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.__asked || [])`))
		if !strings.Contains(raw, "确定把这位粉丝加入公众号黑名单吗？") || blacklisted() {
			t.Fatalf("%s: asked %s; blacklisted anyway: %v", name, raw, blacklisted())
		}
		br.Do(ctx, name+": blacklist, answer yes", evalVoid(stubConfirm(true)), chromedp.Click(chromedp.CSS("#blacklist-button")),
			chromedp.WaitVisible(chromedp.CSS("#member-blacklisted")))
		if f := text(".notice.ok"); !strings.Contains(f, "已拉黑") || !blacklisted() {
			t.Errorf("%s: notice %q, blacklisted %v", name, f, blacklisted())
		}
		br.Do(ctx, name+": scroll to the blacklist", chromedp.ScrollIntoView(chromedp.CSS("#blacklist")))
		br.Shot(ctx, "rights-blacklisted-"+name)
		br.Do(ctx, name+": un-blacklist", evalVoid(stubConfirm(true)), chromedp.Click(chromedp.CSS("#unblacklist-button")),
			chromedp.WaitVisible(chromedp.CSS("#blacklist-button")))
		if blacklisted() {
			t.Errorf("%s: still blacklisted", name)
		}
	}
	for i, w := range []int64{1280, 390} {
		openID := fmt.Sprintf("oRightsBrowser%d", i)
		page := base + "/console/members/" + openID
		name := fmt.Sprint(w)
		br.Do(ctx, name+": open the member", chromedp.EmulateViewport(w, 900), chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#data-rights")))
		if h := text("#data-rights h2"); h != "数据权利（查阅与删除）" {
			t.Errorf("%s: card title %q", name, h)
		}
		csv := fetch("#export-csv")
		if !strings.HasPrefix(csv, "200\n") || !strings.Contains(csv, "我的电话是13712345678") || !strings.Contains(csv, "profile,"+openID+",,name,王五") {
			t.Fatalf("%s: CSV export:\n%s", name, csv)
		}
		js := fetch("#export-json")
		var x struct {
			OpenID   string `json:"openid"`
			Tags     []string
			Messages []struct{ Content string }
		}
		if !strings.HasPrefix(js, "200\n") || json.Unmarshal([]byte(strings.TrimPrefix(js, "200\n")), &x) != nil ||
			x.OpenID != openID || len(x.Tags) != 1 || len(x.Messages) != 1 {
			t.Fatalf("%s: JSON export:\n%s", name, js)
		}
		br.Do(ctx, name+": scroll to the card", chromedp.ScrollIntoView(chromedp.CSS("#erase-form")))
		br.Shot(ctx, "rights-member-"+name)

		// A wrong openid: refused in words, nothing erased.
		br.Do(ctx, name+": type a wrong openid", evalVoid(stubConfirm(true)), chromedp.SendKeys(chromedp.CSS("#erase-confirm"), "oRightsBrowser"),
			chromedp.Click(chromedp.CSS("#erase-button")), chromedp.WaitVisible(chromedp.CSS("#erase-form .field-error")))
		if e := text("#erase-form .field-error"); !strings.Contains(e, "输入的 OpenID 与这位会员不一致，没有删除任何数据") {
			t.Errorf("%s: the refusal says %q", name, e)
		}
		br.Do(ctx, name+": scroll to the refusal", chromedp.ScrollIntoView(chromedp.CSS("#erase-form")))
		br.Shot(ctx, "rights-refused-"+name)
		if _, err := s.FindMemberByOpenID(ctx0, openID); err != nil {
			t.Fatalf("%s: a refused erase erased: %v", name, err)
		}

		// The right openid, then "cancel": nothing happens.
		br.Do(ctx, name+": reopen", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#erase-form")))
		br.Do(ctx, name+": answer no", evalVoid(stubConfirm(false)), chromedp.SendKeys(chromedp.CSS("#erase-confirm"), openID),
			chromedp.Click(chromedp.CSS("#erase-button")), chromedp.Sleep(500*time.Millisecond))
		raw, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.__asked || [])`))
		if !strings.Contains(raw, "确定删除并匿名化这位会员吗？") {
			t.Errorf("%s: asked %s", name, raw)
		}
		if _, err := s.FindMemberByOpenID(ctx0, openID); err != nil {
			t.Fatalf("%s: erased although the answer was no: %v", name, err)
		}

		// "OK": erased.
		br.Do(ctx, name+": answer yes", evalVoid(stubConfirm(true)), chromedp.Click(chromedp.CSS("#erase-button")),
			chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
		if f := text(".notice.ok"); !strings.Contains(f, "会员已匿名化") {
			t.Errorf("%s: notice %q", name, f)
		}
		body := text("main")
		if strings.Contains(body, openID) {
			t.Errorf("%s: the members list still shows the fan", name)
		}
		br.Shot(ctx, "rights-erased-"+name)
		if _, err := s.FindMemberByOpenID(ctx0, openID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("%s: not erased: %v", name, err)
		}
	}
}
