package console_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestDisabledStaffStreamEnds: an agent's live inbox stream ends within a
// poll of an admin disabling the account (before: it ran on for up to
// 10 minutes), and likewise when the agent is moved to a role without
// the inbox.
func TestDisabledStaffStreamEnds(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s)
		alex := d.staff("alex", models.RoleAgent)
		mia := d.staff("mia", models.RoleAgent)
		d.staff("root", models.RoleAdmin)
		open := func(b *browser) <-chan struct{} {
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			t.Cleanup(cancel)
			req, _ := http.NewRequestWithContext(sctx, "GET", d.srv.URL+"/console/inbox/events", nil)
			req.AddCookie(&http.Cookie{Name: "fivec_session", Value: b.cookies["fivec_session"]})
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("stream: %v %v", res, err)
			}
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() && sc.Text() != "event: inbox" { // the stream is up once it sent the state
			}
			ended := make(chan struct{})
			go func() {
				defer close(ended)
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}()
			return ended
		}
		waitEnd := func(ended <-chan struct{}, what string) {
			t.Helper()
			select {
			case <-ended:
			case <-time.After(10 * time.Second): // one poll is 1.5 s
				t.Fatalf("%s: the stream still runs", what)
			}
		}

		ended := open(d.browser().login("alex"))
		off := true
		if _, err := s.UpdateStaff(ctx, alex.ID, models.StaffUpdate{Disabled: &off}); err != nil {
			t.Fatal(err)
		}
		waitEnd(ended, "disabled")

		ended = open(d.browser().login("mia"))
		marketer := models.RoleMarketer
		if _, err := s.UpdateStaff(ctx, mia.ID, models.StaffUpdate{Role: &marketer}); err != nil {
			t.Fatal(err)
		}
		waitEnd(ended, "role changed")
	})
}

// TestSessionAbsoluteMaximum: a session used every few hours slides past
// its 12 h idle limit, but not past 7 days after login (before: it slid
// forever); a configured maximum is enforced the same way.
func TestSessionAbsoluteMaximum(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := newApp(t, s, false)
		s.Now = a.clock
		a.staff("ann", models.RoleAdmin)
		b := a.browser().login("ann")
		for used := time.Duration(0); used+11*time.Hour < models.DefaultSessionMaxAge; used += 11 * time.Hour {
			a.advance(11 * time.Hour)
			expect(t, b.get("/console/members"), 200)
		}
		a.advance(11 * time.Hour) // past 7 days after login, 11 h after the last use
		r := b.get("/console/members")
		expect(t, r, 303)
		if loc := r.Header().Get("Location"); loc != "/console/login?next=%2Fconsole%2Fmembers" {
			t.Fatalf("Location %q", loc)
		}

		s.SessionMaxAge = 24 * time.Hour
		c := a.browser().login("ann")
		a.advance(11 * time.Hour)
		expect(t, c.get("/console/members"), 200)
		a.advance(11 * time.Hour)
		expect(t, c.get("/console/members"), 200)
		a.advance(2*time.Hour + time.Second)
		expect(t, c.get("/console/members"), 303)
	})
}
