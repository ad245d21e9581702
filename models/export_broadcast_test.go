package models

import "context"

// SetBroadcastStateForTest forces a broadcast's state and run count.
func (s *Store) SetBroadcastStateForTest(ctx context.Context, id uint64, state string, runs int) error {
	return s.db.WithContext(ctx).Model(&Broadcast{}).Where("id = ?", id).Updates(map[string]any{"state": state, "runs": runs}).Error
}

// SetBroadcastChannelForTest changes a broadcast's channel in the database,
// as a row saved before a check existed would hold it.
func (s *Store) SetBroadcastChannelForTest(ctx context.Context, id uint64, channel string) error {
	return s.db.WithContext(ctx).Model(&Broadcast{}).Where("id = ?", id).Update("channel", channel).Error
}
