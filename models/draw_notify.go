package models

import (
	"context"
	"strconv"
	"time"
)

// DrawNotice is the latest outcome of telling one winner of a draw.
type DrawNotice struct {
	MemberID uint64    `json:"member_id"`
	OpenID   string    `json:"openid"`
	Sent     bool      `json:"sent"`
	ErrCode  int       `json:"errcode,omitempty"` // WeChat's, e.g. 45015: no open window
	Error    string    `json:"error,omitempty"`   // safe to show
	At       time.Time `json:"at"`
}

// WinnerSender sends the draw's message to one winner. It returns "" when
// the message went out, else why not (with WeChat's errcode, 0 if none).
type WinnerSender func(ctx context.Context, openID string) (errcode int, failure string)

// notifyLease is how long a notification run holds its draw; a run that
// died (a restart) frees the draw after it.
const notifyLease = 10 * time.Minute

func drawNoticesKey(id uint64) string { return "draw_notices:" + strconv.FormatUint(id, 10) }
func drawLeaseKey(id uint64) string   { return "draw_notifying:" + strconv.FormatUint(id, 10) }

// NotifyDrawWinners sends every winner not yet told through send, in pick
// order, and records each outcome as it happens. Repeating it retries only
// the failures, so nobody is told twice; two runs at once are refused. It
// returns every winner's latest outcome.
func (s *Store) NotifyDrawWinners(ctx context.Context, id uint64, send WinnerSender) ([]DrawNotice, error) {
	d, err := s.FindDraw(ctx, id)
	if err != nil {
		return nil, err
	}
	winners, err := d.WinnerIDs()
	if err != nil {
		return nil, err
	}
	if err := s.takeLease(ctx, drawLeaseKey(id)); err != nil {
		return nil, err
	}
	defer s.db.WithContext(context.WithoutCancel(ctx)).Where("name = ?", drawLeaseKey(id)).Delete(&setting{})
	notices, err := s.DrawNotices(ctx, id)
	if err != nil {
		return nil, err
	}
	done := map[uint64]int{}
	for i, n := range notices {
		done[n.MemberID] = i
	}
	members, err := s.MembersByIDs(ctx, winners)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		i, seen := done[m.ID]
		if seen && notices[i].Sent {
			continue
		}
		errcode, failure := send(ctx, m.OpenID)
		n := DrawNotice{MemberID: m.ID, OpenID: m.OpenID, Sent: failure == "", ErrCode: errcode, Error: failure, At: s.now()}
		if seen {
			notices[i] = n
		} else {
			done[m.ID] = len(notices)
			notices = append(notices, n)
		}
		// Saved after every send: a crash mid-way must not lead to telling
		// the first winners twice.
		if err := s.putSetting(context.WithoutCancel(ctx), drawNoticesKey(id), notices); err != nil {
			return notices, err
		}
	}
	return notices, nil
}

// DrawNotices returns the recorded notification outcomes of a draw (none
// before the first run).
func (s *Store) DrawNotices(ctx context.Context, id uint64) ([]DrawNotice, error) {
	var out []DrawNotice
	_, err := s.getSetting(ctx, drawNoticesKey(id), &out)
	return out, err
}

// takeLease claims key in the settings table, refusing while another
// holder's lease is younger than notifyLease.
func (s *Store) takeLease(ctx context.Context, key string) error {
	db := s.db.WithContext(ctx)
	now := s.now()
	err := db.Create(&setting{Key: key, Value: "{}", UpdatedAt: now}).Error
	if err == nil {
		return nil
	}
	if !isDuplicate(err) {
		return translate("lease", err)
	}
	// Someone holds it: take it over only if their lease ran out.
	res := db.Model(&setting{}).Where("name = ? AND updated_at < ?", key, now.Add(-notifyLease)).Update("updated_at", now)
	if res.Error != nil {
		return translate("lease", res.Error)
	}
	if res.RowsAffected == 0 {
		return Errorf(ECONFLICT, "the winners are being notified right now; reload in a minute")
	}
	return nil
}
