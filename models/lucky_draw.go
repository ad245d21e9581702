package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Lucky draw states: fans enter an open draw until it is drawn.
const (
	LuckyDrawOpen  = "open"
	LuckyDrawDrawn = "drawn"
)

// LuckyDraw is a draw fans enter themselves (the member centre's 抽奖),
// unlike Draw, which picks among a segment. Drawing it records a Draw
// (entrants, seed, winners), so it can be replayed and its winners told
// through the same notify path.
type LuckyDraw struct {
	ID       uint64    `gorm:"primaryKey"`
	Title    string    `gorm:"size:100;not null"`
	Prize    string    `gorm:"size:191;not null"`
	StartsAt time.Time `gorm:"not null"`
	EndsAt   time.Time `gorm:"not null"`
	// Cost is the points an entry spends (0: free).
	Cost    int64  `gorm:"not null;default:0"`
	Winners int    `gorm:"not null"`
	State   string `gorm:"size:16;not null;index"`
	// DrawID is the recorded Draw once drawn.
	DrawID    *uint64
	StaffID   uint64
	CreatedAt time.Time
}

// LuckyDrawEntry is one member's entry: one per member and draw (a unique
// key), whatever the number of clicks or messages.
type LuckyDrawEntry struct {
	ID          uint64 `gorm:"primaryKey"`
	LuckyDrawID uint64 `gorm:"not null;uniqueIndex:idx_lucky_draw_entries_draw_member,priority:1"`
	MemberID    uint64 `gorm:"not null;uniqueIndex:idx_lucky_draw_entries_draw_member,priority:2;index"`
	Cost        int64  `gorm:"not null;default:0"`
	CreatedAt   time.Time
}

// Validate checks a draw before it is stored.
func (d *LuckyDraw) Validate() error {
	d.Title, d.Prize = strings.TrimSpace(d.Title), strings.TrimSpace(d.Prize)
	switch {
	case d.Title == "" || len(d.Title) > 100:
		return Errorf(EINVALID, "a draw needs a title of 1-100 bytes")
	case d.Prize == "" || len(d.Prize) > 191:
		return Errorf(EINVALID, "a draw needs a prize of 1-191 bytes")
	case !d.EndsAt.After(d.StartsAt):
		return Errorf(EINVALID, "the entry window must end after it starts")
	case d.Cost < 0:
		return Errorf(EINVALID, "the points cost must not be negative")
	case d.Winners <= 0 || d.Winners > MaxDrawWinners:
		return Errorf(EINVALID, "a draw needs 1-%d winners", MaxDrawWinners)
	}
	return nil
}

// CreateLuckyDraw stores a new draw, open for entries in its window.
func (s *Store) CreateLuckyDraw(ctx context.Context, d LuckyDraw) (*LuckyDraw, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	d.ID, d.State, d.DrawID, d.CreatedAt = 0, LuckyDrawOpen, nil, s.now()
	d.StartsAt, d.EndsAt = d.StartsAt.UTC(), d.EndsAt.UTC()
	return &d, translate("create lucky draw", s.db.WithContext(ctx).Create(&d).Error)
}

// LuckyDraws returns the newest draws first.
func (s *Store) LuckyDraws(ctx context.Context, limit int) ([]LuckyDraw, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var out []LuckyDraw
	return out, translate("lucky draws", s.db.WithContext(ctx).Order("id DESC").Limit(limit).Find(&out).Error)
}

// FindLuckyDraw returns one draw.
func (s *Store) FindLuckyDraw(ctx context.Context, id uint64) (*LuckyDraw, error) {
	var d LuckyDraw
	return &d, translate("lucky draw", s.db.WithContext(ctx).Take(&d, id).Error)
}

// LuckyDrawEntryCount is how many members entered a draw.
func (s *Store) LuckyDrawEntryCount(ctx context.Context, id uint64) (int64, error) {
	var n int64
	return n, translate("lucky draw entries", s.db.WithContext(ctx).Model(&LuckyDrawEntry{}).Where("lucky_draw_id = ?", id).Count(&n).Error)
}

// Why an entry is refused (the codes of EINVALID errors' messages, for
// callers that word them for fans).
const (
	LuckyDrawNotStarted = "lucky draw not started"
	LuckyDrawClosed     = "lucky draw closed"
	LuckyDrawNoPoints   = "not enough points"
)

// EnterLuckyDraw enters a member once: a repeated entry returns the first
// (again = true) and spends nothing. The points cost is spent through the
// ledger under the key "luckydraw:<draw>:<member>" in the entry's
// transaction, so an entry without its points (or points without their
// entry) cannot happen.
func (s *Store) EnterLuckyDraw(ctx context.Context, drawID, memberID uint64) (e *LuckyDrawEntry, again bool, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		// Lock the member first: one member's entries queue here, and
		// each then reads the entries committed before it (on MariaDB a
		// snapshot taken before the lock would miss the first entry and
		// report "not enough points" for the points it spent).
		var m Member
		if err := tx.Clauses(lockForUpdate(tx)...).Select("id").Take(&m, memberID).Error; err != nil {
			return err
		}
		var prior LuckyDrawEntry
		if err := tx.Clauses(lockForUpdate(tx)...).Where("lucky_draw_id = ? AND member_id = ?", drawID, memberID).Take(&prior).Error; err == nil {
			e, again = &prior, true
			return nil
		} else if !isNotFound(err) {
			return err
		}
		var d LuckyDraw
		if err := tx.Take(&d, drawID).Error; err != nil {
			if isNotFound(err) {
				return Errorf(ENOTFOUND, "no such lucky draw")
			}
			return err
		}
		now := s.now()
		switch {
		case d.State != LuckyDrawOpen || !now.Before(d.EndsAt):
			return Errorf(EINVALID, LuckyDrawClosed)
		case now.Before(d.StartsAt):
			return Errorf(EINVALID, LuckyDrawNotStarted)
		}
		if d.Cost > 0 {
			if _, _, err := ledgerTx(tx, now, memberID, -d.Cost, SourceLuckyDraw, SystemReason(ReasonLuckyDraw, d.Title),
				"luckydraw:"+itoa(d.ID)+":"+itoa(memberID), nil, nil); err != nil {
				if ErrorCode(err) == EINVALID {
					return Errorf(EINVALID, LuckyDrawNoPoints)
				}
				return err
			}
		}
		e = &LuckyDrawEntry{LuckyDrawID: d.ID, MemberID: memberID, Cost: d.Cost, CreatedAt: now}
		return tx.Create(e).Error
	})
	if err != nil && isDuplicate(err) {
		// Two entries at the same moment: the loser finds the winner's.
		var prior LuckyDrawEntry
		if ferr := s.db.WithContext(ctx).Where("lucky_draw_id = ? AND member_id = ?", drawID, memberID).Take(&prior).Error; ferr == nil {
			return &prior, true, nil
		}
	}
	if err != nil {
		return nil, false, translate("enter lucky draw", err)
	}
	return e, again, nil
}

// DrawLuckyDraw closes a draw and picks its winners among its entrants only
// (ascending member ids, a fresh 32-byte crypto/rand seed, PickWinners),
// recorded as a Draw. It runs once: the state moves from open to drawn
// under a condition, so a second click or a second process gets ECONFLICT
// and nothing is recorded twice.
func (s *Store) DrawLuckyDraw(ctx context.Context, id, staffID uint64) (*LuckyDraw, *Draw, error) {
	var d LuckyDraw
	var rec Draw
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(lockForUpdate(tx)...).Take(&d, id).Error; err != nil {
			if isNotFound(err) {
				return Errorf(ENOTFOUND, "no such lucky draw")
			}
			return err
		}
		if d.State != LuckyDrawOpen {
			return Errorf(ECONFLICT, "the lucky draw has already been drawn")
		}
		ids := []uint64{}
		if err := tx.Model(&LuckyDrawEntry{}).Where("lucky_draw_id = ?", id).Order("member_id").Pluck("member_id", &ids).Error; err != nil {
			return err
		}
		seed := make([]byte, 32)
		if _, err := rand.Read(seed); err != nil {
			return err
		}
		winners := PickWinners(ids, hex.EncodeToString(seed), d.Winners)
		fb, _ := json.Marshal(map[string]uint64{"lucky_draw": id})
		eb, _ := json.Marshal(ids)
		wb, _ := json.Marshal(winners)
		rec = Draw{Name: truncateUTF8(d.Title, 100), Filter: string(fb), Entrants: string(eb), Seed: hex.EncodeToString(seed),
			Winners: string(wb), StaffID: staffID, CreatedAt: s.now()}
		if err := tx.Create(&rec).Error; err != nil {
			return err
		}
		res := tx.Model(&LuckyDraw{}).Where("id = ? AND state = ?", id, LuckyDrawOpen).
			Updates(map[string]any{"state": LuckyDrawDrawn, "draw_id": rec.ID})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ECONFLICT, "the lucky draw has already been drawn")
		}
		d.State, d.DrawID = LuckyDrawDrawn, &rec.ID
		return nil
	})
	if err != nil {
		return nil, nil, translate("draw lucky draw", err)
	}
	return &d, &rec, nil
}

// MyLuckyDraw is one draw as a member sees it: whether they entered and,
// once drawn, whether they won.
type MyLuckyDraw struct {
	Draw    LuckyDraw
	Entered bool
	Won     bool
}

// LuckyDrawsFor lists the newest draws with member's entry and result. A
// member only ever sees their own entries.
func (s *Store) LuckyDrawsFor(ctx context.Context, memberID uint64, limit int) ([]MyLuckyDraw, error) {
	draws, err := s.LuckyDraws(ctx, limit)
	if err != nil || len(draws) == 0 {
		return nil, err
	}
	ids := make([]uint64, len(draws))
	recIDs := []uint64{}
	for i, d := range draws {
		ids[i] = d.ID
		if d.DrawID != nil {
			recIDs = append(recIDs, *d.DrawID)
		}
	}
	var entered []uint64
	if err := s.db.WithContext(ctx).Model(&LuckyDrawEntry{}).Where("member_id = ? AND lucky_draw_id IN ?", memberID, ids).
		Pluck("lucky_draw_id", &entered).Error; err != nil {
		return nil, translate("my lucky draws", err)
	}
	in := map[uint64]bool{}
	for _, id := range entered {
		in[id] = true
	}
	won := map[uint64]bool{}
	if len(recIDs) > 0 {
		var recs []Draw
		if err := s.db.WithContext(ctx).Select("id, winners").Where("id IN ?", recIDs).Find(&recs).Error; err != nil {
			return nil, translate("my lucky draws", err)
		}
		for _, r := range recs {
			ws, err := r.WinnerIDs()
			if err != nil {
				return nil, err
			}
			for _, w := range ws {
				if w == memberID {
					won[r.ID] = true
				}
			}
		}
	}
	out := make([]MyLuckyDraw, len(draws))
	for i, d := range draws {
		out[i] = MyLuckyDraw{Draw: d, Entered: in[d.ID], Won: d.DrawID != nil && won[*d.DrawID]}
	}
	return out, nil
}
