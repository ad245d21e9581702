package models

import (
	"context"
	"encoding/json"
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

// errSyncRunning is StartSync's answer while a follower sync runs; the
// message leads with the Chinese the console shows.
func errSyncRunning(st SyncState) error {
	if st.Total == 0 { // not past its first page yet
		return Errorf(ECONFLICT, "同步已在进行中: a follower sync is already running")
	}
	return Errorf(ECONFLICT, "同步已在进行中（%d / %d）: a follower sync is already running (%d of %d)", st.Done, st.Total, st.Done, st.Total)
}

// StartSync asks for a full follower sync starting at now, unless one is
// running (ECONFLICT, "同步已在进行中"). Requests at the same moment — two
// clicks, two processes, the daily job — start exactly one: the state row
// moves from idle to running by one conditional UPDATE, and only the caller
// whose UPDATE changed the row has started a sync.
func (s *Store) StartSync(ctx context.Context, now time.Time) error {
	running, err := json.Marshal(SyncState{Running: true, StartedAt: now})
	if err != nil {
		return err
	}
	idle, err := json.Marshal(SyncState{})
	if err != nil {
		return err
	}
	db := s.db.WithContext(ctx)
	// The row exists after the first start; before it, create it idle so
	// that the UPDATE decides every start, the first one too.
	err = db.Clauses(clause.OnConflict{DoNothing: true}).Create(&setting{Key: syncKey, Value: string(idle), UpdatedAt: s.now()}).Error
	if err != nil {
		return translate("start sync", err)
	}
	// The value is SyncState's JSON, whose first field is running: the
	// sync is idle unless the value begins {"running":true. The new value
	// always differs from an idle one, so MySQL counts the row as changed.
	res := db.Model(&setting{}).Where("name = ? AND value NOT LIKE ?", syncKey, `{"running":true%`).
		Updates(map[string]any{"value": string(running), "updated_at": s.now()})
	if res.Error != nil {
		return translate("start sync", res.Error)
	}
	if res.RowsAffected == 1 {
		return nil
	}
	st, err := s.SyncState(ctx)
	if err != nil {
		return err
	}
	return errSyncRunning(st)
}
