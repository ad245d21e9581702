package roles_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
	"github.com/fivec/fivec/wechat/fake"
)

// TestCenterRecordsMassJobFinish: WeChat's MASSSENDJOBFINISH for a job
// fivec sent lands on the run's mass job; the event's sender (mphelper) is
// not made a member, so it never joins an audience.
func TestCenterRecordsMassJobFinish(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		e := newEnv(t, s, false, &roles.Center{Store: s, Log: log})
		e.Follow("fanM1")
		e.Follow("fanM2")
		pol := models.BroadcastPolicy{Loc: time.UTC}
		b, err := s.SaveBroadcast(ctx, 0, models.BroadcastInput{Name: "群发", Kind: "text", Text: "x", Audience: "openids",
			OpenIDs: []string{"fanM1", "fanM2"}}, 1, pol)
		if err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		if _, err := s.ScheduleBroadcast(ctx, b.ID, models.BroadcastSchedule{At: &at}, &models.Staff{ID: 1, Role: models.RoleAdmin}, pol); err != nil {
			t.Fatal(err)
		}
		s.StartDueBroadcasts(ctx, pol)
		s.PlanMassRuns(ctx, models.MassRules{Policy: pol})
		j, _ := s.ClaimMassJob(ctx, time.Minute)
		if err := s.FinishMassJob(ctx, j, models.MassOutcome{MsgID: 4242, Status: "SUBMITTED"}); err != nil {
			t.Fatal(err)
		}
		rec, _ := e.Post(fake.CallbackMessage{FromUserName: "mphelper", CreateTime: time.Now().Unix(), MsgType: "event", Event: "MASSSENDJOBFINISH",
			JobMsgID: 4242, Status: "err(30003)", TotalCount: 2, FilterCount: 2, ErrorCount: 2})
		if rec.Code != 200 || rec.Body.String() != "success" {
			t.Fatalf("callback: %d %q", rec.Code, rec.Body.String())
		}
		jobs, _ := s.MassJobs(ctx, j.PushID)
		if jobs[0].Status != "err(30003)" || jobs[0].TotalCount != 2 || jobs[0].ErrorCount != 2 {
			t.Fatalf("job after the event: %+v", jobs[0])
		}
		runs, _ := s.BroadcastRuns(ctx, b.ID)
		if rep, _ := s.RunReport(ctx, &runs[0]); rep.ByErrCode[30003] != 2 {
			t.Fatalf("report: %+v", rep)
		}
		if _, err := s.FindMemberByOpenID(ctx, "mphelper"); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("mphelper became a member: %v", err)
		}
	})
}
