package models

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Follower is what WeChat's user API says about one follower.
type Follower struct {
	OpenID       string
	UnionID      string
	Subscribed   bool
	SubscribedAt *time.Time
	Scene        string
}

// UpsertFollowers records followers from a sync. It is idempotent and safe
// while messages arrive: it creates missing members and fills gaps, but
// never overwrites what the callback recorded (times, scenes, activity).
func (s *Store) UpsertFollowers(ctx context.Context, fs []Follower) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// New members in multi-row inserts; then the gaps of existing ones.
		fresh := make([]Member, 0, len(fs))
		for _, f := range fs {
			if f.OpenID == "" {
				continue
			}
			m := Member{OpenID: f.OpenID, UnionID: f.UnionID, Subscribed: f.Subscribed, Stage: StageProspect, Level: LevelFollower,
				FirstSubscribedAt: f.SubscribedAt, LastSubscribedAt: f.SubscribedAt, SubscribeScene: f.Scene}
			if f.SubscribedAt != nil {
				m.Follows = 1
			}
			fresh = append(fresh, m)
		}
		// The pure-Go SQLite driver binds parameters in time quadratic in
		// their number, so its statements stay small (20 rows ≈ 400 values).
		batch := 500
		if tx.Dialector.Name() == "sqlite" {
			batch = 20
		}
		if len(fresh) > 0 {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(fresh, batch).Error; err != nil {
				return err
			}
		}
		for _, f := range fs {
			if f.OpenID == "" {
				continue
			}
			q := tx.Model(&Member{}).Where("open_id = ?", f.OpenID)
			if f.UnionID != "" {
				if err := q.Where("union_id = ''").Update("union_id", f.UnionID).Error; err != nil {
					return err
				}
			}
			if f.SubscribedAt != nil {
				if err := tx.Model(&Member{}).Where("open_id = ? AND first_subscribed_at IS NULL", f.OpenID).
					Updates(map[string]any{"first_subscribed_at": f.SubscribedAt, "last_subscribed_at": f.SubscribedAt}).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	return translate("upsert followers", err)
}

// SyncState is the progress of a follower sync, kept in the database so
// it resumes after a restart and every process sees it.
type SyncState struct {
	Running    bool      `json:"running"`
	Next       string    `json:"next"` // cursor: the next page starts after this openid
	Done       int       `json:"done"`
	Total      int       `json:"total"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitempty"`
	Error      string    `json:"error,omitempty"`
}

const syncKey = "follower_sync"

// SyncState returns the follower sync's progress.
func (s *Store) SyncState(ctx context.Context) (SyncState, error) {
	var st SyncState
	_, err := s.getSetting(ctx, syncKey, &st)
	return st, err
}

// SaveSyncState stores the follower sync's progress.
func (s *Store) SaveSyncState(ctx context.Context, st SyncState) error {
	return s.putSetting(ctx, syncKey, st)
}
