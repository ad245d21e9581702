package roles

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/fivec/fivec/models"
)

// Care (客户关怀) runs the care journeys. On the callback (this file) it
// gives fans interest tags from the words they use (a fan who asks about
// 4S店 gets 汽车) and takes a fan who unfollows out of every journey at
// once. On a timer (Tick, in care_tick.go) it enrols members whose events
// match a journey's trigger (care_enrol.go) and turns due steps into pushes
// (care_steps.go). It never answers: care messages are pushes, sent by the
// delivery engine. Keyword interests are cached and reloaded when they
// change, so an ordinary message costs no query.
type Care struct {
	Store *models.Store
	Log   *slog.Logger
	// Loc is the account time zone (birthdays).
	Loc *time.Location
	// Batch bounds the members handled per step and tick (500 when 0).
	Batch int
	// SweepEvery spaces out the exit sweep (goal met, unfollowed,
	// completed: time.Minute when 0). Due steps check the member's goal
	// and follow anyway before anything is sent, so the sweep only keeps
	// the console's counts current, and a rarer sweep keeps long
	// statements away from the callback's database.
	SweepEvery time.Duration

	set      atomic.Pointer[interestSet]
	reloadMu sync.Mutex

	tickMu    sync.Mutex
	lastSweep time.Time
}

// interestSet is the compiled keyword interests: one Aho-Corasick pass
// over a text finds every keyword in it, however many there are.
type interestSet struct {
	version string
	words   ahocorasick.AhoCorasick
	tagOf   []string // by pattern index
}

// Name implements Role.
func (*Care) Name() string { return "care" }

// Reload loads the keyword interests from the database.
func (c *Care) Reload(ctx context.Context) error {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	return c.reload(ctx)
}

// ReloadIfChanged reloads when a journey or interest changed anywhere.
// Every process runs it every few seconds.
func (c *Care) ReloadIfChanged(ctx context.Context) error {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	v, err := c.Store.CareVersion(ctx)
	if err != nil {
		return err
	}
	if cur := c.set.Load(); cur != nil && cur.version == v {
		return nil
	}
	return c.reload(ctx)
}

func (c *Care) reload(ctx context.Context) error {
	v, err := c.Store.CareVersion(ctx)
	if err != nil {
		return err
	}
	list, err := c.Store.ListInterests(ctx)
	if err != nil {
		return err
	}
	set := &interestSet{version: v}
	var patterns []string
	for _, in := range list {
		for _, w := range in.Words() {
			if w = normalize(w); w != "" {
				patterns = append(patterns, w)
				set.tagOf = append(set.tagOf, in.Tag)
			}
		}
	}
	if len(patterns) > 0 {
		b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.StandardMatch})
		set.words = b.Build(patterns)
	}
	c.set.Store(set)
	return nil
}

// Handle implements Role.
func (c *Care) Handle(ctx context.Context, t *Turn) error {
	if t.Member == nil {
		return nil
	}
	m := t.Msg
	switch {
	case m.MsgType == message.MsgTypeEvent && m.Event == message.EventUnsubscribe:
		_, err := c.Store.ExitAllJourneys(ctx, t.Member.ID, models.ExitUnfollowed)
		return err
	case m.MsgType == message.MsgTypeText:
		return c.interests(ctx, t.Member.ID, m.Content)
	}
	return nil
}

// Interests returns the interest tags a text shows (for the tester and tests).
func (c *Care) Interests(ctx context.Context, text string) []string {
	set := c.set.Load()
	if set == nil {
		if err := c.Reload(ctx); err != nil {
			c.Log.Error("load interests", "err", err)
			return nil
		}
		set = c.set.Load()
	}
	if len(set.tagOf) == 0 {
		return nil
	}
	var tags []string
	it := set.words.IterOverlapping(normalize(text))
	for m := it.Next(); m != nil; m = it.Next() {
		if tag := set.tagOf[m.Pattern()]; !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	return tags
}

// interests tags the member with every interest the text shows.
func (c *Care) interests(ctx context.Context, memberID uint64, text string) error {
	for _, tag := range c.Interests(ctx, text) {
		if err := c.Store.TagMember(ctx, memberID, tag); err != nil {
			return err
		}
	}
	return nil
}
