package models

import (
	"context"
	"strconv"
	"time"
)

// DrawNotice is the latest outcome of telling one winner of a draw.
type DrawNotice struct {
	MemberID uint64 `json:"member_id"`
	OpenID   string `json:"openid"`
	// State is the delivery's: queued (claimed, sending: on its way), sent,
	// failed, skipped, unknown (a worker died mid-send).
	State   string    `json:"state"`
	Sent    bool      `json:"sent"`
	ErrCode int       `json:"errcode,omitempty"` // WeChat's, e.g. 45015: no open window
	Error   string    `json:"error,omitempty"`   // why not sent, safe to show
	At      time.Time `json:"at"`
}

// Pending reports whether the notice is still on its way.
func (n DrawNotice) Pending() bool {
	return n.State == RcptQueued || n.State == RcptClaimed || n.State == RcptSending
}

// notifyLease is how long a notification request holds its draw; a
// request that died (a restart) frees the draw after it.
const notifyLease = 10 * time.Minute

func drawNoticesKey(id uint64) string { return "draw_notices:" + strconv.FormatUint(id, 10) }
func drawPushesKey(id uint64) string  { return "draw_pushes:" + strconv.FormatUint(id, 10) }
func drawLeaseKey(id uint64) string   { return "draw_notifying:" + strconv.FormatUint(id, 10) }

// NotifyDrawWinners queues text for every winner not yet told, as a push
// (kind "draw") the delivery engine delivers like every other push: the
// fan's window, the frequency cap and the quiet hours apply, and each
// winner's outcome is recorded. Repeating it queues again only winners
// whose notice failed or was skipped, so nobody is told twice (a notice on
// its way or of unknown fate is left alone); two requests at once are
// refused. It returns every winner's latest notice.
func (s *Store) NotifyDrawWinners(ctx context.Context, id uint64, text string, staffID uint64) ([]DrawNotice, error) {
	if err := TextReply(text).Validate(); err != nil {
		return nil, err
	}
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
	latest := map[uint64]DrawNotice{}
	for _, n := range notices {
		latest[n.MemberID] = n
	}
	var todo []uint64
	for _, w := range winners {
		if n, ok := latest[w]; !ok || n.State == RcptFailed || n.State == RcptSkipped {
			todo = append(todo, w)
		}
	}
	if len(todo) == 0 {
		return notices, nil
	}
	p, err := s.CreatePush(ctx, NewPush{Kind: "draw", Name: truncateUTF8("draw "+strconv.FormatUint(id, 10)+": "+d.Name, 191),
		Reply: TextReply(text), StaffID: staffID}, todo)
	if err != nil {
		return nil, err
	}
	var pushes []uint64
	if _, err := s.getSetting(ctx, drawPushesKey(id), &pushes); err != nil {
		return nil, err
	}
	if err := s.putSetting(context.WithoutCancel(ctx), drawPushesKey(id), append(pushes, p.ID)); err != nil {
		return nil, err
	}
	return s.DrawNotices(ctx, id)
}

// DrawNotices returns each winner's latest notice, in pick order (none
// before the first notification). Notices sent before draw notices went
// through the delivery engine are read from where they were kept.
func (s *Store) DrawNotices(ctx context.Context, id uint64) ([]DrawNotice, error) {
	var legacy []DrawNotice
	if _, err := s.getSetting(ctx, drawNoticesKey(id), &legacy); err != nil {
		return nil, err
	}
	latest := map[uint64]DrawNotice{}
	for _, n := range legacy {
		if n.State == "" {
			n.State = RcptFailed
			if n.Sent {
				n.State = RcptSent
			}
		}
		latest[n.MemberID] = n
	}
	var pushes []uint64
	if _, err := s.getSetting(ctx, drawPushesKey(id), &pushes); err != nil {
		return nil, err
	}
	if len(pushes) > 0 {
		var rows []struct {
			Recipient
			CreatedAt time.Time
		}
		if err := s.db.WithContext(ctx).Model(&Recipient{}).Select("recipients.*, pushes.created_at").
			Joins("JOIN pushes ON pushes.id = recipients.push_id").Where("recipients.push_id IN ?", pushes).
			Order("recipients.push_id, recipients.id").Scan(&rows).Error; err != nil {
			return nil, translate("draw notices", err)
		}
		for _, r := range rows {
			n := DrawNotice{MemberID: r.MemberID, OpenID: r.OpenID, State: r.State, Sent: r.State == RcptSent, ErrCode: r.ErrCode, At: r.CreatedAt}
			if r.SentAt != nil {
				n.At = *r.SentAt
			}
			if !n.Sent && !n.Pending() {
				n.Error = r.Reason
				if n.Error == "" {
					n.Error = r.State
				}
			}
			latest[r.MemberID] = n
		}
	}
	if len(latest) == 0 {
		return nil, nil
	}
	d, err := s.FindDraw(ctx, id)
	if err != nil {
		return nil, err
	}
	winners, err := d.WinnerIDs()
	if err != nil {
		return nil, err
	}
	out := make([]DrawNotice, 0, len(latest))
	for _, w := range winners {
		if n, ok := latest[w]; ok {
			out = append(out, n)
		}
	}
	return out, nil
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
