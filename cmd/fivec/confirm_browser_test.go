package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
)

// stubConfirm replaces window.confirm with one that records the question
// and answers yes or no, so the test reads what staff would be asked.
func stubConfirm(yes bool) string {
	return `(() => { window.__asked = window.__asked || []; window.confirm = q => { window.__asked.push(q); return ` +
		map[bool]string{true: "true", false: "false"}[yes] + `; }; return true; })()`
}

// TestDestructiveActionsAskFirst clicks every destructive button the
// console offers in Chromium (zh-CN): disabling staff, revoking an API
// token, publishing the menu (1280 px), deleting a canned reply, cancelling
// and deleting a broadcast, deleting a rule (390 px). Each asks a Chinese
// question saying what happens; "cancel" leaves everything as it was, "OK"
// does it.
func TestDestructiveActionsAskFirst(t *testing.T) {
	br := browsertest.New(t, 3*time.Minute, chromedp.Flag("lang", "zh-CN"))
	c := newCrawler(t, "sqlite")
	sd := seedZH(t, c)
	ctx0 := context.Background()
	s := c.a.store
	zhou, err := s.CreateStaff(ctx0, models.NewStaff{Username: "zhou", Password: "violet-harbour-42", Role: models.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	draft, err := s.SaveBroadcast(ctx0, 0, models.BroadcastInput{Name: "草稿群发", Kind: models.BroadcastText, Text: "试试",
		Audience: models.AudienceAll}, c.staff[models.RoleMarketer].ID, models.BroadcastPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	base := c.a.baseURL
	root := br.Tab()
	br.Do(root, "start", chromedp.Navigate("about:blank"))

	type step struct {
		name, role, page, button string
		width                    int64
		question                 string
		done                     func() bool // the action happened
	}
	staffDisabled := func() bool { st, err := s.FindStaff(ctx0, zhou.ID); return err == nil && st.Disabled }
	bcState := func(id uint64, state string) func() bool {
		return func() bool { b, err := s.FindBroadcast(ctx0, id); return err == nil && b.State == state }
	}
	steps := []step{
		{"disable staff", models.RoleAdmin, "/console/staff", "#staff-" + itoa(zhou.ID) + ` form[action$="/disable"] button`, 1280,
			"确定停用员工「zhou」吗？", staffDisabled},
		{"revoke token", models.RoleAdmin, "/console/tokens", `#tokens form[action$="/delete"] button`, 1280,
			"确定吊销令牌「crawler」吗？", nil},
		{"publish menu", models.RoleAdmin, "/console/menu", "#publish-menu", 1280, "确定发布菜单吗？", nil},
		{"delete canned reply", models.RoleAgent, "/console/canned", `#canned form[action$="/delete"] button`, 390,
			"确定删除这条快捷回复吗？", nil},
		{"cancel broadcast", models.RoleMarketer, "/console/broadcasts/" + itoa(draft.ID), "#bc-cancel", 390,
			"确定取消群发「草稿群发」吗？", bcState(draft.ID, models.BroadcastCancelled)},
		{"delete broadcast", models.RoleMarketer, "/console/broadcasts/" + itoa(draft.ID), "#bc-delete", 390,
			"确定删除群发「草稿群发」吗？", func() bool {
				_, err := s.FindBroadcast(ctx0, draft.ID)
				return models.ErrorCode(err) == models.ENOTFOUND
			}},
		{"delete material", models.RoleMarketer, "/console/media", "#material-" + itoa(sd.material) + " .media-delete button", 390,
			"确定删除素材「新品海报.png」吗？微信上的这个素材也会被删除，使用它的规则回复和群发将无法发送，此操作不能撤销。", func() bool {
				_, err := s.Material(ctx0, sd.material)
				return models.ErrorCode(err) == models.ENOTFOUND
			}},
		{"delete rule", models.RoleMarketer, "/console/rules/" + sd.params["/console/rules/:id"], "#delete-rule", 390,
			"确定删除这条规则吗？", nil},
	}
	sessions := map[string]context.Context{}
	for _, st := range steps {
		ctx, ok := sessions[st.role]
		if !ok {
			ctx = zhBrowser(t, br, root, base, st.role)
			sessions[st.role] = ctx
		}
		url := base + st.page
		br.Do(ctx, st.name+": open", chromedp.EmulateViewport(st.width, 900), chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS(st.button)))
		if st.name == "delete rule" {
			br.Do(ctx, "open the danger zone", chromedp.Click(chromedp.CSS("details.danger-zone summary")), chromedp.WaitVisible(chromedp.CSS(st.button)))
		}
		// "Cancel": nothing happens.
		br.Do(ctx, st.name+": answer no", evalVoid(stubConfirm(false)), chromedp.Click(chromedp.CSS(st.button)), chromedp.Sleep(500*time.Millisecond))
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.__asked || [])`))
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		var asked []string
		_ = json.Unmarshal([]byte(raw), &asked)
		if len(asked) != 1 || !strings.HasPrefix(asked[0], st.question) {
			t.Errorf("%s: asked %q, want a question starting %q", st.name, asked, st.question)
		}
		if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != url {
			t.Errorf("%s: answering no still left the page for %s", st.name, loc)
		}
		if st.done != nil && st.done() {
			t.Errorf("%s: happened although the answer was no", st.name)
		}
		br.Shot(ctx, "confirm-"+strings.ReplaceAll(st.name, " ", "-"))
		// "OK": it happens.
		br.Do(ctx, st.name+": answer yes", evalVoid(stubConfirm(true)), chromedp.Click(chromedp.CSS(st.button)))
		left := false
		for deadline := time.Now().Add(10 * time.Second); !left && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			loc, err := chromedp.Run(ctx, chromedp.Location())
			left = err == nil && loc != url
		}
		if !left {
			t.Fatalf("%s: answering yes did not submit", st.name)
		}
		br.Do(ctx, st.name+": next page", chromedp.WaitReady(chromedp.CSS("#account")))
		if st.done != nil && !st.done() {
			t.Errorf("%s: did not happen after yes", st.name)
		}
	}
}

// evalVoid runs a script as a step of Do.
func evalVoid(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](js)(ctx, t)
		return err
	})
}
