package models

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// FanMedia is the file behind a fan's image, voice note, video or short
// video (and a video's cover). WeChat keeps these as temporary media for 3
// days only, so each is queued when the message arrives and fetched with
// media/get by a background worker, off the callback's deadline; the bytes
// then live in the media store under FileKey until the retention period
// ends. The row outlives the file and says what became of it.
type FanMedia struct {
	ID uint64 `gorm:"primaryKey"`
	// MessageID is the fan's message; Part is "main" (the image, voice or
	// video) or "thumb" (a video's cover).
	MessageID uint64 `gorm:"not null;uniqueIndex:idx_fan_media_message_part,priority:1"`
	Part      string `gorm:"size:8;not null;uniqueIndex:idx_fan_media_message_part,priority:2"`
	OpenID    string `gorm:"size:64;not null"`
	// Kind is image, voice, video, shortvideo or thumb.
	Kind    string `gorm:"size:16;not null"`
	MediaID string `gorm:"size:191;not null"`
	// Format is a voice note's format (amr, mp3, speex…).
	Format string `gorm:"size:16;not null;default:''"`
	// State: pending (to fetch), stored (FileKey holds it), gone (WeChat no
	// longer had it: 40007), failed (gave up after retries), expired (the
	// retention period deleted the file).
	State       string `gorm:"size:16;not null;index:idx_fan_media_state_next,priority:1"`
	FileKey     string `gorm:"size:255;not null;default:''"`
	ContentType string `gorm:"size:64;not null;default:''"`
	Size        int64  `gorm:"not null;default:0"`
	Attempts    int    `gorm:"not null;default:0"`
	// NextAt is when a pending download is due; ClaimedUntil is when a
	// worker's claim on it lapses (a worker that died leaves it to others).
	NextAt       time.Time `gorm:"not null;index:idx_fan_media_state_next,priority:2"`
	ClaimedUntil time.Time `gorm:"not null"`
	Error        string    `gorm:"size:255;not null;default:''"`
	StoredAt     *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TableName keeps the table's name as the migration made it.
func (FanMedia) TableName() string { return "fan_media" }

// Fan media states.
const (
	FanMediaPending = "pending"
	FanMediaStored  = "stored"
	FanMediaGone    = "gone"
	FanMediaFailed  = "failed"
	FanMediaExpired = "expired"
)

// Fan media parts.
const (
	FanMediaMain  = "main"
	FanMediaThumb = "thumb"
)

// QueueFanMedia records the downloads a fan's message needs. A message
// queued before (WeChat's retry) keeps its rows as they are.
func (s *Store) QueueFanMedia(ctx context.Context, items []FanMedia, now time.Time) error {
	if len(items) == 0 {
		return nil
	}
	for i := range items {
		items[i].State, items[i].NextAt, items[i].ClaimedUntil = FanMediaPending, now, now
		items[i].CreatedAt, items[i].UpdatedAt = now, now
	}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&items).Error
	return translate("queue fan media", err)
}

// ClaimFanMedia claims up to n pending downloads that are due at now for
// the worker, for lease: each claim is a conditional update, so of two
// processes asking at once only one gets a given row.
func (s *Store) ClaimFanMedia(ctx context.Context, n int, now time.Time, lease time.Duration) ([]FanMedia, error) {
	var due []FanMedia
	err := s.db.WithContext(ctx).Where("state = ? AND next_at <= ? AND claimed_until <= ?", FanMediaPending, now, now).
		Order("next_at, id").Limit(n).Find(&due).Error
	if err != nil {
		return nil, translate("find fan media", err)
	}
	var out []FanMedia
	for _, f := range due {
		res := s.db.WithContext(ctx).Model(&FanMedia{}).
			Where("id = ? AND state = ? AND claimed_until <= ?", f.ID, FanMediaPending, now).
			Updates(map[string]any{"claimed_until": now.Add(lease), "attempts": f.Attempts + 1, "updated_at": now})
		if res.Error != nil {
			return out, translate("claim fan media", res.Error)
		}
		if res.RowsAffected == 1 {
			f.Attempts++
			f.ClaimedUntil = now.Add(lease)
			out = append(out, f)
		}
	}
	return out, nil
}

// StoreFanMedia marks a claimed download done: the file is at key.
func (s *Store) StoreFanMedia(ctx context.Context, id uint64, key, contentType string, size int64, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&FanMedia{}).Where("id = ?", id).Updates(map[string]any{
		"state": FanMediaStored, "file_key": key, "content_type": truncateUTF8(contentType, 64), "size": size,
		"stored_at": now, "error": "", "claimed_until": now, "updated_at": now}).Error
	return translate("store fan media", err)
}

// RetryFanMedia puts a failed attempt back in the queue, due at next.
func (s *Store) RetryFanMedia(ctx context.Context, id uint64, why string, next, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&FanMedia{}).Where("id = ?", id).Updates(map[string]any{
		"next_at": next, "claimed_until": now, "error": truncateUTF8(why, 255), "updated_at": now}).Error
	return translate("retry fan media", err)
}

// EndFanMedia gives a download up with state (gone or failed) and why.
func (s *Store) EndFanMedia(ctx context.Context, id uint64, state, why string, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&FanMedia{}).Where("id = ?", id).Updates(map[string]any{
		"state": state, "claimed_until": now, "error": truncateUTF8(why, 255), "updated_at": now}).Error
	return translate("end fan media", err)
}

// FanMediaStoredBefore lists up to n stored files fetched before cutoff
// (the retention sweep's work).
func (s *Store) FanMediaStoredBefore(ctx context.Context, cutoff time.Time, n int) ([]FanMedia, error) {
	var out []FanMedia
	err := s.db.WithContext(ctx).Where("state = ? AND stored_at < ?", FanMediaStored, cutoff).Order("id").Limit(n).Find(&out).Error
	return out, translate("find old fan media", err)
}

// ExpireFanMedia marks a stored file deleted by the retention period.
func (s *Store) ExpireFanMedia(ctx context.Context, id uint64, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&FanMedia{}).Where("id = ? AND state = ?", id, FanMediaStored).Updates(map[string]any{
		"state": FanMediaExpired, "file_key": "", "updated_at": now}).Error
	return translate("expire fan media", err)
}

// FanMediaFor returns the media rows of the given messages, by message id
// and part.
func (s *Store) FanMediaFor(ctx context.Context, messageIDs []uint64) (map[uint64]map[string]FanMedia, error) {
	out := map[uint64]map[string]FanMedia{}
	if len(messageIDs) == 0 {
		return out, nil
	}
	var rows []FanMedia
	if err := s.db.WithContext(ctx).Where("message_id IN ?", messageIDs).Find(&rows).Error; err != nil {
		return nil, translate("fan media of messages", err)
	}
	for _, r := range rows {
		if out[r.MessageID] == nil {
			out[r.MessageID] = map[string]FanMedia{}
		}
		out[r.MessageID][r.Part] = r
	}
	return out, nil
}

// FindFanMedia returns one message's file (part main or thumb).
func (s *Store) FindFanMedia(ctx context.Context, messageID uint64, part string) (*FanMedia, error) {
	var f FanMedia
	err := s.db.WithContext(ctx).Where("message_id = ? AND part = ?", messageID, part).Take(&f).Error
	if err != nil {
		return nil, translate("find fan media", err)
	}
	return &f, nil
}
