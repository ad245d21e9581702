package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fivec/fivec/handlers/browsertest"
	"github.com/fivec/fivec/models"
)

// The README's care promise against the real wiring: a journey "on follow:
// a day-0 tip, then a later step"; a sandbox fan follows and the tip lands
// on their phone through the care job and the delivery engine.
func TestSandboxCareJourneyReachesThePhone(t *testing.T) {
	// Quiet hours from 00:00 to 00:00 are none, whatever time the test runs.
	a, _ := startApp(t, map[string]string{"FIVEC_CARE_INTERVAL": "1s", "FIVEC_QUIET_HOURS": "00:00-00:00"})
	ctx := context.Background()
	j, err := a.store.SaveJourney(ctx, 0, models.NewJourney{Name: "新人关怀", Trigger: models.TriggerFollowed, Steps: []models.NewStep{
		{After: "0", Reply: models.TextReply("小贴士：回复“签到”每天领积分")},
		{After: "3d", Reply: models.TextReply("三天了，会员卡用得怎么样？")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.sandbox.fake.Follow(ctx, sandboxAppID, "o_care_fan", ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var texts []string
		for _, d := range a.sandbox.fake.Inbox(sandboxAppID, "o_care_fan") {
			texts = append(texts, d.Text)
		}
		if strings.Contains(strings.Join(texts, "\n"), "小贴士") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the day-0 tip never reached the phone; it shows %q", texts)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The phone shows the tip as soon as WeChat has it; the delivery engine
	// marks it sent once the API call has returned, a moment later (longer
	// now that the sandbox's fake saves its state before answering).
	for {
		f, err := a.store.Flow(ctx, j)
		if err == nil && f.Entered == 1 && f.Steps[0].Sent == 1 && f.Steps[1].Waiting == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("flow: %+v %v", f, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCareJourneyInBrowser is the same as a marketer in a real browser: write
// the journey in the editor, follow as a sandbox fan, see the tip on the
// phone and the member in the flow view. FIVEC_SCREENSHOTS=<dir> keeps
// screenshots.
func TestCareJourneyInBrowser(t *testing.T) {
	br := browsertest.New(t, 90*time.Second)
	_, base := startApp(t, map[string]string{"FIVEC_CARE_INTERVAL": "1s", "FIVEC_QUIET_HOURS": "00:00-00:00"})
	ctx := br.Tab()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	br.Do(ctx, "log in", chromedp.Navigate(base+"/console/login"), chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "admin"), chromedp.SendKeys(css("#password"), "violet-harbour-42"),
		chromedp.Click(css("#login")), chromedp.WaitNotPresent(css("#login")))
	br.Do(ctx, "new journey", chromedp.Navigate(base+"/console/journeys"), chromedp.WaitVisible(css("#new-journey")),
		chromedp.Click(css("#new-journey")), chromedp.WaitVisible(css("#journey-form")),
		chromedp.SendKeys(css("#journey-name"), "新人关怀"),
		chromedp.SetValue(css("#journey-goal"), "redeemed"),
		chromedp.SendKeys(css(`textarea[name="step.0.text"]`), "小贴士：回复“签到”每天领积分"),
		chromedp.SendKeys(css(`textarea[name="step.1.text"]`), "三天了，会员卡用得怎么样？"),
		chromedp.SendKeys(css(`input[name="step.1.tags_none"]`), "vip"))
	br.Shot(ctx, "care-editor")
	br.Do(ctx, "save", chromedp.Click(css("#journey-save")), chromedp.WaitVisible(css("#flow")))
	br.Do(ctx, "simulator", chromedp.Navigate(base+"/console/simulator"), chromedp.WaitVisible(css("#new-fan")),
		chromedp.Click(css("#new-fan button")), chromedp.WaitVisible(css("#follow")),
		chromedp.Click(css("#follow")), chromedp.WaitVisible(css("#unfollow")))
	br.Until(ctx, "the tip on the phone", `document.querySelector('#inbox').innerText.includes("小贴士")`)
	br.Shot(ctx, "care-phone")
	br.Do(ctx, "flow view", chromedp.Navigate(base+"/console/journeys"), chromedp.WaitVisible(css("#journeys")),
		chromedp.Click(css("#journeys a")), chromedp.WaitVisible(css("#flow")))
	got, err := chromedp.Run(ctx, chromedp.Text(css("#flow")))
	if err != nil || !strings.Contains(got, "已送达") || !strings.Contains(got, "三天了") {
		t.Fatalf("flow view: %q %v", got, err)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Text(css("#flow-entered"))); n != "1" {
		t.Fatalf("entered %q, want 1", n)
	}
	br.Shot(ctx, "care-flow")
}
