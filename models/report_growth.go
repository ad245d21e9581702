package models

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ChannelReferral groups every personal referral code (scenes ref_<code>)
// in the growth report; ChannelNone is a follow without a QR scene
// (search, a shared card, an article).
const (
	ChannelReferral = "ref_"
	ChannelNone     = "(none)"
)

// RetentionDays are the follow ages retention is measured at.
var RetentionDays = []int{1, 7, 30}

// GrowthDay is one day of follows and unfollows.
type GrowthDay struct {
	Day       string
	Follows   int64
	Unfollows int64
}

// Net is follows minus unfollows.
func (d GrowthDay) Net() int64 { return d.Follows - d.Unfollows }

// ChannelGrowth is one channel's follows and unfollows over the period and
// how many of its follows were still following 1, 7 and 30 days later.
type ChannelGrowth struct {
	Scene     string // a channel's scene, ChannelReferral or ChannelNone
	Name      string // the channel's name ("" for the groups and unknown scenes)
	Follows   int64
	Unfollows int64
	// Retained[i] counts follows RetentionDays[i] old or more that were not
	// followed by an unfollow within that many days, out of those follows.
	Retained [3]Ratio
}

// GrowthReport is the Growth tab.
type GrowthReport struct {
	Period   Period
	Channel  string      // the channel the days are narrowed to ("*": all)
	Days     []GrowthDay // every day of the period, oldest first
	Channels []ChannelGrowth
	Total    ChannelGrowth
}

// AllChannels is the Growth report's "every channel" choice.
const AllChannels = ReportTotal

// channelKey is SQL for the channel of a subscribe message's event key:
// "qrscene_<scene>" for a follow through a QR code.
const channelKey = "CASE WHEN %[1]s LIKE 'qrscene!_ref!_%%' ESCAPE '!' THEN 'ref_' " +
	"WHEN %[1]s LIKE 'qrscene!_%%' ESCAPE '!' THEN SUBSTR(%[1]s, 9) ELSE '(none)' END"

func channelOf(col string) string { return fmt.Sprintf(channelKey, col) }

// followEvents is SQL for the period's follow and unfollow events with
// their channel: a follow's own scene, an unfollow's the scene of the
// fan's latest follow before it.
func followEvents() string {
	return "SELECT m.created_at, m.event, CASE WHEN m.event = 'subscribe' THEN " + channelOf("m.event_key") +
		" ELSE COALESCE((SELECT " + channelOf("f.event_key") + " FROM messages f WHERE f.open_id = m.open_id" +
		" AND f.event = 'subscribe' AND f.direction = 'in' AND f.created_at <= m.created_at" +
		" ORDER BY f.created_at DESC, f.id DESC LIMIT 1), '(none)') END AS ch" +
		" FROM messages m WHERE m.event IN ('subscribe', 'unsubscribe') AND m.direction = 'in'" +
		" AND m.created_at >= ? AND m.created_at < ?"
}

// Growth counts follows, unfollows and net growth per day (narrowed to
// channel unless it is AllChannels) and per channel, with retention.
func (s *Store) Growth(ctx context.Context, p Period, channel string) (*GrowthReport, error) {
	r := &GrowthReport{Period: p, Channel: channel}
	byDay := map[string]*GrowthDay{}
	byCh := map[string]*ChannelGrowth{}
	for _, sp := range p.spans() {
		var rows []struct {
			Day, Ch   string
			Follows   int64
			Unfollows int64
		}
		err := s.db.WithContext(ctx).Raw("SELECT "+s.localFormat("e.created_at", "%Y-%m-%d", sp.offset)+" AS day, e.ch,"+
			" SUM(CASE WHEN e.event = 'subscribe' THEN 1 ELSE 0 END) AS follows,"+
			" SUM(CASE WHEN e.event = 'unsubscribe' THEN 1 ELSE 0 END) AS unfollows"+
			" FROM ("+followEvents()+") e GROUP BY day, e.ch", sp.start, sp.end).Scan(&rows).Error
		if err != nil {
			return nil, translate("growth", err)
		}
		for _, row := range rows {
			c := byCh[row.Ch]
			if c == nil {
				c = &ChannelGrowth{Scene: row.Ch}
				byCh[row.Ch] = c
			}
			c.Follows += row.Follows
			c.Unfollows += row.Unfollows
			if channel != AllChannels && row.Ch != channel {
				continue
			}
			d := byDay[row.Day]
			if d == nil {
				d = &GrowthDay{Day: row.Day}
				byDay[row.Day] = d
			}
			d.Follows += row.Follows
			d.Unfollows += row.Unfollows
		}
	}
	for _, day := range p.Days() {
		d := GrowthDay{Day: day}
		if x := byDay[day]; x != nil {
			d = *x
		}
		r.Days = append(r.Days, d)
	}
	if err := s.retention(ctx, p, byCh); err != nil {
		return nil, err
	}
	if err := s.channelNames(ctx, byCh); err != nil {
		return nil, err
	}
	for _, c := range byCh {
		r.Channels = append(r.Channels, *c)
		r.Total.Follows += c.Follows
		r.Total.Unfollows += c.Unfollows
		for i := range c.Retained {
			r.Total.Retained[i].N += c.Retained[i].N
			r.Total.Retained[i].Of += c.Retained[i].Of
		}
	}
	sort.Slice(r.Channels, func(i, j int) bool {
		a, b := r.Channels[i], r.Channels[j]
		if a.Follows != b.Follows {
			return a.Follows > b.Follows
		}
		return a.Scene < b.Scene
	})
	return r, nil
}

// retention fills each channel's Retained: of the period's follows at
// least N days old (at p.Now), those with no unfollow within N days.
func (s *Store) retention(ctx context.Context, p Period, byCh map[string]*ChannelGrowth) error {
	// One probe per follow: the fan's first unfollow after it, if any.
	sel := "SELECT g.ch"
	var args []any
	for _, n := range RetentionDays {
		age := time.Duration(n) * 24 * time.Hour
		cut := p.Now.Add(-age)
		sel += fmt.Sprintf(", SUM(CASE WHEN g.created_at <= ? THEN 1 ELSE 0 END) AS of%d", n) +
			fmt.Sprintf(", SUM(CASE WHEN g.created_at <= ? AND (g.gone IS NULL OR NOT %s) THEN 1 ELSE 0 END) AS kept%d",
				s.within("g.gone", "g.created_at", age), n)
		args = append(args, cut, cut)
	}
	args = append(args, p.From.UTC(), p.To.UTC())
	follows := "SELECT f.ch, f.created_at, (SELECT MIN(u.created_at) FROM messages u WHERE u.open_id = f.open_id" +
		" AND u.event = 'unsubscribe' AND u.direction = 'in' AND u.created_at > f.created_at) AS gone" +
		" FROM (SELECT open_id, created_at, " + channelOf("event_key") + " AS ch FROM messages" +
		" WHERE event = 'subscribe' AND direction = 'in' AND created_at >= ? AND created_at < ?) f"
	var rows []struct {
		Ch                     string
		Of1, Kept1, Of7, Kept7 int64
		Of30, Kept30           int64
	}
	err := s.db.WithContext(ctx).Raw(sel+" FROM ("+follows+") g GROUP BY g.ch", args...).Scan(&rows).Error
	if err != nil {
		return translate("retention", err)
	}
	for _, row := range rows {
		c := byCh[row.Ch]
		if c == nil { // a follow only the retention query saw (written in between)
			continue
		}
		c.Retained = [3]Ratio{{row.Kept1, row.Of1}, {row.Kept7, row.Of7}, {row.Kept30, row.Of30}}
	}
	return nil
}

// channelNames names the channels whose scenes appear.
func (s *Store) channelNames(ctx context.Context, byCh map[string]*ChannelGrowth) error {
	var scenes []string
	for sc := range byCh {
		if sc != ChannelNone && sc != ChannelReferral {
			scenes = append(scenes, sc)
		}
	}
	for start := 0; start < len(scenes); start += 1000 {
		var chans []Channel
		err := s.db.WithContext(ctx).Select("scene, name").Where("scene IN ?", scenes[start:min(start+1000, len(scenes))]).Find(&chans).Error
		if err != nil {
			return translate("channel names", err)
		}
		for _, c := range chans {
			byCh[c.Scene].Name = c.Name
		}
	}
	return nil
}

// Tables returns the report's tables: growth_days and growth_channels.
func (r *GrowthReport) Tables() []Table {
	days := Table{Name: "growth_days", Columns: []string{"day", "follows", "unfollows", "net"}}
	for _, d := range r.Days {
		days.Rows = append(days.Rows, []any{d.Day, d.Follows, d.Unfollows, d.Net()})
	}
	chans := Table{Name: "growth_channels", Columns: []string{"scene", "channel", "follows", "unfollows", "net",
		"retained_1d", "retained_7d", "retained_30d"}}
	row := func(c ChannelGrowth) []any {
		return []any{c.Scene, c.Name, c.Follows, c.Unfollows, c.Follows - c.Unfollows, c.Retained[0], c.Retained[1], c.Retained[2]}
	}
	for _, c := range r.Channels {
		chans.Rows = append(chans.Rows, row(c))
	}
	total := row(r.Total)
	total[0] = ReportTotal
	chans.Rows = append(chans.Rows, total)
	return []Table{days, chans}
}

// ValidChannel checks a channel choice of the Growth report.
func ValidChannel(ch string) error {
	if ch == AllChannels || ch == ChannelNone || ch == ChannelReferral || scenePattern.MatchString(ch) {
		return nil
	}
	return Errorf(EINVALID, "unknown channel %q", strings.TrimSpace(ch))
}
