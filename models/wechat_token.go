package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// WeChatToken is the access token the fivec processes of one account share
// through the database: one process refreshes it (holding the refresh
// lock), the others read it.
type WeChatToken struct {
	AppID string `gorm:"primaryKey;size:64"`
	// Token is empty until the first fetch.
	Token string `gorm:"size:1024;not null;default:''"`
	// ExpiresAt is when processes stop using Token (WeChat's expires_in
	// minus a margin), or the moment a process saw WeChat refuse it.
	ExpiresAt time.Time `gorm:"not null"`
	// Refresher holds the refresh lock until RefreshUntil.
	Refresher    string `gorm:"size:128;not null;default:''"`
	RefreshUntil *time.Time
	UpdatedAt    time.Time
}

// TableName keeps gorm from splitting "WeChat" into "we_chat".
func (WeChatToken) TableName() string { return "wechat_tokens" }

// SharedToken returns the stored token of appID (an empty one when none was
// fetched yet).
func (s *Store) SharedToken(ctx context.Context, appID string) (*WeChatToken, error) {
	var t WeChatToken
	err := s.db.WithContext(ctx).Where("app_id = ?", appID).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return &WeChatToken{AppID: appID}, nil
	}
	return &t, translate("read shared token", err)
}

// TakeTokenRefresh gives holder the right to fetch a new token for appID,
// for ttl, when the stored token is still seen (the one the caller found
// unusable) and nobody else holds the lock. A caller who gets false reads
// the token again: someone else refreshed it or is refreshing it.
func (s *Store) TakeTokenRefresh(ctx context.Context, appID, seen, holder string, ttl time.Duration) (bool, error) {
	now := s.now()
	db := s.db.WithContext(ctx)
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).
		Create(&WeChatToken{AppID: appID, ExpiresAt: now, UpdatedAt: now}).Error; err != nil {
		return false, translate("take token refresh", err)
	}
	until := now.Add(ttl)
	res := db.Model(&WeChatToken{}).
		Where("app_id = ? AND token = ? AND (refresh_until IS NULL OR refresh_until <= ?)", appID, seen, now).
		Updates(map[string]any{"refresher": holder, "refresh_until": until})
	return res.RowsAffected == 1, translate("take token refresh", res.Error)
}

// StoreSharedToken saves the token holder fetched and releases the lock. It
// returns false (and stores nothing) when holder lost the lock meanwhile.
func (s *Store) StoreSharedToken(ctx context.Context, appID, holder, token string, expiresAt time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&WeChatToken{}).Where("app_id = ? AND refresher = ?", appID, holder).
		Updates(map[string]any{"token": token, "expires_at": expiresAt.UTC(), "refresher": "", "refresh_until": nil, "updated_at": s.now()})
	return res.RowsAffected == 1, translate("store shared token", res.Error)
}

// ReleaseTokenRefresh gives up holder's lock after a failed fetch, so the
// next process may try at once.
func (s *Store) ReleaseTokenRefresh(ctx context.Context, appID, holder string) error {
	return translate("release token refresh", s.db.WithContext(ctx).Model(&WeChatToken{}).
		Where("app_id = ? AND refresher = ?", appID, holder).
		Updates(map[string]any{"refresher": "", "refresh_until": nil}).Error)
}

// ExpireSharedToken marks token unusable because WeChat refused it
// (40001/42001). Only that token: when another process already stored a
// newer one, nothing changes, so one refusal seen by many processes leads
// to one refresh.
func (s *Store) ExpireSharedToken(ctx context.Context, appID, token string) error {
	now := s.now()
	return translate("expire shared token", s.db.WithContext(ctx).Model(&WeChatToken{}).
		Where("app_id = ? AND token = ? AND expires_at > ?", appID, token, now).
		Update("expires_at", now).Error)
}
