package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/fivec/fivec/jobs"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
)

// The care schedule is thin: each run is one roles.Care.Tick (the
// journeys' own tests are in roles/care_tick_test.go). A follow enrols the
// fan on the first run, and a step due three days later is pushed by the
// run at day 3, not the one a minute before.
func TestCareJobRunsTheJourneys(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		start := time.Now().UTC()
		now := start
		s.Now = func() time.Time { return now }
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		if _, err := s.SaveJourney(ctx, 0, models.NewJourney{Name: "三天后", Trigger: models.TriggerFollowed,
			Steps: []models.NewStep{{After: "3d", Reply: models.TextReply("用得还好吗？")}}}); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "f1", OpenID: "cj-tick", MsgType: "event", Event: "subscribe", Subscribe: true}); err != nil {
			t.Fatal(err)
		}
		r := &jobs.Runner{Store: s, Log: log}
		job := r.Care(&roles.Care{Store: s, Log: log, Loc: time.UTC}, 10*time.Second, s.Now)
		if job.Name != "care" || job.Spec != "@every 10s" {
			t.Fatalf("job %q %q", job.Name, job.Spec)
		}
		pushes := func() int {
			j, err := s.ListJourneys(ctx, false)
			if err != nil || len(j) != 1 {
				t.Fatalf("journeys: %v %v", j, err)
			}
			f, err := s.Flow(ctx, &j[0])
			if err != nil {
				t.Fatal(err)
			}
			if f.Entered != 1 {
				t.Fatalf("entered %d, want 1", f.Entered)
			}
			return int(f.Steps[0].Reached)
		}
		for _, tc := range []struct {
			after time.Duration
			want  int
		}{{0, 0}, {3*24*time.Hour - time.Minute, 0}, {3 * 24 * time.Hour, 1}} {
			now = start.Add(tc.after)
			if err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			if got := pushes(); got != tc.want {
				t.Fatalf("at +%s: step reached %d members, want %d", tc.after, got, tc.want)
			}
		}
	})
}
