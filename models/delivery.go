package models

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Push states.
const (
	PushDraft     = "draft"
	PushScheduled = "scheduled"
	PushSending   = "sending"
	PushPaused    = "paused"
	PushDone      = "done"
	PushCancelled = "cancelled"
)

// Recipient states. "sending" is written before the API call, so a crash
// between the call and the result leaves "sending" behind: such rows become
// "unknown" (maybe delivered) and are never sent again.
const (
	RcptQueued  = "queued"
	RcptClaimed = "claimed"
	RcptSending = "sending"
	RcptSent    = "sent"
	RcptFailed  = "failed"
	RcptSkipped = "skipped"
	RcptUnknown = "unknown"
)

// Push is one outbound campaign (a broadcast, a care step, a draw notice):
// one message for many fans, delivered by the delivery engine.
type Push struct {
	ID      uint64 `gorm:"primaryKey"`
	Kind    string `gorm:"size:16;not null;index"` // broadcast, care, draw
	Name    string `gorm:"size:191;not null"`
	Content string `gorm:"type:text;not null"` // Reply as JSON
	// TemplateID and TemplateData reach fans whose customer-service window
	// is closed ("" : such fans are skipped as unreachable).
	TemplateID   string `gorm:"size:64"`
	TemplateData string `gorm:"type:text"` // JSON map
	State        string `gorm:"size:16;not null;index"`
	ScheduledAt  *time.Time
	StaffID      uint64
	// Planned recipient rows; Unknown member ids with no member (no row);
	// Duplicates ids listed more than once (see PushPlan).
	Planned    int64 `gorm:"not null;default:0"`
	Unknown    int64 `gorm:"not null;default:0"`
	Duplicates int64 `gorm:"not null;default:0"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Reply decodes the push's message.
func (p *Push) Reply() (Reply, error) {
	var r Reply
	err := json.Unmarshal([]byte(p.Content), &r)
	return r, err
}

// TemplateFields decodes the template data.
func (p *Push) TemplateFields() map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal([]byte(p.TemplateData), &m)
	return m
}

// Recipient is one fan of a push, with their delivery status.
type Recipient struct {
	ID uint64 `gorm:"primaryKey"`
	// Indexes: (member, push) keeps one row per fan and push and serves the
	// frequency cap; (push, state, next_at) serves claims in order, progress
	// counts and completion; (state, claimed_until) finds expired leases.
	PushID       uint64     `gorm:"not null;uniqueIndex:idx_rcpt_member_push,priority:2;index:idx_rcpt_push_due,priority:1"`
	MemberID     uint64     `gorm:"not null;uniqueIndex:idx_rcpt_member_push,priority:1"`
	OpenID       string     `gorm:"size:64;not null"`
	State        string     `gorm:"size:16;not null;index:idx_rcpt_push_due,priority:2;index:idx_rcpt_lease,priority:1"`
	NextAt       time.Time  `gorm:"index:idx_rcpt_push_due,priority:3"`
	Channel      string     `gorm:"size:16"` // custom or template, once tried
	Attempts     int        `gorm:"not null;default:0"`
	ErrCode      int        `gorm:"not null;default:0"`
	Reason       string     `gorm:"size:191"`
	ClaimedBy    string     `gorm:"size:64"`
	ClaimedUntil *time.Time `gorm:"index:idx_rcpt_lease,priority:2"`
	SentAt       *time.Time
	// TemplateMsgID is the msgid of the template message sent (0: none):
	// a TEMPLATESENDJOBFINISH failure turns the recipient from sent to failed.
	TemplateMsgID int64 `gorm:"not null;default:0;index:idx_recipients_template_msg"`
}

// NewPush is what a caller asks to deliver.
type NewPush struct {
	Kind, Name   string
	Reply        Reply
	TemplateID   string
	TemplateData map[string]string
	ScheduledAt  *time.Time // nil: now
	StaffID      uint64
}

// PushAudience is who a push goes to: members by id, or every member a segment
// filter selects (unfollowed ones included: they are recorded as skipped).
type PushAudience struct {
	MemberIDs []uint64
	Segment   *SegmentFilter
}

// PushPlan is what planning did with the audience, so nobody is dropped
// silently: Queued + Skipped recipient rows were written; Duplicates ids
// were listed more than once (planned once); Unknown ids match no member
// and have no row.
type PushPlan struct {
	Queued, Skipped int64
	Duplicates      int64
	Unknown         []uint64
}

// planChunk is how many members one INSERT … SELECT plans; planTx how many
// rows one transaction commits, so a million-fan plan never holds the
// (SQLite) write lock for more than a moment.
const (
	planChunk = 5000
	planTx    = 20000
)

// CreatePush stores a push and its recipients (members by id; unfollowed
// members are recorded as skipped, unknown ids are counted on the push).
// See PlanPush.
func (s *Store) CreatePush(ctx context.Context, n NewPush, memberIDs []uint64) (*Push, error) {
	p, _, err := s.PlanPush(ctx, n, PushAudience{MemberIDs: memberIDs})
	return p, err
}

// PlanPush stores a push and one recipient row per member of the audience,
// written straight from the members table (INSERT … SELECT, thousands of
// rows a statement). The push is a draft while it is planned, in several
// transactions, and is scheduled only once every row is in: workers never
// see half a plan. On failure the draft and its rows are removed.
func (s *Store) PlanPush(ctx context.Context, n NewPush, a PushAudience) (*Push, *PushPlan, error) {
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" || len(n.Name) > 191 {
		return nil, nil, Errorf(EINVALID, "a push needs a name of 1-191 bytes")
	}
	if err := n.Reply.Validate(); err != nil {
		return nil, nil, err
	}
	if n.Reply.Kind == ReplyTransfer {
		return nil, nil, Errorf(EINVALID, "a push cannot transfer to customer service")
	}
	if a.Segment != nil {
		if err := a.Segment.Validate(); err != nil {
			return nil, nil, err
		}
	}
	content, _ := json.Marshal(n.Reply)
	data, _ := json.Marshal(n.TemplateData)
	p := &Push{Kind: n.Kind, Name: n.Name, Content: string(content), TemplateID: n.TemplateID, TemplateData: string(data),
		State: PushDraft, ScheduledAt: n.ScheduledAt, StaffID: n.StaffID}
	now := s.now()
	if p.ScheduledAt == nil {
		p.ScheduledAt = &now
	}
	t := p.ScheduledAt.UTC()
	p.ScheduledAt = &t
	db := s.db.WithContext(ctx)
	if err := db.Create(p).Error; err != nil {
		return nil, nil, translate("create push", err)
	}
	plan := &PushPlan{}
	var err error
	if a.Segment != nil {
		err = s.planSegment(ctx, p, *a.Segment, plan)
	} else {
		err = s.planIDs(ctx, p, a.MemberIDs, plan)
	}
	if err == nil {
		prog, perr := s.PushProgress(ctx, p.ID)
		plan.Queued, plan.Skipped, err = prog[RcptQueued], prog[RcptSkipped], perr
	}
	if err == nil {
		p.State, p.Planned, p.Unknown, p.Duplicates = PushScheduled, plan.Queued+plan.Skipped, int64(len(plan.Unknown)), plan.Duplicates
		if plan.Queued == 0 {
			p.State = PushDone // nobody to send to: nothing would ever finish it
		}
		err = db.Model(p).Updates(map[string]any{"state": p.State, "planned": p.Planned, "unknown": p.Unknown,
			"duplicates": p.Duplicates, "updated_at": s.now()}).Error
	}
	if err != nil {
		// Best effort on a context that may have ended: the draft is never
		// delivered either way.
		clean := s.db.WithContext(context.WithoutCancel(ctx))
		clean.Where("push_id = ?", p.ID).Delete(&Recipient{})
		clean.Delete(&Push{}, p.ID)
		return nil, nil, translate("create push", err)
	}
	return p, plan, nil
}

// recipientColumns and recipientSelect write a recipient per member row:
// unfollowed members are skipped with the reason, the rest are queued.
const recipientColumns = "push_id, member_id, open_id, state, next_at, channel, attempts, err_code, reason, claimed_by"

func recipientSelect(p *Push) (string, []any) {
	return "SELECT ?, members.id, members.open_id, CASE WHEN members.subscribed THEN ? ELSE ? END, ?, '', 0, 0, " +
			"CASE WHEN members.subscribed THEN '' ELSE ? END, '' FROM members",
		[]any{p.ID, RcptQueued, RcptSkipped, p.ScheduledAt.UTC(), "unfollowed"}
}

// planIDs plans members by id: the list is sorted and deduplicated here, the
// ids go into the statement as literals (they are integers), and ids that
// match no member are looked up only for chunks that came up short.
func (s *Store) planIDs(ctx context.Context, p *Push, ids []uint64, plan *PushPlan) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	uniq := slices.Compact(ids)
	plan.Duplicates = int64(len(ids) - len(uniq))
	sel, args := recipientSelect(p)
	for i := 0; i < len(uniq); i += planTx {
		part := uniq[i:min(i+planTx, len(uniq))]
		err := s.tx(ctx, func(tx *gorm.DB) error {
			for j := 0; j < len(part); j += planChunk {
				chunk := part[j:min(j+planChunk, len(part))]
				list := idList(chunk)
				where := "members.id IN (" + list + ")"
				if chunk[len(chunk)-1]-chunk[0] == uint64(len(chunk)-1) {
					// A run of consecutive ids (sorted, no duplicates): a
					// range, which MariaDB scans much faster than a long list.
					where = fmt.Sprintf("members.id BETWEEN %d AND %d", chunk[0], chunk[len(chunk)-1])
				}
				res := tx.Exec("INSERT INTO recipients ("+recipientColumns+") "+sel+" WHERE "+where, args...)
				if res.Error != nil {
					return res.Error
				}
				if res.RowsAffected == int64(len(chunk)) {
					continue
				}
				var found []uint64
				if err := tx.Model(&Member{}).Where("id IN ("+list+")").Order("id").Pluck("id", &found).Error; err != nil {
					return err
				}
				for _, id := range chunk {
					if _, ok := slices.BinarySearch(found, id); !ok {
						plan.Unknown = append(plan.Unknown, id)
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// planSegment plans every member a filter selects, walking members.id in
// ranges so each transaction stays short.
func (s *Store) planSegment(ctx context.Context, p *Push, f SegmentFilter, plan *PushPlan) error {
	var maxID uint64
	if err := s.db.WithContext(ctx).Model(&Member{}).Select("COALESCE(MAX(id), 0)").Scan(&maxID).Error; err != nil {
		return err
	}
	sel, args := recipientSelect(p)
	now := s.now()
	for lo := uint64(0); lo < maxID; lo += planTx {
		err := s.tx(ctx, func(tx *gorm.DB) error {
			q := f.apply(tx.Session(&gorm.Session{NewDB: true, DryRun: true}), now).
				Where("members.id > ? AND members.id <= ?", lo, lo+planTx).Select("members.id").Find(&[]Member{})
			where := q.Statement.SQL.String()
			// where is "SELECT members.id FROM members WHERE …": keep the
			// conditions, write our own select list.
			cut := strings.Index(where, " WHERE ")
			if cut < 0 {
				return fmt.Errorf("plan segment: unexpected query %q", where)
			}
			return tx.Exec("INSERT INTO recipients ("+recipientColumns+") "+sel+where[cut:], append(slices.Clone(args), q.Statement.Vars...)...).Error
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// idList renders integer ids for an IN list.
func idList(ids []uint64) string {
	b := make([]byte, 0, len(ids)*8)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, id, 10)
	}
	return string(b)
}

// FindPush returns one push.
func (s *Store) FindPush(ctx context.Context, id uint64) (*Push, error) {
	var p Push
	return &p, translate("push", s.db.WithContext(ctx).Take(&p, id).Error)
}

// PushCounts is a push's delivery progress.
type PushCounts map[string]int64

// PushProgress counts a push's recipients by state.
func (s *Store) PushProgress(ctx context.Context, pushID uint64) (PushCounts, error) {
	var rows []struct {
		State string
		N     int64
	}
	err := s.db.WithContext(ctx).Model(&Recipient{}).Select("state, COUNT(*) AS n").Where("push_id = ?", pushID).
		Group("state").Scan(&rows).Error
	out := PushCounts{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, translate("push progress", err)
}

// SetPushState pauses, resumes (scheduled) or cancels a push.
func (s *Store) SetPushState(ctx context.Context, pushID uint64, state string) error {
	switch state {
	case PushPaused, PushScheduled, PushCancelled:
	default:
		return Errorf(EINVALID, "a push can be paused, resumed or cancelled")
	}
	res := s.db.WithContext(ctx).Model(&Push{}).Where("id = ? AND state NOT IN ?", pushID, []string{PushDone, PushCancelled}).
		Updates(map[string]any{"state": state, "updated_at": s.now()})
	if res.Error == nil && res.RowsAffected == 0 {
		return Errorf(ECONFLICT, "the push has finished or was cancelled")
	}
	if res.Error == nil && state == PushCancelled {
		res = s.db.WithContext(ctx).Model(&Recipient{}).Where("push_id = ? AND state = ?", pushID, RcptQueued).
			Updates(map[string]any{"state": RcptSkipped, "reason": "cancelled"})
	}
	return translate("push state", res.Error)
}

// PushRecipients returns a page of a push's recipients by id (state ""
// for every state), for reports and audits.
func (s *Store) PushRecipients(ctx context.Context, pushID uint64, state string, afterID uint64, limit int) ([]Recipient, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	// All states: walk the primary key from afterID (a push's rows are
	// planned together, so they are close), "+push_id" keeping SQLite off
	// the push index, which would sort the whole push for every page.
	q := s.db.WithContext(ctx).Where("+push_id = ? AND id > ?", pushID, afterID)
	if state != "" {
		q = s.db.WithContext(ctx).Where("push_id = ? AND state = ? AND id > ?", pushID, state, afterID)
	}
	var out []Recipient
	return out, translate("push recipients", q.Order("id").Limit(limit).Find(&out).Error)
}
