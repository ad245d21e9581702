package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestInboxEvents: the stream sends the state at once, then an event for
// each change anywhere (here: a new waiting chat), and keeps the agent present.
func TestInboxEvents(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s)
		ann := d.staff("ann", models.RoleAgent)
		b := d.browser().login("ann")
		if _, err := s.SetAgentStatus(ctx, ann.ID, false, 0); err != nil {
			t.Fatal(err)
		}
		before, _ := s.FindAgentStatus(ctx, ann.ID)
		time.Sleep(5 * time.Millisecond)

		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(sctx, "GET", d.srv.URL+"/console/inbox/events", nil)
		req.AddCookie(&http.Cookie{Name: "fivec_session", Value: b.cookies["fivec_session"]})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		events := make(chan map[string]any, 8)
		go func() {
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					var ev map[string]any
					if json.Unmarshal([]byte(data), &ev) == nil {
						events <- ev
					}
				}
			}
			close(events)
		}()
		next := func() map[string]any {
			t.Helper()
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatal("the stream ended")
				}
				return ev
			case <-time.After(10 * time.Second):
				t.Fatal("no event within 10 s")
			}
			return nil
		}
		first := next()
		if first["waiting"].(float64) != 0 {
			t.Fatalf("first event %v", first)
		}
		after, _ := s.FindAgentStatus(ctx, ann.ID)
		if !after.LastSeenAt.After(before.LastSeenAt) {
			t.Fatalf("no heartbeat: %v then %v", before.LastSeenAt, after.LastSeenAt)
		}
		d.fan("oFanLive", "人工")
		ev := next()
		if ev["waiting"].(float64) != 1 || ev["version"] == first["version"] {
			t.Fatalf("after a new chat: %v (first %v)", ev, first)
		}
		expect(t, b.get("/console/inbox/count"), 200, `"waiting":1`, `"mine":0`)
	})
}

// TestAlertSound: the chime is a valid little WAV served by the console.
func TestAlertSound(t *testing.T) {
	t.Parallel()
	d := newDesk(t, modelstest.MustOpen(t, "sqlite"))
	d.staff("ann", models.RoleAgent)
	r := d.browser().login("ann").get("/console/inbox/alert.wav")
	body := r.Body.Bytes()
	if r.Code != 200 || r.Header().Get("Content-Type") != "audio/wav" || string(body[:4]) != "RIFF" ||
		string(body[8:16]) != "WAVEfmt " || len(body) < 1000 || len(body) > 10000 {
		t.Fatalf("alert.wav: %d %s %d bytes", r.Code, r.Header().Get("Content-Type"), len(body))
	}
}
