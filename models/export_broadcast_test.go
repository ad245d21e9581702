package models

import "context"

// SetBroadcastStateForTest forces a broadcast's state and run count.
func (s *Store) SetBroadcastStateForTest(ctx context.Context, id uint64, state string, runs int) error {
	return s.db.WithContext(ctx).Model(&Broadcast{}).Where("id = ?", id).Updates(map[string]any{"state": state, "runs": runs}).Error
}
