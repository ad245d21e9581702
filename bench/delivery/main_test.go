package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/fivec/fivec/models/modelstest"
)

// TestSmallRunCountsEveryRecipient runs the whole program small: the real
// binary, a kill in the middle, and the counts from the fake.
func TestSmallRunCountsEveryRecipient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs fivec: not in -short")
	}
	bin := filepath.Join(t.TempDir(), "fivec")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/fivec").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, driver := range modelstest.Drivers() {
		t.Run(driver, func(t *testing.T) {
			o := options{members: 3000, deliver: 2000, rate: 400, senders: 8, workers: 1, unfollowed: 0.01, writers: 0.1,
				killAt: 0.5, lease: 2 * time.Second, fivecBin: bin, plan: true, timeout: 2 * time.Minute}
			if driver == "mysql" {
				_, o.mysqlDSN = modelstest.DSN(t, driver)
			}
			ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
			defer cancel()
			r, err := run(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if !r.killed || r.duplicates != 0 || r.lost != 0 || r.extraFans != 0 {
				t.Fatalf("killed %v, duplicates %d, lost %d, reached unplanned %d", r.killed, r.duplicates, r.lost, r.extraFans)
			}
			if r.delivered+r.unknown-r.unknownDelivered != 1980 || r.progress["skipped"] != 20 {
				t.Fatalf("reached %d, unknown %d (%d delivered), states %v", r.delivered, r.unknown, r.unknownDelivered, r.progress)
			}
			if r.planIDsPlan.Duplicates != 1000 || len(r.planIDsPlan.Unknown) != 2 || r.planSegPlan.Skipped != 30 {
				t.Fatalf("plans: %+v %+v", r.planIDsPlan, r.planSegPlan)
			}
			if r.rateSends == 0 || r.rateWindow <= 0 || r.custom == 0 || r.template == 0 {
				t.Fatalf("rate %d sends in %s; %d custom, %d template", r.rateSends, r.rateWindow, r.custom, r.template)
			}
		})
	}
}
