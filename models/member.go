package models

import (
	"context"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Member is one fan of the account, keyed by openid.
type Member struct {
	ID                uint64 `gorm:"primaryKey"`
	OpenID            string `gorm:"size:64;uniqueIndex;not null"`
	UnionID           string `gorm:"size:64;index"`
	Subscribed        bool   `gorm:"not null;default:false;index"`
	FirstSubscribedAt *time.Time
	LastSubscribedAt  *time.Time
	UnsubscribedAt    *time.Time
	// SubscribeScene is the QR scene of the latest follow ("" when the fan
	// followed by search, a shared card, etc.).
	SubscribeScene    string     `gorm:"size:64;index"`
	LastInteractionAt *time.Time `gorm:"index"`
	// InConversation is true while the fan has a waiting or assigned
	// conversation, so the hot path asks for it only then.
	InConversation bool `gorm:"not null;default:false"`
	// UnansweredRun counts the fan's texts in a row that no rule answered.
	UnansweredRun int `gorm:"not null;default:0"`
	// ReferralCode is the member's personal code (QR scene ref_<code>).
	ReferralCode *string `gorm:"size:16;uniqueIndex"`
	// ReferrerID is who brought this member (a referral chain link).
	ReferrerID *uint64 `gorm:"index"`
	ReferredAt *time.Time
	// Level is the interaction level: visitor … key person.
	Level string `gorm:"size:16;not null;default:follower;index"`
	// Points is the balance, kept in step with the ledger in one transaction.
	Points int64 `gorm:"not null;default:0"`
	// Follows counts subscribe events (more than one: the fan came back).
	Follows int `gorm:"not null;default:0"`
	// Stage is the lifecycle stage: prospect, new or loyal.
	Stage     string `gorm:"size:16;not null;default:prospect;index"`
	CreatedAt time.Time
	UpdatedAt time.Time

	// Blacklisted: an admin put the fan on the account's blacklist. Their
	// messages are recorded but not answered, and no push reaches them.
	Blacklisted bool `gorm:"not null;default:false"`

	// Open is the member's open conversation, read with the member when a
	// message is recorded and InConversation is set; OpenKnown says it was
	// looked up (Open nil: there is none), so Close Service need not ask.
	Open      *OpenConversation `gorm:"-"`
	OpenKnown bool              `gorm:"-"`
}

// Lifecycle stages.
const (
	StageProspect = "prospect"
	StageNew      = "new"
	StageLoyal    = "loyal"
)

// Refollow reports whether the member's latest follow was not the first.
func (m *Member) Refollow() bool { return m.Follows > 1 }

// MemberFilter narrows ListMembers.
type MemberFilter struct {
	Query      string // substring of openid or unionid
	Subscribed *bool
	Limit      int
	Offset     int
}

// FindMemberByOpenID returns the member with this openid.
func (s *Store) FindMemberByOpenID(ctx context.Context, openID string) (*Member, error) {
	var m Member
	err := s.db.WithContext(ctx).Where("open_id = ?", openID).Take(&m).Error
	return &m, translate("member", err)
}

// ListMembers returns members, most recently active first, and the total
// count matching the filter.
func (s *Store) ListMembers(ctx context.Context, f MemberFilter) ([]Member, int64, error) {
	q := s.db.WithContext(ctx).Model(&Member{})
	if f.Query != "" {
		like := "%" + escapeLike(f.Query) + "%"
		q = q.Where("open_id LIKE ? ESCAPE '!' OR union_id LIKE ? ESCAPE '!'", like, like)
	}
	if f.Subscribed != nil {
		q = q.Where("subscribed = ?", *f.Subscribed)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, translate("list members", err)
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var out []Member
	err := q.Order("last_interaction_at DESC, id DESC").Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	return out, total, translate("list members", err)
}

// memberChange is what an inbound message tells us about its sender.
type memberChange struct {
	openID, unionID string
	subscribe       bool
	unsubscribe     bool
	scene           string
	at              time.Time
}

// upsert is the row for a new member and the assignments for an existing
// one.
func (c memberChange) upsert() (Member, map[string]any) {
	at := c.at
	fresh := Member{OpenID: c.openID, UnionID: c.unionID, Subscribed: !c.unsubscribe, Stage: StageProspect,
		Level: LevelFollower, LastInteractionAt: &at}
	set := map[string]any{"last_interaction_at": at}
	if c.unionID != "" {
		set["union_id"] = c.unionID
	}
	switch c.kind() {
	case changeSubscribe:
		fresh.Follows, fresh.FirstSubscribedAt, fresh.LastSubscribedAt, fresh.SubscribeScene = 1, &at, &at, c.scene
		set["subscribed"] = true
		set["follows"] = gorm.Expr("follows + 1")
		set["last_subscribed_at"] = at
		set["first_subscribed_at"] = gorm.Expr("COALESCE(first_subscribed_at, ?)", at)
		set["subscribe_scene"] = c.scene
	case changeUnsubscribe:
		fresh.UnsubscribedAt = &at
		set["subscribed"] = false
		set["unsubscribed_at"] = at
	default:
		// A fan who writes is following (WeChat only delivers messages from
		// followers), even if we missed the subscribe event.
		set["subscribed"] = true
	}
	return fresh, set
}

const (
	changePlain = iota
	changeSubscribe
	changeUnsubscribe
)

func (c memberChange) kind() int {
	switch {
	case c.subscribe:
		return changeSubscribe
	case c.unsubscribe:
		return changeUnsubscribe
	}
	return changePlain
}

func upsertMembers(db *gorm.DB, rows []Member, set clause.Set) error {
	return db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "open_id"}}, DoUpdates: set}).
		Create(&rows).Error
}

// touchMembers applies the changes of one batch of messages (all at one
// time) and returns the members after all of them, by openid. It reads the
// senders first: a fan who exists and only wrote (the common case) is
// updated in place, with one UPDATE for all of them, and the row read is
// patched rather than read again. Everyone else (new fans, follows,
// unfollows, a new unionid) is upserted with one statement per kind of
// change and read back; a fan whose messages in the batch mix kinds, or who
// brings a unionid, is upserted on their own, in order. So two messages of
// one fan in one batch both see the row after both.
func touchMembers(db *gorm.DB, changes []memberChange) (map[string]*Member, error) {
	if len(changes) == 0 {
		return map[string]*Member{}, nil
	}
	kinds := make(map[string]int, len(changes))
	alone := map[string]bool{}
	ids := make([]string, 0, len(changes))
	for _, c := range changes {
		k, seen := kinds[c.openID]
		switch {
		case !seen:
			ids = append(ids, c.openID)
		case k != c.kind() || k == changeSubscribe:
			alone[c.openID] = true // order matters, or follows counts twice
		}
		if c.unionID != "" {
			alone[c.openID] = true
		}
		kinds[c.openID] = c.kind()
	}
	var found []Member
	if err := db.Where("open_id IN ?", ids).Find(&found).Error; err != nil {
		return nil, err
	}
	out := make(map[string]*Member, len(ids))
	for i := range found {
		out[found[i].OpenID] = &found[i]
	}
	// Known fans who only wrote: last interaction now (and following: WeChat
	// only delivers messages from followers, even if we missed the follow).
	type touch struct {
		at         time.Time
		subscribed bool
	}
	inPlace := map[touch][]uint64{}
	var rest []memberChange
	done := map[string]bool{}
	for _, c := range changes {
		m := out[c.openID]
		if m == nil || alone[c.openID] || kinds[c.openID] != changePlain {
			rest = append(rest, c)
			continue
		}
		if !done[c.openID] {
			done[c.openID] = true
			k := touch{at: c.at, subscribed: m.Subscribed}
			inPlace[k] = append(inPlace[k], m.ID)
		}
		at := c.at
		m.LastInteractionAt, m.Subscribed = &at, true
	}
	for k, ids := range inPlace {
		set := map[string]any{"last_interaction_at": k.at}
		if !k.subscribed {
			set["subscribed"] = true
		}
		if err := db.Model(&Member{}).Where("id IN ?", ids).UpdateColumns(set).Error; err != nil {
			return nil, err
		}
	}
	if len(rest) > 0 {
		fresh, err := upsertChanges(db, rest, alone)
		if err != nil {
			return nil, err
		}
		for id, m := range fresh {
			out[id] = m
		}
	}
	ptrs := make([]*Member, 0, len(out))
	for _, m := range out {
		ptrs = append(ptrs, m)
	}
	return out, loadOpenConversations(db, ptrs)
}

// upsertChanges upserts the senders of changes (one statement per kind of
// change, and one per fan who must go alone) and reads them back.
func upsertChanges(db *gorm.DB, changes []memberChange, alone map[string]bool) (map[string]*Member, error) {
	var groups [3][]memberChange
	inGroup := map[string]bool{}
	for _, c := range changes {
		if !alone[c.openID] && !inGroup[c.openID] {
			inGroup[c.openID] = true
			groups[c.kind()] = append(groups[c.kind()], c)
		}
	}
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		rows := make([]Member, len(g))
		var set map[string]any
		for i, c := range g {
			rows[i], set = c.upsert()
		}
		assign := clause.Set{}
		if len(g) > 1 && g[0].kind() == changeSubscribe {
			delete(set, "subscribe_scene") // per row: taken from the inserted values
			assign = clause.AssignmentColumns([]string{"subscribe_scene"})
		}
		if err := upsertMembers(db, rows, append(clause.Assignments(set), assign...)); err != nil {
			return nil, err
		}
	}
	ids := make([]string, 0, len(changes))
	for _, c := range changes {
		if alone[c.openID] {
			fresh, set := c.upsert()
			if err := upsertMembers(db, []Member{fresh}, clause.Assignments(set)); err != nil {
				return nil, err
			}
		}
		if !slices.Contains(ids, c.openID) {
			ids = append(ids, c.openID)
		}
	}
	// A locking read on MySQL: a plain one reads the transaction's snapshot,
	// which may predate another process's insert of the same fan (the upsert
	// met that row; the snapshot would not show it).
	var found []Member
	if err := db.Clauses(lockForUpdate(db)...).Where("open_id IN ?", ids).Find(&found).Error; err != nil {
		return nil, err
	}
	out := make(map[string]*Member, len(found))
	for i := range found {
		out[found[i].OpenID] = &found[i]
	}
	return out, nil
}

// lockForUpdate returns a row-lock clause on MySQL; SQLite serialises writers
// already and has no FOR UPDATE.
func lockForUpdate(tx *gorm.DB) []clause.Expression {
	if tx.Dialector.Name() == "mysql" {
		return []clause.Expression{clause.Locking{Strength: "UPDATE"}}
	}
	return nil
}

// escapeLike escapes LIKE wildcards with '!'; queries say ESCAPE '!'
// (SQLite has no default escape character, MySQL's is a backslash).
func escapeLike(s string) string {
	return strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`).Replace(s)
}
