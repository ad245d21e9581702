package models_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestServiceMetrics(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		loc := time.FixedZone("CST", 8*3600)
		var mu sync.Mutex
		now := time.Date(2030, 5, 1, 10, 0, 0, 0, loc)
		s.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		at := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
		ann, _ := s.CreateStaff(ctx, models.NewStaff{Username: "ann", Password: "correct-horse", Role: models.RoleAgent})

		// chat queues a conversation at q, claimed by ann, first answered
		// after first, resolved after done, rated (0: not rated).
		chat := func(openID string, q time.Time, first, done time.Duration, rating int) {
			t.Helper()
			at(q)
			m, _, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: openID, OpenID: openID, MsgType: "text", Content: "人工"})
			if err != nil {
				t.Fatal(err)
			}
			c, _, err := s.Escalate(ctx, m.MemberID, openID, models.ReasonKeyword)
			if err != nil {
				t.Fatal(err)
			}
			if first < 0 { // resolved while waiting: never assigned
				at(q.Add(done))
				if _, err := s.Resolve(ctx, c.ID, "fan"); err != nil {
					t.Fatal(err)
				}
				return
			}
			if _, err := s.Claim(ctx, c.ID, ann.ID); err != nil {
				t.Fatal(err)
			}
			at(q.Add(first))
			if err := s.NoteAgentReply(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			at(q.Add(done))
			if _, err := s.Resolve(ctx, c.ID, "agent"); err != nil {
				t.Fatal(err)
			}
			if rating > 0 {
				if err := s.MarkSatisfactionAsked(ctx, c.ID); err != nil {
					t.Fatal(err)
				}
				if ok, err := s.RateLastConversation(ctx, m.MemberID, rating, time.Hour); !ok || err != nil {
					t.Fatalf("rate: %v %v", ok, err)
				}
			}
		}
		day1 := time.Date(2030, 5, 1, 9, 0, 0, 0, loc)
		chat("o1", day1, 1*time.Minute, 10*time.Minute, 5)
		chat("o2", day1.Add(time.Hour), 3*time.Minute, 20*time.Minute, 3)
		chat("o3", day1.Add(2*time.Hour), 8*time.Minute, 30*time.Minute, 0)
		// 23:30 on May 1st in Beijing is still May 1st, though UTC says 15:30.
		chat("o4", time.Date(2030, 5, 1, 23, 30, 0, 0, loc), 2*time.Minute, 4*time.Minute, 0)
		chat("o5", time.Date(2030, 5, 2, 8, 0, 0, 0, loc), -1, 5*time.Minute, 0)
		chat("o6", time.Date(2030, 5, 9, 8, 0, 0, 0, loc), time.Minute, time.Minute, 0) // outside

		r, err := s.ServiceMetrics(ctx, time.Date(2030, 5, 1, 0, 0, 0, 0, loc), time.Date(2030, 5, 3, 0, 0, 0, 0, loc), loc)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Days) != 2 || r.Days[0].Day != "2030-05-01" || r.Days[0].AgentID != ann.ID || r.Days[1].AgentID != 0 {
			t.Fatalf("days: %+v", r.Days)
		}
		d := r.Days[0]
		if d.Conversations != 4 || d.Responded != 4 || d.Resolved != 4 || d.Rated != 2 ||
			d.MedianFirstResponse != 150*time.Second || d.AvgFirstResponse != 210*time.Second ||
			d.AvgResolution != 16*time.Minute || d.AvgSatisfaction != 4 {
			t.Fatalf("may 1st: %+v", d)
		}
		if u := r.Days[1]; u.Conversations != 1 || u.Responded != 0 || u.Resolved != 1 || u.AvgResolution != 5*time.Minute {
			t.Fatalf("unassigned: %+v", u)
		}
		if r.Total.Conversations != 5 || len(r.Agents) != 2 || r.Agents[1].Conversations != 4 {
			t.Fatalf("totals: %+v agents %+v", r.Total, r.Agents)
		}
		// Read page by page (2 rows a page, and 5: one full page, then an
		// empty one), the report is the same: no conversation is left out.
		for _, page := range []int{2, 5} {
			models.SetReportPage(s, page)
			paged, err := s.ServiceMetrics(ctx, time.Date(2030, 5, 1, 0, 0, 0, 0, loc), time.Date(2030, 5, 3, 0, 0, 0, 0, loc), loc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(paged, r) {
				t.Fatalf("%d a page: %+v, want %+v", page, paged, r)
			}
		}
		models.SetReportPage(s, 0)
		if _, err := s.ServiceMetrics(ctx, day1, day1, loc); models.ErrorCode(err) != models.EINVALID {
			t.Fatalf("empty period: %v", err)
		}
	})
}
