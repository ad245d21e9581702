package models

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// Channel is an acquisition channel: a QR code with its own scene, so every
// follow and scan through it is attributed.
type Channel struct {
	ID    uint64 `gorm:"primaryKey"`
	Name  string `gorm:"size:100;not null"`
	Scene string `gorm:"size:64;uniqueIndex;not null"`
	// Permanent codes never expire (≤ 100,000 per account); temporary ones
	// last ExpireSeconds (≤ 30 days).
	Permanent     bool
	ExpireSeconds int64
	Ticket        string `gorm:"size:255"`
	URL           string `gorm:"size:255"`
	ExpiresAt     *time.Time
	// WelcomePoints and WelcomeTags are given on a first follow through it.
	WelcomePoints int64
	WelcomeTags   string `gorm:"type:text"` // JSON list
	// WelcomeGiftID is a gift or coupon given free on a first follow.
	WelcomeGiftID *uint64
	CreatedAt     time.Time
}

// Expired reports whether a temporary code has expired at now (a permanent
// one never does); WeChat no longer resolves its scans.
func (c *Channel) Expired(now time.Time) bool {
	return c.ExpiresAt != nil && !now.Before(*c.ExpiresAt)
}

// Tags returns the channel's welcome tags.
func (c *Channel) Tags() []string {
	var out []string
	_ = json.Unmarshal([]byte(c.WelcomeTags), &out)
	return out
}

// ChannelEvent records a scan or follow through a channel.
type ChannelEvent struct {
	ID        uint64    `gorm:"primaryKey"`
	ChannelID uint64    `gorm:"index:idx_chev_channel,priority:1;not null"`
	MemberID  uint64    `gorm:"index;not null"`
	Kind      string    `gorm:"size:16;not null"` // follow, scan
	CreatedAt time.Time `gorm:"index:idx_chev_channel,priority:2"`
}

// NewChannel is what a marketer fills in.
type NewChannel struct {
	Name          string
	Scene         string
	Permanent     bool
	ExpireSeconds int64
	WelcomePoints int64
	WelcomeTags   []string
	WelcomeGiftID uint64 // 0: none
}

var scenePattern = regexp.MustCompile(`^[A-Za-z0-9_\-.]{1,64}$`)

// ReferralScenePrefix marks personal referral codes' scenes.
const ReferralScenePrefix = "ref_"

// Validate applies the platform's QR limits.
func (n *NewChannel) Validate() error {
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" || len(n.Name) > 100 {
		return Errorf(EINVALID, "channel name must be 1-100 characters")
	}
	if !scenePattern.MatchString(n.Scene) {
		return Errorf(EINVALID, "scene must be 1-64 letters, digits, '_', '-' or '.'")
	}
	if strings.HasPrefix(n.Scene, ReferralScenePrefix) {
		return Errorf(EINVALID, "scenes starting with %q are reserved for referral codes", ReferralScenePrefix)
	}
	if !n.Permanent && (n.ExpireSeconds < 60 || n.ExpireSeconds > 2592000) {
		return Errorf(EINVALID, "a temporary code lasts 60 s to 30 days (2592000 s)")
	}
	if n.WelcomePoints < 0 {
		return Errorf(EINVALID, "welcome points must not be negative")
	}
	for _, t := range n.WelcomeTags {
		if err := ValidTagName(t); err != nil {
			return err
		}
	}
	return nil
}

// CreateChannel stores a channel once WeChat issued its ticket.
func (s *Store) CreateChannel(ctx context.Context, n NewChannel, ticket, url string, expireSeconds int64) (*Channel, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	tags, _ := json.Marshal(n.WelcomeTags)
	c := &Channel{Name: n.Name, Scene: n.Scene, Permanent: n.Permanent, ExpireSeconds: expireSeconds,
		Ticket: ticket, URL: url, WelcomePoints: n.WelcomePoints, WelcomeTags: string(tags)}
	if n.WelcomeGiftID != 0 {
		if err := s.db.WithContext(ctx).Take(&Gift{}, n.WelcomeGiftID).Error; err != nil {
			if isNotFound(err) {
				return nil, Errorf(EINVALID, "the welcome gift does not exist")
			}
			return nil, translate("create channel", err)
		}
		c.WelcomeGiftID = &n.WelcomeGiftID
	}
	if !n.Permanent {
		at := s.now().Add(time.Duration(expireSeconds) * time.Second)
		c.ExpiresAt = &at
	}
	err := s.db.WithContext(ctx).Create(c).Error
	if isDuplicate(err) {
		return nil, Errorf(ECONFLICT, "scene %q is already used by another channel", n.Scene)
	}
	return c, translate("create channel", err)
}

// CountPermanentChannels counts permanent codes (the platform allows 100,000).
func (s *Store) CountPermanentChannels(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Channel{}).Where("permanent = ?", true).Count(&n).Error
	return n, translate("count channels", err)
}

// ChannelByScene finds the channel of a QR scene (nil when none).
func (s *Store) ChannelByScene(ctx context.Context, scene string) (*Channel, error) {
	var c Channel
	err := s.db.WithContext(ctx).Where("scene = ?", scene).Take(&c).Error
	if isNotFound(err) {
		return nil, nil
	}
	return &c, translate("channel", err)
}

// FindChannel returns one channel.
func (s *Store) FindChannel(ctx context.Context, id uint64) (*Channel, error) {
	var c Channel
	err := s.db.WithContext(ctx).Take(&c, id).Error
	return &c, translate("channel", err)
}

// ListChannels returns all channels, newest first.
func (s *Store) ListChannels(ctx context.Context) ([]Channel, error) {
	var out []Channel
	err := s.db.WithContext(ctx).Order("id DESC").Find(&out).Error
	return out, translate("list channels", err)
}

// RecordChannelEvent attributes a follow or scan to a channel.
func (s *Store) RecordChannelEvent(ctx context.Context, channelID, memberID uint64, kind string) error {
	return translate("channel event", s.db.WithContext(ctx).Create(&ChannelEvent{ChannelID: channelID, MemberID: memberID, Kind: kind, CreatedAt: s.now()}).Error)
}

// ChannelStats are a channel's numbers.
type ChannelStats struct {
	Scans      int64 `json:"scans"`
	Follows    int64 `json:"follows"`
	Unfollow1  int64 `json:"unfollows_1d"` // of those follows, gone within a day
	Unfollow7  int64 `json:"unfollows_7d"`
	Unfollow30 int64 `json:"unfollows_30d"`
}

// ChannelStatsFor counts scans and follows through a channel and how many
// of the followers left within 1, 7 and 30 days.
func (s *Store) ChannelStatsFor(ctx context.Context, channelID uint64) (ChannelStats, error) {
	var st ChannelStats
	db := s.db.WithContext(ctx)
	if err := db.Model(&ChannelEvent{}).Where("channel_id = ? AND kind = ?", channelID, "scan").Count(&st.Scans).Error; err != nil {
		return st, translate("channel stats", err)
	}
	// One query for every follow with its member's last unfollow (not a
	// query per follow).
	var follows []struct {
		CreatedAt      time.Time
		UnsubscribedAt *time.Time
	}
	if err := db.Table("channel_events AS ce").Select("ce.created_at, m.unsubscribed_at").
		Joins("LEFT JOIN members m ON m.id = ce.member_id").
		Where("ce.channel_id = ? AND ce.kind = ?", channelID, "follow").Scan(&follows).Error; err != nil {
		return st, translate("channel stats", err)
	}
	st.Follows = int64(len(follows))
	for _, f := range follows {
		if f.UnsubscribedAt == nil {
			continue
		}
		gone := f.UnsubscribedAt.Sub(f.CreatedAt)
		if gone < 0 {
			continue // left before this follow: an older stay
		}
		if gone <= 24*time.Hour {
			st.Unfollow1++
		}
		if gone <= 7*24*time.Hour {
			st.Unfollow7++
		}
		if gone <= 30*24*time.Hour {
			st.Unfollow30++
		}
	}
	return st, nil
}
