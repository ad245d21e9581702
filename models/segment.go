package models

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"gorm.io/gorm"
)

// SegmentFilter selects members. Empty fields do not filter; the fields
// combine with AND, the values within one field with OR.
type SegmentFilter struct {
	Stages     []string `json:"stages,omitempty" yaml:"stages,omitempty"`
	Levels     []string `json:"levels,omitempty" yaml:"levels,omitempty"`
	TagsAny    []string `json:"tags_any,omitempty" yaml:"tags_any,omitempty"`   // has any of these tags
	TagsNone   []string `json:"tags_none,omitempty" yaml:"tags_none,omitempty"` // has none of these
	Channels   []string `json:"channels,omitempty" yaml:"channels,omitempty"`   // QR scenes of the latest follow
	Subscribed *bool    `json:"subscribed,omitempty" yaml:"subscribed,omitempty"`
	MinPoints  *int64   `json:"min_points,omitempty" yaml:"min_points,omitempty"`
	MaxPoints  *int64   `json:"max_points,omitempty" yaml:"max_points,omitempty"`
	// Dates are "2006-01-02" (UTC day boundaries).
	SubscribedFrom string `json:"subscribed_from,omitempty" yaml:"subscribed_from,omitempty"`
	SubscribedTo   string `json:"subscribed_to,omitempty" yaml:"subscribed_to,omitempty"`
	// ActiveWithinDays / InactiveForDays look at the last interaction.
	ActiveWithinDays int `json:"active_within_days,omitempty" yaml:"active_within_days,omitempty"`
	InactiveForDays  int `json:"inactive_for_days,omitempty" yaml:"inactive_for_days,omitempty"`
	// Profile fields (substring match).
	Region   string `json:"region,omitempty" yaml:"region,omitempty"`
	Interest string `json:"interest,omitempty" yaml:"interest,omitempty"`
	HasPhone *bool  `json:"has_phone,omitempty" yaml:"has_phone,omitempty"`
}

// Validate checks the filter's values.
func (f SegmentFilter) Validate() error {
	for _, s := range f.Stages {
		if !contains(Stages, s) {
			return Errorf(EINVALID, "unknown stage %q", s)
		}
	}
	for _, l := range f.Levels {
		if !contains(Levels, l) {
			return Errorf(EINVALID, "unknown level %q", l)
		}
	}
	for _, d := range []string{f.SubscribedFrom, f.SubscribedTo} {
		if d != "" {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return Errorf(EINVALID, "date %q must look like 2026-01-31", d)
			}
		}
	}
	if f.ActiveWithinDays < 0 || f.InactiveForDays < 0 {
		return Errorf(EINVALID, "day counts must not be negative")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// apply narrows a query on members to the filter.
func (f SegmentFilter) apply(db *gorm.DB, now time.Time) *gorm.DB {
	q := db.Model(&Member{})
	if len(f.Stages) > 0 {
		q = q.Where("members.stage IN ?", f.Stages)
	}
	if len(f.Levels) > 0 {
		q = q.Where("members.level IN ?", f.Levels)
	}
	if len(f.Channels) > 0 {
		q = q.Where("members.subscribe_scene IN ?", f.Channels)
	}
	if f.Subscribed != nil {
		q = q.Where("members.subscribed = ?", *f.Subscribed)
	}
	if f.MinPoints != nil {
		q = q.Where("members.points >= ?", *f.MinPoints)
	}
	if f.MaxPoints != nil {
		q = q.Where("members.points <= ?", *f.MaxPoints)
	}
	if f.SubscribedFrom != "" {
		from, _ := time.Parse(time.DateOnly, f.SubscribedFrom)
		q = q.Where("members.first_subscribed_at >= ?", from)
	}
	if f.SubscribedTo != "" {
		to, _ := time.Parse(time.DateOnly, f.SubscribedTo)
		q = q.Where("members.first_subscribed_at < ?", to.AddDate(0, 0, 1))
	}
	if f.ActiveWithinDays > 0 {
		q = q.Where("members.last_interaction_at >= ?", now.AddDate(0, 0, -f.ActiveWithinDays))
	}
	if f.InactiveForDays > 0 {
		q = q.Where("(members.last_interaction_at IS NULL OR members.last_interaction_at < ?)", now.AddDate(0, 0, -f.InactiveForDays))
	}
	tagged := func(names []string) *gorm.DB {
		return db.Session(&gorm.Session{NewDB: true}).Table("member_tags").Select("member_tags.member_id").
			Joins("JOIN tags ON tags.id = member_tags.tag_id").Where("tags.name IN ?", names)
	}
	if len(f.TagsAny) > 0 {
		q = q.Where("members.id IN (?)", tagged(f.TagsAny))
	}
	if len(f.TagsNone) > 0 {
		q = q.Where("members.id NOT IN (?)", tagged(f.TagsNone))
	}
	if f.Region != "" || f.Interest != "" || f.HasPhone != nil {
		p := db.Session(&gorm.Session{NewDB: true}).Table("member_profiles").Select("member_id")
		if f.Region != "" {
			p = p.Where("region LIKE ? ESCAPE '!'", "%"+escapeLike(f.Region)+"%")
		}
		if f.Interest != "" {
			p = p.Where("interests LIKE ? ESCAPE '!'", "%"+escapeLike(f.Interest)+"%")
		}
		if f.HasPhone != nil && *f.HasPhone {
			p = p.Where("phone <> ''")
		}
		if f.HasPhone != nil && !*f.HasPhone {
			q = q.Where("members.id NOT IN (?)", db.Session(&gorm.Session{NewDB: true}).Table("member_profiles").Select("member_id").Where("phone <> ''"))
		} else {
			q = q.Where("members.id IN (?)", p)
		}
	}
	return q
}

// CountSegment counts the members a filter selects (the editor shows it live).
func (s *Store) CountSegment(ctx context.Context, f SegmentFilter) (int64, error) {
	if err := f.Validate(); err != nil {
		return 0, err
	}
	var n int64
	err := f.apply(s.db.WithContext(ctx), s.now()).Count(&n).Error
	return n, translate("count segment", err)
}

// SegmentMembers returns a page of the selected members, by id.
func (s *Store) SegmentMembers(ctx context.Context, f SegmentFilter, afterID uint64, limit int) ([]Member, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var out []Member
	err := f.apply(s.db.WithContext(ctx), s.now()).Where("members.id > ?", afterID).Order("members.id").Limit(limit).Find(&out).Error
	return out, translate("segment members", err)
}

// SegmentMemberIDs returns every selected member's id, ascending.
func (s *Store) SegmentMemberIDs(ctx context.Context, f SegmentFilter) ([]uint64, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var ids []uint64
	err := f.apply(s.db.WithContext(ctx), s.now()).Order("members.id").Pluck("members.id", &ids).Error
	return ids, translate("segment members", err)
}

// Segment is a saved filter with a name.
type Segment struct {
	ID        uint64 `gorm:"primaryKey"`
	Name      string `gorm:"size:100;uniqueIndex;not null"`
	Filter    string `gorm:"type:text;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Decode returns the segment's filter.
func (sg *Segment) Decode() (SegmentFilter, error) {
	var f SegmentFilter
	err := json.Unmarshal([]byte(sg.Filter), &f)
	return f, err
}

// SaveSegment creates (id 0) or updates a named segment.
func (s *Store) SaveSegment(ctx context.Context, id uint64, name string, f SegmentFilter) (*Segment, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, Errorf(EINVALID, "segment name must be 1-100 characters")
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(f)
	sg := &Segment{ID: id, Name: name, Filter: string(b)}
	var err error
	if id == 0 {
		err = s.db.WithContext(ctx).Create(sg).Error
	} else {
		res := s.db.WithContext(ctx).Model(&Segment{}).Where("id = ?", id).Updates(map[string]any{"name": name, "filter": sg.Filter})
		err = res.Error
		if err == nil && res.RowsAffected == 0 {
			return nil, Errorf(ENOTFOUND, "segment not found")
		}
	}
	return sg, translate("save segment", err)
}

// FindSegment returns one segment.
func (s *Store) FindSegment(ctx context.Context, id uint64) (*Segment, error) {
	var sg Segment
	err := s.db.WithContext(ctx).Take(&sg, id).Error
	return &sg, translate("segment", err)
}

// ListSegments returns all segments by name.
func (s *Store) ListSegments(ctx context.Context) ([]Segment, error) {
	var out []Segment
	err := s.db.WithContext(ctx).Order("name").Find(&out).Error
	return out, translate("list segments", err)
}

// DeleteSegment removes a segment.
func (s *Store) DeleteSegment(ctx context.Context, id uint64) error {
	res := s.db.WithContext(ctx).Delete(&Segment{}, id)
	if res.Error == nil && res.RowsAffected == 0 {
		return Errorf(ENOTFOUND, "segment not found")
	}
	return translate("delete segment", res.Error)
}
