package models

import "context"

// WhyBlacklisted is why nothing is sent to a blacklisted fan.
const WhyBlacklisted = "the fan is on the account's blacklist"

// MaxBlacklistBatch is how many openids WeChat takes per blacklist call.
const MaxBlacklistBatch = 20

// SetBlacklisted records that the member is (on) or is no longer (off) on
// the account's blacklist. It reports whether anything changed.
func (s *Store) SetBlacklisted(ctx context.Context, memberID uint64, on bool) (bool, error) {
	r := s.db.WithContext(ctx).Model(&Member{}).Where("id = ? AND blacklisted = ?", memberID, !on).
		Updates(map[string]any{"blacklisted": on, "updated_at": s.now()})
	return r.RowsAffected > 0, translate("blacklist", r.Error)
}
