package main

import (
	"context"
	"strings"
	"testing"
	"time"

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
	f, err := a.store.Flow(ctx, j)
	if err != nil || f.Entered != 1 || f.Steps[0].Sent != 1 || f.Steps[1].Waiting != 1 {
		t.Fatalf("flow: %+v %v", f, err)
	}
}
