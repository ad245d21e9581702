package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	mrand "math/rand/v2"
	"strings"
	"time"
)

// Topic is a conversation campaign ("tell us your favourite restaurant and
// why"): fans reply with the keyword and their answer during the period.
type Topic struct {
	ID        uint64 `gorm:"primaryKey"`
	Keyword   string `gorm:"size:32;index;not null"`
	Title     string `gorm:"size:191;not null"`
	Prompt    string `gorm:"type:text"`
	StartsAt  time.Time
	EndsAt    time.Time
	Points    int64
	CreatedAt time.Time
}

// TopicEntry is one fan's answer to a topic.
type TopicEntry struct {
	ID        uint64 `gorm:"primaryKey"`
	TopicID   uint64 `gorm:"index;not null"`
	MemberID  uint64 `gorm:"index;not null"`
	OpenID    string `gorm:"size:64"`
	Text      string `gorm:"type:text;not null"`
	Featured  bool
	Hidden    bool
	CreatedAt time.Time
}

// SaveTopic validates and stores a topic (ID 0 creates one).
func (s *Store) SaveTopic(ctx context.Context, t Topic) (*Topic, error) {
	t.Keyword, t.Title = strings.TrimSpace(t.Keyword), strings.TrimSpace(t.Title)
	if t.Keyword == "" || t.Title == "" || len(t.Keyword) > 32 {
		return nil, Errorf(EINVALID, "a topic needs a keyword (≤ 32 bytes) and a title")
	}
	if !t.EndsAt.After(t.StartsAt) {
		return nil, Errorf(EINVALID, "the topic must end after it starts")
	}
	if t.Points < 0 {
		return nil, Errorf(EINVALID, "points must not be negative")
	}
	var err error
	if t.ID == 0 {
		err = s.db.WithContext(ctx).Create(&t).Error
	} else {
		err = s.db.WithContext(ctx).Save(&t).Error
	}
	return &t, translate("save topic", err)
}

// RunningTopics returns topics that have not ended yet (including ones
// about to start), for callers that cache them.
func (s *Store) RunningTopics(ctx context.Context, now time.Time) ([]Topic, error) {
	var out []Topic
	err := s.db.WithContext(ctx).Where("ends_at > ?", now.UTC()).Order("id").Find(&out).Error
	return out, translate("running topics", err)
}

// ActiveTopicFor returns the running topic whose keyword starts text.
func (s *Store) ActiveTopicFor(ctx context.Context, text string) (*Topic, error) {
	var topics []Topic
	now := s.now()
	if err := s.db.WithContext(ctx).Where("starts_at <= ? AND ends_at > ?", now, now).Find(&topics).Error; err != nil {
		return nil, translate("topics", err)
	}
	for i := range topics {
		if strings.HasPrefix(strings.ToLower(text), strings.ToLower(topics[i].Keyword)) {
			return &topics[i], nil
		}
	}
	return nil, nil
}

// AddTopicEntry stores an answer and pays the topic's points once per member.
func (s *Store) AddTopicEntry(ctx context.Context, t *Topic, m *Member, text string) (*TopicEntry, int64, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, 0, Errorf(EINVALID, "empty answer")
	}
	e := &TopicEntry{TopicID: t.ID, MemberID: m.ID, OpenID: m.OpenID, Text: truncateUTF8(text, 4000), CreatedAt: s.now()}
	if err := s.db.WithContext(ctx).Create(e).Error; err != nil {
		return nil, 0, translate("topic entry", err)
	}
	var paid int64
	if t.Points > 0 {
		_, dup, err := s.Earn(ctx, m.ID, t.Points, SourceTopic, SystemReason(ReasonTopic, t.Title), "topic:"+itoa(t.ID)+":"+itoa(m.ID), nil)
		if err != nil {
			return e, 0, err
		}
		if !dup {
			paid = t.Points
		}
	}
	return e, paid, nil
}

// TopicEntries lists a topic's entries (hidden ones too when all).
func (s *Store) TopicEntries(ctx context.Context, topicID uint64, all bool) ([]TopicEntry, error) {
	q := s.db.WithContext(ctx).Where("topic_id = ?", topicID).Order("featured DESC, id")
	if !all {
		q = q.Where("hidden = ?", false)
	}
	var out []TopicEntry
	return out, translate("topic entries", q.Find(&out).Error)
}

// MarkTopicEntry features or hides an entry.
func (s *Store) MarkTopicEntry(ctx context.Context, id uint64, featured, hidden bool) error {
	res := s.db.WithContext(ctx).Model(&TopicEntry{}).Where("id = ?", id).Updates(map[string]any{"featured": featured, "hidden": hidden})
	if res.Error == nil && res.RowsAffected == 0 {
		return Errorf(ENOTFOUND, "entry not found")
	}
	return translate("mark entry", res.Error)
}

// ListTopics returns topics, newest first.
func (s *Store) ListTopics(ctx context.Context) ([]Topic, error) {
	var out []Topic
	return out, translate("list topics", s.db.WithContext(ctx).Order("id DESC").Find(&out).Error)
}

// Draw is a lucky draw among a segment: the entrants are snapshotted and the
// seed recorded, so anyone can re-run the pick and get the same winners.
type Draw struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:100;not null"`
	Filter    string `gorm:"type:text;not null"`       // the segment filter, JSON
	Entrants  string `gorm:"type:mediumtext;not null"` // member ids, JSON, ascending
	Seed      string `gorm:"size:64;not null"`         // hex
	Winners   string `gorm:"type:text;not null"`       // member ids, JSON, in pick order
	StaffID   uint64
	CreatedAt time.Time
}

// MaxDrawWinners bounds one draw (each winner may get a message); the
// console and the API refuse more.
const MaxDrawWinners = 1000

// RunDraw snapshots the segment, draws n winners with a fresh random seed,
// and records everything.
func (s *Store) RunDraw(ctx context.Context, name string, f SegmentFilter, n int, staffID uint64) (*Draw, []uint64, error) {
	name = strings.TrimSpace(name)
	if name == "" || n <= 0 {
		return nil, nil, Errorf(EINVALID, "a draw needs a name and at least one winner")
	}
	ids, err := s.SegmentMemberIDs(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	if len(ids) == 0 {
		return nil, nil, Errorf(EINVALID, "the segment has no members")
	}
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return nil, nil, err
	}
	winners := PickWinners(ids, hex.EncodeToString(seed), n)
	fb, _ := json.Marshal(f)
	eb, _ := json.Marshal(ids)
	wb, _ := json.Marshal(winners)
	d := &Draw{Name: name, Filter: string(fb), Entrants: string(eb), Seed: hex.EncodeToString(seed), Winners: string(wb), StaffID: staffID, CreatedAt: s.now()}
	return d, winners, translate("draw", s.db.WithContext(ctx).Create(d).Error)
}

// PickWinners is the draw itself: a Fisher–Yates shuffle of the ascending
// entrant ids driven by ChaCha8 seeded with SHA-256(seed); the first n win.
// It is deterministic, so a recorded draw can be verified.
func PickWinners(entrants []uint64, seedHex string, n int) []uint64 {
	ids := append([]uint64(nil), entrants...)
	key := sha256.Sum256([]byte(seedHex))
	r := mrand.New(mrand.NewChaCha8(key))
	for i := len(ids) - 1; i > 0; i-- {
		j := r.IntN(i + 1)
		ids[i], ids[j] = ids[j], ids[i]
	}
	if n > len(ids) {
		n = len(ids)
	}
	return ids[:n]
}

// VerifyDraw re-runs a recorded draw and reports whether it gives the same
// winners.
func (s *Store) VerifyDraw(ctx context.Context, id uint64) (bool, error) {
	var d Draw
	if err := s.db.WithContext(ctx).Take(&d, id).Error; err != nil {
		return false, translate("draw", err)
	}
	var entrants, winners []uint64
	if err := json.Unmarshal([]byte(d.Entrants), &entrants); err != nil {
		return false, err
	}
	if err := json.Unmarshal([]byte(d.Winners), &winners); err != nil {
		return false, err
	}
	again := PickWinners(entrants, d.Seed, len(winners))
	for i := range again {
		if again[i] != winners[i] {
			return false, nil
		}
	}
	return len(again) == len(winners), nil
}
