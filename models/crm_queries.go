package models

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// The staff side of the member CRM: lookups the console and the API need
// beyond what the fan-facing code uses.

// MemberSearch narrows SearchMembers: a substring of openid or unionid and
// any segment filter (stage, level, channel…), combined with AND.
type MemberSearch struct {
	Query  string
	Filter SegmentFilter
	Limit  int // 1-200, default 50
	Offset int
}

// SearchMembers returns members matching the search, most recently active
// first, and how many match in all.
func (s *Store) SearchMembers(ctx context.Context, q MemberSearch) ([]Member, int64, error) {
	if err := q.Filter.Validate(); err != nil {
		return nil, 0, err
	}
	db := q.Filter.apply(s.db.WithContext(ctx), s.now())
	if q.Query != "" {
		like := "%" + escapeLike(q.Query) + "%"
		db = db.Where("(members.open_id LIKE ? ESCAPE '!' OR members.union_id LIKE ? ESCAPE '!')", like, like)
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, translate("search members", err)
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	var out []Member
	err := db.Order("members.last_interaction_at DESC, members.id DESC").Limit(q.Limit).Offset(q.Offset).Find(&out).Error
	return out, total, translate("search members", err)
}

// MembersByIDs returns the members with these ids in the order given;
// ids that no longer exist are left out.
func (s *Store) MembersByIDs(ctx context.Context, ids []uint64) ([]Member, error) {
	byID := make(map[uint64]Member, len(ids))
	for start := 0; start < len(ids); start += 1000 {
		var part []Member
		if err := s.db.WithContext(ctx).Where("id IN ?", ids[start:min(start+1000, len(ids))]).Find(&part).Error; err != nil {
			return nil, translate("members by id", err)
		}
		for _, m := range part {
			byID[m.ID] = m
		}
	}
	out := make([]Member, 0, len(ids))
	for _, id := range ids {
		if m, ok := byID[id]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// FindGift returns one gift of the catalogue.
func (s *Store) FindGift(ctx context.Context, id uint64) (*Gift, error) {
	var g Gift
	err := s.db.WithContext(ctx).Take(&g, id).Error
	return &g, translate("gift", err)
}

// FindTopic returns one topic.
func (s *Store) FindTopic(ctx context.Context, id uint64) (*Topic, error) {
	var t Topic
	err := s.db.WithContext(ctx).Take(&t, id).Error
	return &t, translate("topic", err)
}

// FindTopicEntry returns an entry of a topic (not found when the entry
// belongs to another topic).
func (s *Store) FindTopicEntry(ctx context.Context, topicID, entryID uint64) (*TopicEntry, error) {
	var e TopicEntry
	err := s.db.WithContext(ctx).Where("topic_id = ?", topicID).Take(&e, entryID).Error
	return &e, translate("topic entry", err)
}

// DrawSummary is a draw without its entrant list, for listings.
type DrawSummary struct {
	ID        uint64
	Name      string
	Seed      string
	Entrants  int
	Winners   int
	StaffID   uint64
	CreatedAt time.Time
}

// ListDraws returns the newest draws first. Entrant and winner counts are
// computed in SQL from the JSON lists, so large snapshots are not loaded.
func (s *Store) ListDraws(ctx context.Context, limit int) ([]DrawSummary, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	// The lists are JSON arrays of ids with no spaces: n ids have n-1 commas.
	count := func(col string) string {
		return "CASE WHEN " + col + " IN ('[]', 'null') THEN 0 ELSE LENGTH(" + col + ") - LENGTH(REPLACE(" + col + ", ',', '')) + 1 END"
	}
	var out []DrawSummary
	err := s.db.WithContext(ctx).Model(&Draw{}).
		Select("id, name, seed, staff_id, created_at, " + count("entrants") + " AS entrants, " + count("winners") + " AS winners").
		Order("id DESC").Limit(limit).Scan(&out).Error
	return out, translate("list draws", err)
}

// FindDraw returns one draw with its snapshot.
func (s *Store) FindDraw(ctx context.Context, id uint64) (*Draw, error) {
	var d Draw
	err := s.db.WithContext(ctx).Take(&d, id).Error
	return &d, translate("draw", err)
}

// EntrantIDs decodes the draw's entrant snapshot (ascending ids).
func (d *Draw) EntrantIDs() ([]uint64, error) { return decodeIDs(d.Entrants) }

// WinnerIDs decodes the draw's winners in pick order.
func (d *Draw) WinnerIDs() ([]uint64, error) { return decodeIDs(d.Winners) }

// Replay runs PickWinners again on the recorded entrants and seed and
// reports whether it picks the recorded winners, in the same order.
func (d *Draw) Replay() (again []uint64, same bool, err error) {
	entrants, err := d.EntrantIDs()
	if err != nil {
		return nil, false, err
	}
	winners, err := d.WinnerIDs()
	if err != nil {
		return nil, false, err
	}
	again = PickWinners(entrants, d.Seed, len(winners))
	same = len(again) == len(winners)
	for i := 0; same && i < len(again); i++ {
		same = again[i] == winners[i]
	}
	return again, same, nil
}

func decodeIDs(s string) ([]uint64, error) {
	var ids []uint64
	if err := json.Unmarshal([]byte(s), &ids); err != nil {
		return nil, fmt.Errorf("decode id list: %w", err)
	}
	return ids, nil
}
