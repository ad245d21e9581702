package models

import "context"

// MemberExport is everything fivec holds about one fan that a request for
// access (PIPL art. 45) covers: the member row, the profile the fan filled
// in, tags, the points ledger and the message log in both directions.
type MemberExport struct {
	Member   Member
	Profile  *MemberProfile // nil: the fan never filled in the form
	Tags     []string
	Ledger   []PointsEntry // oldest first
	Messages []Message     // oldest first, without the raw XML
}

// exportBatch is how many members one round of the segment export loads:
// the export holds at most one batch (and its messages) in memory.
const exportBatch = 100

// ExportMember returns the export of the member with this openid.
func (s *Store) ExportMember(ctx context.Context, openID string) (*MemberExport, error) {
	m, err := s.FindMemberByOpenID(ctx, openID)
	if err != nil {
		return nil, err
	}
	out, err := s.exportBatch(ctx, []Member{*m})
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

// ExportSegment calls fn with the export of every member the filter
// selects, by id, loading exportBatch members at a time, so a segment of
// any size is exported in bounded memory. An error from fn stops it.
func (s *Store) ExportSegment(ctx context.Context, f SegmentFilter, fn func(*MemberExport) error) error {
	var after uint64
	for {
		page, err := s.SegmentMembers(ctx, f, after, exportBatch)
		if err != nil || len(page) == 0 {
			return err
		}
		out, err := s.exportBatch(ctx, page)
		if err != nil {
			return err
		}
		for i := range out {
			if err := fn(&out[i]); err != nil {
				return err
			}
		}
		after = page[len(page)-1].ID
	}
}

// exportBatch loads the rest of the export for ms with one query per
// table.
func (s *Store) exportBatch(ctx context.Context, ms []Member) ([]MemberExport, error) {
	ids := make([]uint64, len(ms))
	openIDs := make([]string, len(ms))
	byID := make(map[uint64]int, len(ms))
	byOpenID := make(map[string]int, len(ms))
	out := make([]MemberExport, len(ms))
	for i, m := range ms {
		ids[i], openIDs[i], byID[m.ID], byOpenID[m.OpenID] = m.ID, m.OpenID, i, i
		out[i].Member = m
	}
	db := s.db.WithContext(ctx)
	var profiles []MemberProfile
	if err := db.Where("member_id IN ?", ids).Find(&profiles).Error; err != nil {
		return nil, translate("export profiles", err)
	}
	for i := range profiles {
		out[byID[profiles[i].MemberID]].Profile = &profiles[i]
	}
	var tags []struct {
		MemberID uint64
		Name     string
	}
	err := db.Model(&MemberTag{}).Select("member_tags.member_id, tags.name").Joins("JOIN tags ON tags.id = member_tags.tag_id").
		Where("member_tags.member_id IN ?", ids).Order("tags.name").Scan(&tags).Error
	if err != nil {
		return nil, translate("export tags", err)
	}
	for _, t := range tags {
		e := &out[byID[t.MemberID]]
		e.Tags = append(e.Tags, t.Name)
	}
	var ledger []PointsEntry
	if err := db.Where("member_id IN ?", ids).Order("id").Find(&ledger).Error; err != nil {
		return nil, translate("export ledger", err)
	}
	for _, p := range ledger {
		e := &out[byID[p.MemberID]]
		e.Ledger = append(e.Ledger, p)
	}
	var msgs []Message
	if err := db.Omit("raw").Where("open_id IN ?", openIDs).Order("created_at, id").Find(&msgs).Error; err != nil {
		return nil, translate("export messages", err)
	}
	for _, m := range msgs {
		e := &out[byOpenID[m.OpenID]]
		e.Messages = append(e.Messages, m)
	}
	return out, nil
}
