package models

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// AfterSend is how long after a message reached a fan an unfollow or a
// reply counts for it.
const AfterSend = 24 * time.Hour

// ContentRow is one push name of one kind (a broadcast, a journey step,
// a draw notice) over the period's pushes with that name.
type ContentRow struct {
	Kind, Name string
	Pushes     int64
	Recipients int64
	Sent       int64 // reached: WeChat accepted the message
	Failed     int64
	Skipped    int64 // not sent: unfollowed, unreachable, capped, cancelled
	Pending    int64 // queued or being sent
	Unknown    int64 // a crash left the outcome unknown
	// Unfollows: fans reached who unfollowed within AfterSend.
	Unfollows int64
	// Responded: fans reached who wrote or clicked the menu within AfterSend
	// (WeChat reports no link clicks inside messages; this is the nearest
	// signal it gives).
	Responded int64
}

// SendHour is one hour of the day (account time zone) at which messages
// reached fans, and how they answered.
type SendHour struct {
	Hour      int
	Sent      int64
	Responded int64
	Unfollows int64
}

// ContentReport is the Content tab.
type ContentReport struct {
	Period Period
	Rows   []ContentRow // by kind, then name
	Hours  []SendHour   // 0-23
	// BestHours are the best send times: the hours with the highest
	// response rate among those with at least MinSendsForBest messages,
	// at most 5, best first.
	BestHours []SendHour
}

// MinSendsForBest is how many messages an hour needs before it can be the
// best send time (fewer is noise).
const MinSendsForBest = 20

// Content reports per push kind and name the pushes scheduled in the
// period: reached, failed, skipped, unfollows and responses after; and the
// send hours. It reads pushes and recipients only, so every kind of push
// (broadcasts, care journeys, draws) appears without code of its own.
func (s *Store) Content(ctx context.Context, p Period) (*ContentReport, error) {
	r := &ContentReport{Period: p}
	state := func(name string, states ...string) string {
		return fmt.Sprintf(", SUM(CASE WHEN r.state IN ('%s') THEN 1 ELSE 0 END) AS %s", strings.Join(states, "', '"), name)
	}
	after := func(cond string) string {
		return "EXISTS (SELECT 1 FROM messages a WHERE a.open_id = r.open_id AND a.direction = 'in' AND " + cond +
			" AND " + s.within("a.created_at", "r.sent_at", AfterSend) + ")"
	}
	unfollowed := after("a.event = 'unsubscribe'")
	responded := after("(a.msg_type <> 'event' OR a.event IN ('CLICK', 'VIEW'))")
	sel := "p.kind, p.name, COUNT(DISTINCT p.id) AS pushes, COUNT(r.id) AS recipients" +
		state("sent", RcptSent) + state("failed", RcptFailed) + state("skipped", RcptSkipped) +
		state("pending", RcptQueued, RcptClaimed, RcptSending) + state("unknown", RcptUnknown) +
		", SUM(CASE WHEN r.state = 'sent' AND " + unfollowed + " THEN 1 ELSE 0 END) AS unfollows" +
		", SUM(CASE WHEN r.state = 'sent' AND " + responded + " THEN 1 ELSE 0 END) AS responded"
	err := s.db.WithContext(ctx).Raw("SELECT "+sel+" FROM pushes p LEFT JOIN recipients r ON r.push_id = p.id"+
		" WHERE p.scheduled_at >= ? AND p.scheduled_at < ? GROUP BY p.kind, p.name", p.From.UTC(), p.To.UTC()).
		Scan(&r.Rows).Error
	if err != nil {
		return nil, translate("content report", err)
	}
	sort.Slice(r.Rows, func(i, j int) bool {
		if r.Rows[i].Kind != r.Rows[j].Kind {
			return r.Rows[i].Kind < r.Rows[j].Kind
		}
		return r.Rows[i].Name < r.Rows[j].Name
	})
	// Hours of the day in the zone's offset at the period's end (a zone
	// with daylight saving may shift a season's hours by one).
	_, off := p.To.Add(-time.Second).Zone()
	var hours []struct {
		Hour                       string
		Sent, Responded, Unfollows int64
	}
	err = s.db.WithContext(ctx).Raw("SELECT "+s.localFormat("r.sent_at", "%H", off)+" AS hour, COUNT(*) AS sent"+
		", SUM(CASE WHEN "+responded+" THEN 1 ELSE 0 END) AS responded"+
		", SUM(CASE WHEN "+unfollowed+" THEN 1 ELSE 0 END) AS unfollows"+
		" FROM pushes p JOIN recipients r ON r.push_id = p.id"+
		" WHERE p.scheduled_at >= ? AND p.scheduled_at < ? AND r.state = 'sent' AND r.sent_at IS NOT NULL GROUP BY hour",
		p.From.UTC(), p.To.UTC()).Scan(&hours).Error
	if err != nil {
		return nil, translate("send hours", err)
	}
	r.Hours = make([]SendHour, 24)
	for h := range r.Hours {
		r.Hours[h].Hour = h
	}
	for _, row := range hours {
		var h int
		if _, err := fmt.Sscanf(row.Hour, "%d", &h); err != nil || h < 0 || h > 23 {
			continue
		}
		r.Hours[h] = SendHour{Hour: h, Sent: row.Sent, Responded: row.Responded, Unfollows: row.Unfollows}
	}
	for _, h := range r.Hours {
		if h.Sent >= MinSendsForBest {
			r.BestHours = append(r.BestHours, h)
		}
	}
	sort.SliceStable(r.BestHours, func(i, j int) bool {
		a, b := r.BestHours[i], r.BestHours[j]
		if ra, rb := a.Responded*b.Sent, b.Responded*a.Sent; ra != rb { // compare rates without floats
			return ra > rb
		}
		return a.Sent > b.Sent
	})
	r.BestHours = r.BestHours[:min(len(r.BestHours), 5)]
	return r, nil
}

// Tables returns content_pushes, content_best_hours and content_hours.
func (r *ContentReport) Tables() []Table {
	rows := Table{Name: "content_pushes", Columns: []string{"kind", "name", "pushes", "recipients", "sent", "failed", "skipped",
		"pending", "unknown", "delivery_rate", "unfollows_24h", "responded_24h", "response_rate"}}
	for _, c := range r.Rows {
		rows.Rows = append(rows.Rows, []any{c.Kind, c.Name, c.Pushes, c.Recipients, c.Sent, c.Failed, c.Skipped, c.Pending, c.Unknown,
			Ratio{c.Sent, c.Sent + c.Failed + c.Unknown}, c.Unfollows, c.Responded, Ratio{c.Responded, c.Sent}})
	}
	hours := Table{Name: "content_hours", Columns: []string{"hour", "sent", "responded_24h", "response_rate", "unfollows_24h"}}
	for _, h := range r.Hours {
		hours.Rows = append(hours.Rows, []any{fmt.Sprintf("%02d:00", h.Hour), h.Sent, h.Responded, Ratio{h.Responded, h.Sent}, h.Unfollows})
	}
	best := Table{Name: "content_best_hours", Columns: hours.Columns}
	for _, h := range r.BestHours {
		best.Rows = append(best.Rows, hours.Rows[h.Hour])
	}
	return []Table{rows, best, hours}
}
