package models

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// SourceShare marks points paid because a friend opened a member's shared
// link (share-to-earn).
const SourceShare = "share"

// ShareLink is a tracked link: a page (an article, an offer) staff put in a
// broadcast, a rule reply or a menu as /fan/t/<id>. Each fan who opens it
// gets the same page under their own share token (/fan/s/<token>), which the
// page's share card passes on, so the chain of who brought whom is known.
type ShareLink struct {
	ID    uint64 `gorm:"primaryKey"`
	Title string `gorm:"size:100;not null"`
	// TargetURL is the page shown (http or https).
	TargetURL string `gorm:"size:1024;not null"`
	// Source says where staff put the link ("broadcast:12", "rule:3",
	// "menu"; free text, up to 64 bytes), for the report per push.
	Source string `gorm:"size:64;not null;default:'';index"`
	// OutsideOpens counts opens outside WeChat: the opener is unknown, so
	// they are counted here only (never credited).
	OutsideOpens int64 `gorm:"not null;default:0"`
	CreatedAt    time.Time
}

// ShareOpen is one fan's first open of a tracked link, and how often they
// opened it since. The first open decides the fan's place in the chain: Via
// is the member whose token the fan came through (the fan themselves when
// they opened their own link).
type ShareOpen struct {
	ID     uint64 `gorm:"primaryKey"`
	LinkID uint64 `gorm:"not null;uniqueIndex:idx_share_opens_link_openid,priority:1"`
	OpenID string `gorm:"size:64;not null;uniqueIndex:idx_share_opens_link_openid,priority:2"`
	// MemberID is the opener's member (nil: not following yet when opened).
	MemberID *uint64 `gorm:"index"`
	ViaID    uint64  `gorm:"not null;index"`
	Opens    int64   `gorm:"not null;default:1"`
	// Paid is what Via earned for this opener (0: self-open, cap reached,
	// or no share points set).
	Paid int64 `gorm:"not null;default:0"`
	// FollowedAt is set when the opener followed after opening (through the
	// sharer's QR code on the page, or otherwise).
	FollowedAt *time.Time
	FirstAt    time.Time `gorm:"not null"`
	LastAt     time.Time `gorm:"not null"`
}

// Validate checks a link staff made.
func (l *ShareLink) Validate() error {
	l.Title, l.TargetURL, l.Source = strings.TrimSpace(l.Title), strings.TrimSpace(l.TargetURL), strings.TrimSpace(l.Source)
	if l.Title == "" || utf8.RuneCountInString(l.Title) > 100 {
		return Errorf(EINVALID, "请填写标题（最多 100 个字）。")
	}
	u, err := url.Parse(l.TargetURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(l.TargetURL) > 1024 {
		return Errorf(EINVALID, "网址须以 http:// 或 https:// 开头（最多 1024 个字符），例如 https://mp.weixin.qq.com/s/…")
	}
	if len(l.Source) > 64 {
		return Errorf(EINVALID, "来源最多 64 个字符，例如 broadcast:12。")
	}
	return nil
}

// CreateShareLink saves a new tracked link.
func (s *Store) CreateShareLink(ctx context.Context, l *ShareLink) error {
	if err := l.Validate(); err != nil {
		return err
	}
	l.ID, l.OutsideOpens, l.CreatedAt = 0, 0, s.now()
	return translate("create share link", s.db.WithContext(ctx).Create(l).Error)
}

// ShareLinkByID returns a tracked link (ENOTFOUND when there is none).
func (s *Store) ShareLinkByID(ctx context.Context, id uint64) (*ShareLink, error) {
	var l ShareLink
	return &l, translate("read share link", s.db.WithContext(ctx).Take(&l, id).Error)
}

// ShareLinks lists tracked links, newest first; source "" lists all.
func (s *Store) ShareLinks(ctx context.Context, source string, limit int) ([]ShareLink, error) {
	q := s.db.WithContext(ctx).Order("id DESC").Limit(clampLimit(limit))
	if source != "" {
		q = q.Where("source = ?", source)
	}
	var out []ShareLink
	return out, translate("list share links", q.Find(&out).Error)
}

func clampLimit(n int) int {
	if n <= 0 || n > 500 {
		return 500
	}
	return n
}

// CountOutsideOpen counts an open of link outside WeChat.
func (s *Store) CountOutsideOpen(ctx context.Context, linkID uint64) error {
	return translate("count outside open", s.db.WithContext(ctx).Model(&ShareLink{}).Where("id = ?", linkID).
		Update("outside_opens", gorm.Expr("outside_opens + 1")).Error)
}

// ShareOpenInput is one open of a tracked link inside WeChat.
type ShareOpenInput struct {
	LinkID uint64
	// ViaID is the member whose token the link carried.
	ViaID uint64
	// OpenID is the opener (known from web authorisation); MemberID their
	// member, nil when they do not follow.
	OpenID   string
	MemberID *uint64
	// Points are paid to Via for a friend's first open, at most DailyCap
	// times a day (since DayStart, the start of the account's day).
	Points   int64
	DailyCap int
	DayStart time.Time
	Reason   string
	Expires  *time.Time
}

// ShareOpenResult says what an open did.
type ShareOpenResult struct {
	// First: the opener's first open of the link (a repeat counts nothing).
	First bool
	// Self: the opener opened their own link.
	Self bool
	// Paid is what Via earned (0 on repeats, self-opens, over the cap).
	Paid int64
	// Capped: a friend's first open found Via's daily cap reached.
	Capped bool
}

// RecordShareOpen records an open and pays the sharer for a friend's first
// open, in one transaction: the sharer's member row is locked first, so
// opens of many friends at once respect the daily cap, and the ledger entry
// carries the key share:<link>:<openid>, so a friend pays at most once per
// link whoever's link they open later.
func (s *Store) RecordShareOpen(ctx context.Context, in ShareOpenInput) (res ShareOpenResult, err error) {
	if in.OpenID == "" || in.LinkID == 0 || in.ViaID == 0 {
		return res, Errorf(EINVALID, "a share open needs the link, the sharer and the opener")
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		res = ShareOpenResult{}
		now := s.now()
		var via Member
		if err := tx.Clauses(lockForUpdate(tx)...).Select("id, open_id").Take(&via, in.ViaID).Error; err != nil {
			return err
		}
		var prior ShareOpen
		err := tx.Where("link_id = ? AND open_id = ?", in.LinkID, in.OpenID).Take(&prior).Error
		if err == nil {
			return tx.Model(&ShareOpen{}).Where("id = ?", prior.ID).
				Updates(map[string]any{"opens": gorm.Expr("opens + 1"), "last_at": now}).Error
		}
		if !isNotFound(err) {
			return err
		}
		res.First = true
		res.Self = via.OpenID == in.OpenID
		o := ShareOpen{LinkID: in.LinkID, OpenID: in.OpenID, MemberID: in.MemberID, ViaID: in.ViaID, Opens: 1, FirstAt: now, LastAt: now}
		if err := tx.Create(&o).Error; err != nil {
			return err
		}
		if res.Self || in.Points <= 0 {
			return nil
		}
		var today int64
		if err := tx.Model(&PointsEntry{}).Where("member_id = ? AND source = ? AND created_at >= ?", in.ViaID, SourceShare, in.DayStart.UTC()).
			Count(&today).Error; err != nil {
			return err
		}
		if in.DailyCap > 0 && today >= int64(in.DailyCap) {
			res.Capped = true
			return nil
		}
		key := fmt.Sprintf("share:%d:%s", in.LinkID, in.OpenID)
		if _, _, err := ledgerTx(tx, now, in.ViaID, in.Points, SourceShare, in.Reason, key, in.Expires, nil); err != nil {
			return err
		}
		res.Paid = in.Points
		return tx.Model(&ShareOpen{}).Where("id = ?", o.ID).Update("paid", in.Points).Error
	})
	if isDuplicate(err) { // the same fan's first open, twice at once: the other one counted
		return ShareOpenResult{}, nil
	}
	return res, translate("record share open", err)
}

// MarkShareFollow notes that the fan openID followed after opening tracked
// links while not following: those opens get the member and the follow
// time (opens of fans who already followed are not follows it brought).
func (s *Store) MarkShareFollow(ctx context.Context, openID string, memberID uint64) error {
	now := s.now()
	return translate("mark share follow", s.db.WithContext(ctx).Model(&ShareOpen{}).
		Where("open_id = ? AND member_id IS NULL AND followed_at IS NULL", openID).
		Updates(map[string]any{"member_id": memberID, "followed_at": now}).Error)
}

// ShareFriends counts the distinct friends (not the member) who opened a
// link the member shared, over all links: what makes a spreader.
func (s *Store) ShareFriends(ctx context.Context, memberID uint64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&ShareOpen{}).
		Where("share_opens.via_id = ? AND share_opens.open_id <> (SELECT open_id FROM members WHERE id = ?)", memberID, memberID).
		Distinct("share_opens.open_id").Count(&n).Error
	return n, translate("count share friends", err)
}

// shareOpenRow is a ShareOpen with what the reports show of its members.
type shareOpenRow struct {
	ShareOpen
	ViaOpenID   string
	OpenerLevel string
}

func (s *Store) shareOpenRows(ctx context.Context, linkID uint64) ([]shareOpenRow, error) {
	var rows []shareOpenRow
	err := s.db.WithContext(ctx).Table("share_opens").
		Select("share_opens.*, v.open_id AS via_open_id, COALESCE(m.level, '') AS opener_level").
		Joins("JOIN members v ON v.id = share_opens.via_id").
		Joins("LEFT JOIN members m ON m.open_id = share_opens.open_id").
		Where("share_opens.link_id = ?", linkID).Order("share_opens.id").Scan(&rows).Error
	return rows, translate("read share opens", err)
}

// ShareNode is one fan in a link's share tree.
type ShareNode struct {
	OpenID   string
	MemberID *uint64
	Level    string // the opener's level now ("" when not a member)
	// Parent is the openid of the fan whose share brought this one ("" for
	// the fans who opened their own link: the roots).
	Parent   string
	Depth    int
	Opens    int64
	Paid     int64 // what the parent earned for this fan
	Followed bool
	FirstAt  time.Time
	// Friends is how many fans opened this fan's share (direct children);
	// Reach how many are below them at any depth.
	Friends, Reach int
	Children       []*ShareNode `json:",omitempty"`
}

// ShareTree returns the roots of a link's share tree, to any depth: each
// fan under the fan whose share they first opened. It is built in Go from
// one query (the same on SQLite and MariaDB, no recursive SQL). A sharer who
// never opened the link themselves (a token issued otherwise) is a root
// with no opens.
func (s *Store) ShareTree(ctx context.Context, linkID uint64) ([]*ShareNode, error) {
	rows, err := s.shareOpenRows(ctx, linkID)
	if err != nil {
		return nil, err
	}
	nodes := map[string]*ShareNode{}
	var order []string
	for _, r := range rows {
		n := &ShareNode{OpenID: r.OpenID, MemberID: r.MemberID, Level: r.OpenerLevel, Opens: r.Opens, Paid: r.Paid,
			Followed: r.FollowedAt != nil, FirstAt: r.FirstAt}
		if r.ViaOpenID != r.OpenID {
			n.Parent = r.ViaOpenID
		}
		nodes[r.OpenID] = n
		order = append(order, r.OpenID)
	}
	for _, r := range rows {
		if r.ViaOpenID != r.OpenID && nodes[r.ViaOpenID] == nil {
			id := r.ViaID
			nodes[r.ViaOpenID] = &ShareNode{OpenID: r.ViaOpenID, MemberID: &id}
			order = append(order, r.ViaOpenID)
		}
	}
	var roots []*ShareNode
	for _, id := range order {
		n := nodes[id]
		if p := nodes[n.Parent]; n.Parent != "" && p != nil {
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	// Depths and reach, iteratively (a stack, any depth).
	type frame struct {
		n    *ShareNode
		done bool
	}
	for _, root := range roots {
		stack := []frame{{n: root}}
		for len(stack) > 0 {
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if f.done {
				f.n.Friends = len(f.n.Children)
				f.n.Reach = 0
				for _, c := range f.n.Children {
					f.n.Reach += 1 + c.Reach
				}
				continue
			}
			stack = append(stack, frame{n: f.n, done: true})
			for _, c := range f.n.Children {
				c.Depth = f.n.Depth + 1
				stack = append(stack, frame{n: c})
			}
		}
	}
	return roots, nil
}

// LevelCount is one interaction level's part of a link's report.
type LevelCount struct {
	Level string
	// Openers: fans of this level who opened; Sharers: of those, the ones
	// whose share at least one friend opened.
	Openers, Sharers int64
}

// ShareLinkStats is a tracked link's report.
type ShareLinkStats struct {
	Link ShareLink
	// Opens counts every open in WeChat (clicks); Openers the distinct fans.
	Opens, Openers int64
	// OwnOpens: fans who opened their own link; FriendOpens: fans who came
	// through someone's share. Shares counts the sharers (fans whose link
	// at least one friend opened): what a share is (wechat-platform.md §12).
	OwnOpens, FriendOpens, Sharers int64
	// Follows: openers who followed afterwards; PointsPaid to sharers.
	Follows, PointsPaid int64
	// MaxDepth is the longest chain (0: nobody shared).
	MaxDepth int
	ByLevel  []LevelCount
}

// ShareLinkReport returns a link's counts, by level.
func (s *Store) ShareLinkReport(ctx context.Context, linkID uint64) (*ShareLinkStats, error) {
	l, err := s.ShareLinkByID(ctx, linkID)
	if err != nil {
		return nil, err
	}
	rows, err := s.shareOpenRows(ctx, linkID)
	if err != nil {
		return nil, err
	}
	st := &ShareLinkStats{Link: *l}
	level := map[string]string{}
	for _, r := range rows {
		level[r.OpenID] = r.OpenerLevel
	}
	by := map[string]*LevelCount{}
	get := func(lv string) *LevelCount {
		if lv == "" {
			lv = "none"
		}
		if by[lv] == nil {
			by[lv] = &LevelCount{Level: lv}
		}
		return by[lv]
	}
	sharers := map[string]bool{}
	for _, r := range rows {
		st.Opens += r.Opens
		st.Openers++
		st.PointsPaid += r.Paid
		if r.FollowedAt != nil {
			st.Follows++
		}
		get(r.OpenerLevel).Openers++
		if r.ViaOpenID == r.OpenID {
			st.OwnOpens++
			continue
		}
		st.FriendOpens++
		if !sharers[r.ViaOpenID] {
			sharers[r.ViaOpenID] = true
			lv, ok := level[r.ViaOpenID]
			if !ok {
				lv = LevelFollower
			}
			get(lv).Sharers++
		}
	}
	st.Sharers = int64(len(sharers))
	roots, err := s.ShareTree(ctx, linkID)
	if err != nil {
		return nil, err
	}
	stack := roots
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = append(stack[:len(stack)-1], n.Children...)
		st.MaxDepth = max(st.MaxDepth, n.Depth)
	}
	for _, lv := range append(append([]string{}, Levels...), "none") {
		if c := by[lv]; c != nil {
			st.ByLevel = append(st.ByLevel, *c)
		}
	}
	return st, nil
}

// Spreader is one of the members whose shares friends opened most.
type Spreader struct {
	MemberID uint64
	OpenID   string
	Level    string
	// Friends who opened their shares (distinct), Follows among them, the
	// Points the shares earned, and the Links they spread.
	Friends, Follows, Points, Links int64
}

// TopSpreaders lists the members whose shares the most friends opened
// (linkID 0: over all links), most first.
func (s *Store) TopSpreaders(ctx context.Context, linkID uint64, limit int) ([]Spreader, error) {
	q := s.db.WithContext(ctx).Table("share_opens").
		Select("v.id AS member_id, v.open_id, v.level, COUNT(DISTINCT share_opens.open_id) AS friends, " +
			"COUNT(share_opens.followed_at) AS follows, SUM(share_opens.paid) AS points, COUNT(DISTINCT share_opens.link_id) AS links").
		Joins("JOIN members v ON v.id = share_opens.via_id").
		Where("share_opens.open_id <> v.open_id").
		Group("v.id, v.open_id, v.level").Order("friends DESC, points DESC, v.id").Limit(clampLimit(limit))
	if linkID != 0 {
		q = q.Where("share_opens.link_id = ?", linkID)
	}
	var out []Spreader
	if err := q.Scan(&out).Error; err != nil {
		return nil, translate("top spreaders", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Friends > out[j].Friends })
	return out, nil
}
