package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// SignIn is one member's daily check-in (签到).
type SignIn struct {
	ID        uint64 `gorm:"primaryKey"`
	MemberID  uint64 `gorm:"uniqueIndex:idx_signin_member_day,priority:1;not null"`
	Day       string `gorm:"size:10;uniqueIndex:idx_signin_member_day,priority:2;not null"` // YYYY-MM-DD, account zone
	Streak    int    `gorm:"not null"`
	Points    int64  `gorm:"not null"`
	CreatedAt time.Time
}

// SignInRules: Base points a day, plus Bonus on every BonusEvery-th day of
// a streak (e.g. 10 a day, +50 on day 7, 14, …).
type SignInRules struct {
	Base       int64
	Bonus      int64
	BonusEvery int
	// Life is how long the points last (0: forever).
	Life time.Duration
}

// SignInResult is what a check-in did.
type SignInResult struct {
	Already bool
	Streak  int
	Points  int64
	Balance int64
}

// CheckIn signs a member in for day (in the account's zone; yesterday is
// the previous date) and credits the points, once per day.
func (s *Store) CheckIn(ctx context.Context, memberID uint64, day time.Time, r SignInRules) (SignInResult, error) {
	today := day.Format(time.DateOnly)
	yesterday := day.AddDate(0, 0, -1).Format(time.DateOnly)
	var res SignInResult
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var m Member
		if err := tx.Clauses(lockForUpdate(tx)...).Select("id, points").Take(&m, memberID).Error; err != nil {
			return err
		}
		var done SignIn
		err := tx.Where("member_id = ? AND day = ?", memberID, today).Take(&done).Error
		if err == nil {
			res = SignInResult{Already: true, Streak: done.Streak, Points: done.Points, Balance: m.Points}
			return nil
		}
		if !isNotFound(err) {
			return err
		}
		streak := 1
		var prev SignIn
		if err := tx.Where("member_id = ? AND day = ?", memberID, yesterday).Take(&prev).Error; err == nil {
			streak = prev.Streak + 1
		} else if !isNotFound(err) {
			return err
		}
		points := r.Base
		if r.BonusEvery > 0 && streak%r.BonusEvery == 0 {
			points += r.Bonus
		}
		if err := tx.Create(&SignIn{MemberID: memberID, Day: today, Streak: streak, Points: points, CreatedAt: s.now()}).Error; err != nil {
			return err
		}
		res = SignInResult{Streak: streak, Points: points, Balance: m.Points}
		if points > 0 {
			var expires *time.Time
			if r.Life > 0 {
				at := s.now().Add(r.Life)
				expires = &at
			}
			e, _, err := ledgerTx(tx, s.now(), memberID, points, SourceSignIn, SystemReason(ReasonSignInDay, today), "signin:"+itoa(memberID)+":"+today, expires, nil)
			if err != nil {
				return err
			}
			res.Balance = e.Balance
		}
		return nil
	})
	return res, translate("sign in", err)
}

// LeaderboardRow is one line of a points leaderboard.
type LeaderboardRow struct {
	MemberID uint64 `json:"member_id"`
	OpenID   string `json:"openid"`
	Points   int64  `json:"points"`
}

// Leaderboard ranks members by points earned since since (zero: by
// balance, all time).
func (s *Store) Leaderboard(ctx context.Context, since time.Time, limit int) ([]LeaderboardRow, error) {
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	var out []LeaderboardRow
	db := s.db.WithContext(ctx)
	var err error
	if since.IsZero() {
		err = db.Model(&Member{}).Select("id AS member_id, open_id, points").Where("points > 0").
			Order("points DESC, id").Limit(limit).Scan(&out).Error
	} else {
		err = db.Model(&PointsEntry{}).Select("points_entries.member_id, members.open_id, SUM(points_entries.delta) AS points").
			Joins("JOIN members ON members.id = points_entries.member_id").
			Where("points_entries.delta > 0 AND points_entries.created_at >= ? AND points_entries.source <> ?", since.UTC(), SourceStaff).
			Group("points_entries.member_id, members.open_id").Order("points DESC, points_entries.member_id").Limit(limit).Scan(&out).Error
	}
	return out, translate("leaderboard", err)
}

// Streak returns the member's current sign-in streak as of day (0 when the
// last sign-in was before yesterday).
func (s *Store) Streak(ctx context.Context, memberID uint64, day time.Time) (int, error) {
	var last SignIn
	err := s.db.WithContext(ctx).Where("member_id = ? AND day IN ?", memberID,
		[]string{day.Format(time.DateOnly), day.AddDate(0, 0, -1).Format(time.DateOnly)}).Order("day DESC").Take(&last).Error
	if isNotFound(err) {
		return 0, nil
	}
	return last.Streak, translate("streak", err)
}

// SignInDays returns the days (YYYY-MM-DD, the account's zone) from first to
// last, both included, on which the member signed in, oldest first.
func (s *Store) SignInDays(ctx context.Context, memberID uint64, first, last time.Time) ([]string, error) {
	var days []string
	err := s.db.WithContext(ctx).Model(&SignIn{}).Where("member_id = ? AND day >= ? AND day <= ?", memberID,
		first.Format(time.DateOnly), last.Format(time.DateOnly)).Order("day").Pluck("day", &days).Error
	return days, translate("sign-in days", err)
}
