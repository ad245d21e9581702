package models

import "context"

// Deletable reports whether the broadcast may be deleted: a draft, or a
// cancelled broadcast, that never ran (a run's report is kept).
func (b *Broadcast) Deletable() bool {
	return (b.State == BroadcastDraft || b.State == BroadcastCancelled) && b.Runs == 0
}

// DeleteBroadcast deletes a draft or cancelled broadcast that never ran.
func (s *Store) DeleteBroadcast(ctx context.Context, id uint64) error {
	b, err := s.FindBroadcast(ctx, id)
	if err != nil {
		return err
	}
	if b.Runs > 0 {
		return Errorf(ECONFLICT, "a broadcast that has run keeps its report and cannot be deleted")
	}
	if !b.Deletable() {
		return Errorf(ECONFLICT, "only a draft or cancelled broadcast can be deleted")
	}
	res := s.db.WithContext(ctx).Where("id = ? AND state = ? AND runs = 0", id, b.State).Delete(&Broadcast{})
	if res.Error == nil && res.RowsAffected == 0 {
		return Errorf(ECONFLICT, "the broadcast changed meanwhile; reload it")
	}
	return translate("delete broadcast", res.Error)
}

// CopyBroadcast makes a new draft named name with id's content, audience
// and channel (no schedule, no approval): the way to send a cancelled or
// finished broadcast again.
func (s *Store) CopyBroadcast(ctx context.Context, id uint64, name string, staffID uint64) (*Broadcast, error) {
	b, err := s.FindBroadcast(ctx, id)
	if err != nil {
		return nil, err
	}
	n := &Broadcast{Name: truncateUTF8(name, 191), Kind: b.Kind, Content: b.Content, TemplateID: b.TemplateID,
		TemplateData: b.TemplateData, Audience: b.Audience, AudienceRef: b.AudienceRef, OpenIDs: b.OpenIDs,
		Channel: b.Channel, State: BroadcastDraft, StaffID: staffID}
	return n, translate("copy broadcast", s.db.WithContext(ctx).Create(n).Error)
}
