package models

import (
	"context"
	"time"
)

// The member centre's queries: what one fan may see of the catalogue, their
// coupons and the topics. Every query is scoped to the member, so a fan's
// page can never read another fan's rows by id.

// RedemptionByKey returns the redemption made under an idempotency key
// (nil when there is none).
func (s *Store) RedemptionByKey(ctx context.Context, key string) (*Redemption, error) {
	var r Redemption
	err := s.db.WithContext(ctx).Where("idem_key = ?", key).Take(&r).Error
	if isNotFound(err) {
		return nil, nil
	}
	return &r, translate("redemption", err)
}

// MemberRedemption returns one of the member's redemptions: ENOTFOUND when
// the id is unknown or belongs to someone else.
func (s *Store) MemberRedemption(ctx context.Context, memberID, id uint64) (*Redemption, error) {
	var r Redemption
	err := s.db.WithContext(ctx).Where("member_id = ?", memberID).Take(&r, id).Error
	return &r, translate("redemption", err)
}

// MemberTopicEntries returns the member's entries to the given topics,
// newest first (hidden ones too: the fan wrote them).
func (s *Store) MemberTopicEntries(ctx context.Context, memberID uint64, topicIDs []uint64) ([]TopicEntry, error) {
	if len(topicIDs) == 0 {
		return nil, nil
	}
	var out []TopicEntry
	err := s.db.WithContext(ctx).Where("member_id = ? AND topic_id IN ?", memberID, topicIDs).Order("id DESC").Limit(200).Find(&out).Error
	return out, translate("member topic entries", err)
}

// FeaturedTopicEntries returns the wall of the given topics: the entries
// staff featured and did not hide, newest first, at most limit per call.
func (s *Store) FeaturedTopicEntries(ctx context.Context, topicIDs []uint64, limit int) ([]TopicEntry, error) {
	if len(topicIDs) == 0 {
		return nil, nil
	}
	var out []TopicEntry
	err := s.db.WithContext(ctx).Where("topic_id IN ? AND featured = ? AND hidden = ?", topicIDs, true, false).
		Order("id DESC").Limit(limit).Find(&out).Error
	return out, translate("featured topic entries", err)
}

// OpenTopics returns the topics running at now (started, not ended).
func (s *Store) OpenTopics(ctx context.Context, now time.Time) ([]Topic, error) {
	var out []Topic
	err := s.db.WithContext(ctx).Where("starts_at <= ? AND ends_at > ?", now.UTC(), now.UTC()).Order("ends_at, id").Find(&out).Error
	return out, translate("open topics", err)
}

// ReferralRewards returns the rewards of the friends a member brought,
// newest first (at most limit).
func (s *Store) ReferralRewards(ctx context.Context, referrerID uint64, limit int) ([]ReferralReward, error) {
	var out []ReferralReward
	err := s.db.WithContext(ctx).Where("referrer_id = ?", referrerID).Order("id DESC").Limit(limit).Find(&out).Error
	return out, translate("referral rewards", err)
}
