package models

import (
	"context"
	"time"
)

// SentPicture is a picture an agent sent from their computer: WeChat
// knows it by a temporary media_id (3 days), fivec keeps the file (FileKey
// in the media store) so the conversation can show it,. Library pictures need no row: the 素材库 keeps them.
type SentPicture struct {
	ID          uint64    `gorm:"primaryKey"`
	MediaID     string    `gorm:"size:191;not null;uniqueIndex"`
	OpenID      string    `gorm:"size:64;not null"`
	FileKey     string    `gorm:"size:255;not null"`
	ContentType string    `gorm:"size:64;not null;default:''"`
	Name        string    `gorm:"size:255;not null;default:''"`
	Size        int64     `gorm:"not null;default:0"`
	ExpiresAt   time.Time `gorm:"not null"` // when WeChat forgets the media_id
	CreatedBy   uint64    `gorm:"not null;default:0"`
	CreatedAt   time.Time
}

// SaveSentPicture records a picture uploaded for a send.
func (s *Store) SaveSentPicture(ctx context.Context, p *SentPicture) error {
	return translate("save sent picture", s.db.WithContext(ctx).Create(p).Error)
}

// SentPictureByMediaID finds the picture WeChat knows as mediaID.
func (s *Store) SentPictureByMediaID(ctx context.Context, mediaID string) (*SentPicture, error) {
	var p SentPicture
	err := s.db.WithContext(ctx).Where("media_id = ?", mediaID).Take(&p).Error
	if isNotFound(err) {
		return nil, Errorf(ENOTFOUND, "sent picture %s: not found", mediaID)
	}
	return &p, translate("sent picture", err)
}
