package models

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Team is a group of agents with a queue of its own (售前, 售后, VIP).
// Conversations routed to it wait in its queue; only its members (and
// admins claiming by hand) take them.
type Team struct {
	ID   uint64 `gorm:"primaryKey"`
	Name string `gorm:"size:64;not null;uniqueIndex"`
	// Priority orders the queues: a conversation routed here carries it,
	// and higher ones are served first (VIP ahead of visitors).
	Priority  int `gorm:"not null;default:0"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TeamMember puts an agent in a team; an agent may be in several.
type TeamMember struct {
	TeamID  uint64 `gorm:"primaryKey;autoIncrement:false"`
	StaffID uint64 `gorm:"primaryKey;autoIncrement:false;index"`
}

// Route kinds: what a TeamRoute matches.
const (
	RouteMenu    = "menu"    // the menu key that escalated
	RouteKeyword = "keyword" // the keyword that escalated
	RouteLevel   = "level"   // the member's level (e.g. key_person)
	RouteStage   = "stage"   // the member's stage (e.g. loyal)
	RouteTag     = "tag"     // a tag the member has (by name)
)

// RouteKinds lists the route kinds in the order the team page shows them.
var RouteKinds = []string{RouteMenu, RouteKeyword, RouteLevel, RouteStage, RouteTag}

// TeamRoute sends fans matching Kind/Value to a team. A value routes to
// one team only.
type TeamRoute struct {
	ID     uint64 `gorm:"primaryKey"`
	Kind   string `gorm:"size:16;not null;uniqueIndex:idx_team_routes_kind_value,priority:1"`
	Value  string `gorm:"size:64;not null;uniqueIndex:idx_team_routes_kind_value,priority:2"`
	TeamID uint64 `gorm:"not null;index"`
}

// TeamInfo is a team with its members and routes, for the team page.
type TeamInfo struct {
	Team
	Members []Staff
	Routes  []TeamRoute
	// Serving counts the members who can take chats (enabled agents and
	// admins); a team without any gets nothing routed to it.
	Serving int
}

func validTeamName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 20 {
		return "", Errorf(EINVALID, "a team name must be 1-20 characters")
	}
	return name, nil
}

// CreateTeam adds a team; names are unique.
func (s *Store) CreateTeam(ctx context.Context, name string, priority int) (*Team, error) {
	name, err := validTeamName(name)
	if err != nil {
		return nil, err
	}
	if priority < 0 || priority > 100 {
		return nil, Errorf(EINVALID, "priority must be 0-100")
	}
	t := &Team{Name: name, Priority: priority}
	err = s.db.WithContext(ctx).Create(t).Error
	if isDuplicate(err) {
		return nil, Errorf(ECONFLICT, "a team named %s already exists", name)
	}
	return t, translate("create team", err)
}

// UpdateTeam renames a team and sets its priority.
func (s *Store) UpdateTeam(ctx context.Context, id uint64, name string, priority int) (*Team, error) {
	name, err := validTeamName(name)
	if err != nil {
		return nil, err
	}
	if priority < 0 || priority > 100 {
		return nil, Errorf(EINVALID, "priority must be 0-100")
	}
	res := s.db.WithContext(ctx).Model(&Team{}).Where("id = ?", id).
		Updates(map[string]any{"name": name, "priority": priority, "updated_at": s.now()})
	if isDuplicate(res.Error) {
		return nil, Errorf(ECONFLICT, "a team named %s already exists", name)
	}
	if res.Error != nil {
		return nil, translate("update team", res.Error)
	}
	return s.FindTeam(ctx, id)
}

// FindTeam returns one team.
func (s *Store) FindTeam(ctx context.Context, id uint64) (*Team, error) {
	var t Team
	return &t, translate("team", s.db.WithContext(ctx).Take(&t, id).Error)
}

// DeleteTeam removes a team, its members and routes. Its waiting
// conversations move to the general queue (nobody is stranded).
func (s *Store) DeleteTeam(ctx context.Context, id uint64) error {
	return translate("delete team", s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Delete(&Team{}, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ENOTFOUND, "no such team")
		}
		if err := tx.Where("team_id = ?", id).Delete(&TeamMember{}).Error; err != nil {
			return err
		}
		if err := tx.Where("team_id = ?", id).Delete(&TeamRoute{}).Error; err != nil {
			return err
		}
		// The general queue has no priorities (its positions are counted
		// by id alone, models.queuePositions).
		return tx.Model(&Conversation{}).Where("team_id = ?", id).
			Updates(map[string]any{"team_id": nil, "priority": 0, "updated_at": s.now()}).Error
	}))
}

// SetTeamMembers replaces a team's members. Only agents and admins can be
// members (a marketer cannot answer chats).
func (s *Store) SetTeamMembers(ctx context.Context, teamID uint64, staffIDs []uint64) error {
	return translate("team members", s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&Team{}, teamID).Error; err != nil {
			if isNotFound(err) {
				return Errorf(ENOTFOUND, "no such team")
			}
			return err
		}
		seen := map[uint64]bool{}
		for _, id := range staffIDs {
			var st Staff
			if err := tx.Take(&st, id).Error; err != nil {
				if isNotFound(err) {
					return Errorf(ENOTFOUND, "no staff account %d", id)
				}
				return err
			}
			if !st.ReadsChats() {
				return Errorf(EINVALID, "%s cannot answer chats (marketer)", st.Username)
			}
			seen[id] = true
		}
		if err := tx.Where("team_id = ?", teamID).Delete(&TeamMember{}).Error; err != nil {
			return err
		}
		for id := range seen {
			if err := tx.Create(&TeamMember{TeamID: teamID, StaffID: id}).Error; err != nil {
				return err
			}
		}
		return nil
	}))
}

// SetTeamRoutes replaces a team's routes. A value already routed to another
// team is refused (each value routes to one team).
func (s *Store) SetTeamRoutes(ctx context.Context, teamID uint64, routes []TeamRoute) error {
	for i := range routes {
		routes[i].Value = strings.TrimSpace(routes[i].Value)
		r := routes[i]
		if !validRouteKind(r.Kind) {
			return Errorf(EINVALID, "unknown route kind %q", r.Kind)
		}
		if r.Value == "" || len(r.Value) > 64 {
			return Errorf(EINVALID, "a route value must be 1-64 bytes")
		}
	}
	return translate("team routes", s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&Team{}, teamID).Error; err != nil {
			if isNotFound(err) {
				return Errorf(ENOTFOUND, "no such team")
			}
			return err
		}
		if err := tx.Where("team_id = ?", teamID).Delete(&TeamRoute{}).Error; err != nil {
			return err
		}
		for _, r := range routes {
			var other TeamRoute
			err := tx.Where("kind = ? AND value = ?", r.Kind, r.Value).Take(&other).Error
			if err == nil {
				if other.TeamID == teamID {
					continue // listed twice
				}
				return Errorf(ECONFLICT, "%s %s already routes to another team", r.Kind, r.Value)
			}
			if !isNotFound(err) {
				return err
			}
			if err := tx.Create(&TeamRoute{Kind: r.Kind, Value: r.Value, TeamID: teamID}).Error; err != nil {
				return err
			}
		}
		return nil
	}))
}

func validRouteKind(k string) bool {
	for _, x := range RouteKinds {
		if x == k {
			return true
		}
	}
	return false
}

// Teams lists every team with its members and routes, by name.
func (s *Store) Teams(ctx context.Context) ([]TeamInfo, error) {
	db := s.db.WithContext(ctx)
	var teams []Team
	if err := db.Order("priority DESC, name").Find(&teams).Error; err != nil {
		return nil, translate("teams", err)
	}
	var members []TeamMember
	var routes []TeamRoute
	var staff []Staff
	if err := db.Find(&members).Error; err != nil {
		return nil, translate("teams", err)
	}
	if err := db.Order("kind, value").Find(&routes).Error; err != nil {
		return nil, translate("teams", err)
	}
	if err := db.Order("username").Find(&staff).Error; err != nil {
		return nil, translate("teams", err)
	}
	byID := map[uint64]Staff{}
	for _, st := range staff {
		byID[st.ID] = st
	}
	out := make([]TeamInfo, len(teams))
	for i, t := range teams {
		out[i].Team = t
		for _, m := range members {
			if m.TeamID == t.ID {
				st := byID[m.StaffID]
				out[i].Members = append(out[i].Members, st)
				if st.CanServe() {
					out[i].Serving++
				}
			}
		}
		for _, r := range routes {
			if r.TeamID == t.ID {
				out[i].Routes = append(out[i].Routes, r)
			}
		}
	}
	return out, nil
}

// StaffTeams returns the ids of the teams staffID is in.
func (s *Store) StaffTeams(ctx context.Context, staffID uint64) ([]uint64, error) {
	var ids []uint64
	err := s.db.WithContext(ctx).Model(&TeamMember{}).Where("staff_id = ?", staffID).Order("team_id").Pluck("team_id", &ids).Error
	return ids, translate("staff teams", err)
}

// Route is where an escalation goes: a team's queue (TeamID) or the
// general one (nil), at a priority.
type Route struct {
	TeamID   *uint64
	Priority int
	// Skipped names a matching team passed over because none of its
	// members can take chats (the fan went elsewhere; the team page warns).
	Skipped string
}

// RouteFor picks the queue for a member escalating by reason with trigger
// (the menu key or keyword; "" otherwise). Every route matching the
// trigger or the member's level, stage or tags is a candidate; the team of
// highest priority wins, the trigger's team on a tie. A team with nobody
// who can take chats is skipped, and with no team left the fan goes to the
// general queue.
func (s *Store) RouteFor(ctx context.Context, m *Member, reason, trigger string) (Route, error) {
	db := s.db.WithContext(ctx)
	conds := []string{}
	args := []any{}
	add := func(kind, value string) {
		if value != "" {
			conds = append(conds, "(kind = ? AND value = ?)")
			args = append(args, kind, value)
		}
	}
	switch reason {
	case ReasonMenu:
		add(RouteMenu, trigger)
	case ReasonKeyword:
		add(RouteKeyword, trigger)
	}
	add(RouteLevel, m.Level)
	add(RouteStage, m.Stage)
	var routes []TeamRoute
	q := db.Where(strings.Join(conds, " OR "), args...)
	q = q.Or("kind = ? AND value IN (?)", RouteTag,
		db.Table("tags").Select("tags.name").Joins("JOIN member_tags ON member_tags.tag_id = tags.id").Where("member_tags.member_id = ?", m.ID))
	if err := q.Find(&routes).Error; err != nil {
		return Route{}, translate("route", err)
	}
	if len(routes) == 0 {
		return Route{}, nil
	}
	ids := make([]uint64, 0, len(routes))
	fromTrigger := map[uint64]bool{}
	for _, r := range routes {
		ids = append(ids, r.TeamID)
		if r.Kind == RouteMenu || r.Kind == RouteKeyword {
			fromTrigger[r.TeamID] = true
		}
	}
	var teams []Team
	if err := db.Where("id IN ?", ids).Order("priority DESC, id").Find(&teams).Error; err != nil {
		return Route{}, translate("route", err)
	}
	// Trigger teams first among equal priorities.
	for i := 1; i < len(teams); i++ {
		for j := i; j > 0 && teams[j].Priority == teams[j-1].Priority && fromTrigger[teams[j].ID] && !fromTrigger[teams[j-1].ID]; j-- {
			teams[j], teams[j-1] = teams[j-1], teams[j]
		}
	}
	var skipped []string
	for _, t := range teams {
		var serving int64
		err := db.Model(&TeamMember{}).Joins("JOIN staffs ON staffs.id = team_members.staff_id").
			Where("team_members.team_id = ? AND staffs.disabled = ? AND staffs.role IN ?", t.ID, false, []string{RoleAgent, RoleAdmin}).
			Count(&serving).Error
		if err != nil {
			return Route{}, translate("route", err)
		}
		if serving == 0 {
			skipped = append(skipped, t.Name)
			continue
		}
		id := t.ID
		return Route{TeamID: &id, Priority: t.Priority, Skipped: strings.Join(skipped, "、")}, nil
	}
	return Route{Skipped: strings.Join(skipped, "、")}, nil
}

// ErrTeamEmpty refuses sending a conversation to a team nobody can serve.
var ErrTeamEmpty = Errorf(EINVALID, "the team has no agent who can take chats")

// TransferToTeam puts an assigned conversation back in a team's queue, at
// the team's priority (never lower than it had), with an optional note.
// Only the assigned agent (fromAgent) can, and only to a team with at least
// one member who can take chats.
func (s *Store) TransferToTeam(ctx context.Context, convID, fromAgent, teamID uint64, note string) (*Conversation, error) {
	now := s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var t Team
		if err := tx.Clauses(lockForUpdate(tx)...).Take(&t, teamID).Error; err != nil {
			if isNotFound(err) {
				return Errorf(ENOTFOUND, "no such team")
			}
			return err
		}
		var serving int64
		if err := tx.Model(&TeamMember{}).Joins("JOIN staffs ON staffs.id = team_members.staff_id").
			Where("team_members.team_id = ? AND staffs.disabled = ? AND staffs.role IN ?", teamID, false, []string{RoleAgent, RoleAdmin}).
			Count(&serving).Error; err != nil {
			return err
		}
		if serving == 0 {
			return ErrTeamEmpty
		}
		var c Conversation
		if err := tx.Take(&c, convID).Error; err != nil {
			return err
		}
		prio := c.Priority
		if t.Priority > prio {
			prio = t.Priority
		}
		res := tx.Model(&Conversation{}).Where("id = ? AND state = ? AND agent_id = ?", convID, ConvAssigned, fromAgent).
			Updates(map[string]any{"state": ConvWaiting, "agent_id": nil, "assigned_at": nil, "team_id": teamID,
				"priority": prio, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ECONFLICT, "only the assigned agent can transfer this conversation")
		}
		var from Staff
		if err := tx.Take(&from, fromAgent).Error; err != nil {
			return err
		}
		text := "转给团队 " + t.Name
		if note != "" {
			text += "：" + note
		}
		return tx.Create(&ConversationNote{ConversationID: convID, StaffID: fromAgent, Username: from.Username, Text: text}).Error
	})
	if err != nil {
		return nil, translate("transfer to team", err)
	}
	return s.FindConversation(ctx, convID)
}

// MenuRouted reports whether a menu key routes to a team (such a button
// hands the fan to people).
func (s *Store) MenuRouted(ctx context.Context, key string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&TeamRoute{}).Where("kind = ? AND value = ?", RouteMenu, key).Count(&n).Error
	return n > 0, translate("menu route", err)
}

// TeamNames maps every team's id to its name (the inbox labels).
func (s *Store) TeamNames(ctx context.Context) (map[uint64]string, error) {
	var teams []Team
	if err := s.db.WithContext(ctx).Select("id, name").Find(&teams).Error; err != nil {
		return nil, translate("team names", err)
	}
	out := make(map[uint64]string, len(teams))
	for _, t := range teams {
		out[t.ID] = t.Name
	}
	return out, nil
}
