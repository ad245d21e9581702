package models

import (
	"time"

	"gorm.io/gorm"
)

// Frozen structs of step 44 (share tracking): the live ShareLink and
// ShareOpen change later; these stay as the step built them.
type shareLinkV1 struct {
	ID           uint64 `gorm:"primaryKey"`
	Title        string `gorm:"size:100;not null"`
	TargetURL    string `gorm:"size:1024;not null"`
	Source       string `gorm:"size:64;not null;default:'';index"`
	OutsideOpens int64  `gorm:"not null;default:0"`
	CreatedAt    time.Time
}

func (shareLinkV1) TableName() string { return "share_links" }

type shareOpenV1 struct {
	ID         uint64  `gorm:"primaryKey"`
	LinkID     uint64  `gorm:"not null;uniqueIndex:idx_share_opens_link_openid,priority:1"`
	OpenID     string  `gorm:"size:64;not null;uniqueIndex:idx_share_opens_link_openid,priority:2"`
	MemberID   *uint64 `gorm:"index"`
	ViaID      uint64  `gorm:"not null;index"`
	Opens      int64   `gorm:"not null;default:1"`
	Paid       int64   `gorm:"not null;default:0"`
	FollowedAt *time.Time
	FirstAt    time.Time `gorm:"not null"`
	LastAt     time.Time `gorm:"not null"`
}

func (shareOpenV1) TableName() string { return "share_opens" }

// migrateShareTracking (step 44) adds share_links and share_opens.
func migrateShareTracking(tx *gorm.DB) error {
	return tx.AutoMigrate(&shareLinkV1{}, &shareOpenV1{})
}
