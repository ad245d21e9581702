package models

// Adding a schema step
//
// Append an entry to migrations with the next unused version. Its up
// function works on frozen structs declared for it (in migrate_frozen.go or
// inside the function, as migrateProfileTokens does) or on plain DDL, never
// on the live models: a live struct changes later, and the step would then
// do something else on a fresh database than it did on an upgraded one.
// Change the live struct in the same commit. Two tests hold this:
// TestMigrationsStepByStep (an upgraded schema equals a fresh one) and
// TestLiveModelsMatchMigrations (AutoMigrate of the live models would change
// nothing, so a model changed without a step fails). See docs/migrations.md.

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// migration is one versioned schema step. Steps are append-only: never edit
// or reorder a released step, add a new one.
type migration struct {
	version int
	name    string
	up      func(tx *gorm.DB) error
}

// schemaMigration records which steps have run.
type schemaMigration struct {
	Version   int `gorm:"primaryKey;autoIncrement:false"`
	Name      string
	AppliedAt time.Time
}

func (schemaMigration) TableName() string { return "schema_migrations" }

var migrations = []migration{
	{1, "members and message log", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&memberV1{}, &messageV1{})
	}},
	{2, "staff, sessions, API tokens, audit log", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&staffV1{}, &staffSessionV1{}, &apiTokenV1{}, &auditEntryV1{})
	}},
	{3, "consulting rules, tags, settings; rule hits and unanswered flags on messages", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&ruleV1{}, &settingV1{}, &tagV1{}, &memberTagV1{}, &messageV1{}, &memberV1{})
	}},
	{4, "close service: conversations, notes, agent status", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&memberV1{}, &conversationV1{}, &conversationNoteV1{}, &agentStatusV1{})
	}},
	{5, "points ledger", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&memberV1{}, &pointsEntryV1{})
	}},
	{6, "client: channels, referrals, sign-ins, stage and level history", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&memberV1{}, &channelV1{}, &channelEventV1{}, &referralRewardV1{}, &signInV1{}, &memberChangeV1{})
	}},
	{7, "segments, profiles, gifts, redemptions, topics, draws", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&memberV1{}, &segmentV1{}, &memberProfileV1{}, &giftV1{}, &redemptionV1{}, &topicV1{}, &topicEntryV1{}, &drawV1{})
	}},
	{8, "close service: canned replies", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&cannedReplyV1{})
	}},
	{9, "WeChat tag sync", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&tagV1{}, &memberTagV1{})
	}},
	{10, "welcome gifts per channel", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&channelV1{})
	}},
	{11, "delivery engine: pushes and recipients", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&pushV1{}, &recipientV1{})
	}},
	{13, "broadcasts: schedules, runs, mass-send jobs", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&broadcastV1{}, &broadcastRunV1{}, &massJobV1{}, &massFinishEventV1{})
	}},
	{15, "care journeys: journeys, steps, enrolments, sends; keyword interests", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&journeyV1{}, &journeyStepV1{}, &journeyEnrollmentV1{}, &journeySendV1{}, &interestV1{})
	}},
	{17, "delivery at scale: plan counts on pushes, recipient indexes for ordered claims and the frequency cap", func(tx *gorm.DB) error {
		for _, idx := range []string{"idx_rcpt_push_member", "idx_rcpt_push_state", "idx_rcpt_due", "idx_recipients_claimed_until"} {
			if tx.Migrator().HasIndex(&recipientV1{}, idx) {
				if err := tx.Migrator().DropIndex(&recipientV1{}, idx); err != nil {
					return err
				}
			}
		}
		return tx.AutoMigrate(&pushV1{}, &recipientV1{})
	}},
	{18, "reports: messages by event and time (follows, unfollows, fan texts per period), conversations by queue time", func(tx *gorm.DB) error {
		// A fresh database has them from the earlier steps' AutoMigrate.
		for _, ix := range []struct {
			model any
			name  string
		}{{&messageV1{}, "idx_messages_event_created"}, {&conversationV1{}, "idx_conversations_queued_at"}} {
			if tx.Migrator().HasIndex(ix.model, ix.name) {
				continue
			}
			if err := tx.Migrator().CreateIndex(ix.model, ix.name); err != nil {
				return err
			}
		}
		return nil
	}},
	{19, "replicas: job leases, the shared access token", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&jobLeaseV1{}, &weChatTokenV1{})
	}},
	{20, "callback hot path: drop the message-log indexes nothing reads, find open conversations by (member, state)", func(tx *gorm.DB) error {
		for _, ix := range []struct {
			model any
			name  string
		}{{&messageV1{}, "idx_messages_member_id"}, {&messageV1{}, "idx_messages_state"}, {&conversationV1{}, "idx_conversations_member_id"}} {
			if tx.Migrator().HasIndex(ix.model, ix.name) {
				if err := tx.Migrator().DropIndex(ix.model, ix.name); err != nil {
					return err
				}
			}
		}
		if tx.Migrator().HasIndex(&conversationV1{}, "idx_conversations_member_state") {
			return nil // a fresh database has it from step 4
		}
		return tx.Migrator().CreateIndex(&conversationV1{}, "idx_conversations_member_state")
	}},
	{21, "login throttles: failed-login counters every process shares", func(tx *gorm.DB) error {
		// Frozen here: later changes to LoginThrottle need a step of their own.
		type loginThrottle struct {
			ThrottleKey  string `gorm:"primaryKey;size:191"`
			Failures     int    `gorm:"not null;default:0"`
			WindowStart  time.Time
			BlockedUntil *time.Time
			Locked       bool   `gorm:"not null;default:false"`
			StaffID      uint64 `gorm:"not null;default:0;index:idx_login_throttles_staff_id"`
			UpdatedAt    time.Time
		}
		return tx.Table("login_throttles").AutoMigrate(&loginThrottle{})
	}},
	{22, "broadcasts: the openid list as MEDIUMTEXT on MySQL (TEXT held 64 KiB; 8 MB is allowed)", func(tx *gorm.DB) error {
		// SQLite's TEXT has no such limit. Plain DDL, so the step does not
		// change when the Broadcast struct does.
		if tx.Dialector.Name() != "mysql" {
			return nil
		}
		return tx.Exec("ALTER TABLE broadcasts MODIFY open_ids MEDIUMTEXT").Error
	}},
	{23, "fan profile links: only the SHA-256 of each token, with an expiry; existing tokens hashed, valid 30 days from the upgrade", migrateProfileTokens},
	{24, "media library: the local cache of the account's permanent materials, with each file's key in the media store", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&materialV1{})
	}},
	{25, "fan media: the files of fans' images, voice notes and videos, queued for download from WeChat and kept for the retention period", func(tx *gorm.DB) error {
		type fanMedia struct {
			ID           uint64    `gorm:"primaryKey"`
			MessageID    uint64    `gorm:"not null;uniqueIndex:idx_fan_media_message_part,priority:1"`
			Part         string    `gorm:"size:8;not null;uniqueIndex:idx_fan_media_message_part,priority:2"`
			OpenID       string    `gorm:"size:64;not null"`
			Kind         string    `gorm:"size:16;not null"`
			MediaID      string    `gorm:"size:191;not null"`
			Format       string    `gorm:"size:16;not null;default:''"`
			State        string    `gorm:"size:16;not null;index:idx_fan_media_state_next,priority:1"`
			FileKey      string    `gorm:"size:255;not null;default:''"`
			ContentType  string    `gorm:"size:64;not null;default:''"`
			Size         int64     `gorm:"not null;default:0"`
			Attempts     int       `gorm:"not null;default:0"`
			NextAt       time.Time `gorm:"not null;index:idx_fan_media_state_next,priority:2"`
			ClaimedUntil time.Time `gorm:"not null"`
			Error        string    `gorm:"size:255;not null;default:''"`
			StoredAt     *time.Time
			CreatedAt    time.Time
			UpdatedAt    time.Time
		}
		if tx.Migrator().HasTable("fan_media") {
			return nil
		}
		return tx.Table("fan_media").Migrator().CreateTable(&fanMedia{})
	}},
	{26, "agents' pictures: the file and temporary media_id of each picture an agent sent from their computer", func(tx *gorm.DB) error {
		type sentPicture struct {
			ID          uint64    `gorm:"primaryKey"`
			MediaID     string    `gorm:"size:191;not null;uniqueIndex:idx_sent_pictures_media_id"`
			OpenID      string    `gorm:"size:64;not null"`
			FileKey     string    `gorm:"size:255;not null"`
			ContentType string    `gorm:"size:64;not null;default:''"`
			Name        string    `gorm:"size:255;not null;default:''"`
			Size        int64     `gorm:"not null;default:0"`
			ExpiresAt   time.Time `gorm:"not null"`
			CreatedBy   uint64    `gorm:"not null;default:0"`
			CreatedAt   time.Time
		}
		if tx.Migrator().HasTable("sent_pictures") {
			return nil
		}
		return tx.Table("sent_pictures").Migrator().CreateTable(&sentPicture{})
	}},
	{33, "template results: the msgid of each template send (message log, push recipients) and WeChat's TEMPLATESENDJOBFINISH failures", migrateTemplateResults},
	{34, "fan pages: web-authorisation states, single-use and bound to the browser", func(tx *gorm.DB) error {
		type fanOAuthState struct {
			ID        string    `gorm:"primaryKey;size:64"`
			Binding   string    `gorm:"size:64;not null"`
			Scope     string    `gorm:"size:20;not null"`
			Next      string    `gorm:"size:255;not null"`
			ExpiresAt time.Time `gorm:"not null;index:idx_fan_oauth_states_expires_at"`
			UsedAt    *time.Time
			CreatedAt time.Time
		}
		if tx.Migrator().HasTable("fan_oauth_states") {
			return nil
		}
		return tx.Table("fan_oauth_states").Migrator().CreateTable(&fanOAuthState{})
	}},
	{35, "fan pages: fan sessions (SHA-256 of the cookie's token), with the nickname and avatar the fan agreed to share", func(tx *gorm.DB) error {
		type fanSession struct {
			ID        string    `gorm:"primaryKey;size:64"`
			MemberID  uint64    `gorm:"not null;index:idx_fan_sessions_member_id"`
			Scope     string    `gorm:"size:20;not null"`
			Nickname  string    `gorm:"size:64;not null;default:''"`
			AvatarURL string    `gorm:"size:255;not null;default:''"`
			ExpiresAt time.Time `gorm:"not null;index:idx_fan_sessions_expires_at"`
			CreatedAt time.Time
		}
		if tx.Migrator().HasTable("fan_sessions") {
			return nil
		}
		return tx.Table("fan_sessions").Migrator().CreateTable(&fanSession{})
	}},
	{36, "图文 drafts: each draft's WeChat media_id, first title and publish state (publish_id, status, failed articles, article URLs)", func(tx *gorm.DB) error {
		// Frozen here: later changes to NewsDraft need a step of their own.
		type newsDraft struct {
			ID            uint64 `gorm:"primaryKey"`
			MediaID       string `gorm:"size:191;not null;uniqueIndex:idx_news_drafts_media_id"`
			Title         string `gorm:"size:255;not null;default:''"`
			PublishState  string `gorm:"size:16;not null;default:'';index:idx_news_drafts_state"`
			PublishID     int64  `gorm:"not null;default:0;index:idx_news_drafts_publish_id"`
			PublishStatus int    `gorm:"not null;default:0"`
			FailIdx       string `gorm:"size:64;not null;default:''"`
			ArticleID     string `gorm:"size:191;not null;default:''"`
			ArticleURLs   string `gorm:"type:text"`
			SubmittedAt   *time.Time
			FinishedAt    *time.Time
			CreatedBy     uint64 `gorm:"not null;default:0"`
			UpdatedBy     uint64 `gorm:"not null;default:0"`
			CreatedAt     time.Time
			UpdatedAt     time.Time
		}
		if tx.Migrator().HasTable("news_drafts") {
			return nil
		}
		return tx.Table("news_drafts").Migrator().CreateTable(&newsDraft{})
	}},
	{37, "图文 drafts: the articles of each draft (title, author, digest, cover, sanitised body, source URL, comments)", func(tx *gorm.DB) error {
		type newsArticle struct {
			ID              uint64 `gorm:"primaryKey"`
			DraftID         uint64 `gorm:"not null;uniqueIndex:idx_news_articles_draft_idx,priority:1"`
			Idx             int    `gorm:"not null;uniqueIndex:idx_news_articles_draft_idx,priority:2"`
			Title           string `gorm:"size:255;not null"`
			Author          string `gorm:"size:64;not null;default:''"`
			Digest          string `gorm:"size:512;not null;default:''"`
			CoverMediaID    string `gorm:"size:191;not null;default:''"`
			Content         string `gorm:"type:text;not null"`
			SourceURL       string `gorm:"size:1024;not null;default:''"`
			OpenComment     bool   `gorm:"not null;default:false"`
			FansOnlyComment bool   `gorm:"not null;default:false"`
		}
		if tx.Migrator().HasTable("news_articles") {
			return nil
		}
		return tx.Table("news_articles").Migrator().CreateTable(&newsArticle{})
	}},
	{38, "conversations: after_hours, a 留言 left outside business hours (answered first when they begin)", func(tx *gorm.DB) error {
		if tx.Migrator().HasColumn("conversations", "after_hours") {
			return nil
		}
		boolean := "boolean"
		if tx.Dialector.Name() == "sqlite" {
			boolean = "numeric" // what gorm's SQLite dialect writes for bool
		}
		return tx.Exec("ALTER TABLE conversations ADD COLUMN after_hours " + boolean + " NOT NULL DEFAULT false").Error
	}},
	{39, "teams: teams, their members and routes (menu key, keyword, level, stage, tag); conversations.team_id and priority for a queue per team", migrateTeams},
	{40, "fan data rights: the blacklist flag on members", func(tx *gorm.DB) error {
		if tx.Migrator().HasColumn("members", "blacklisted") {
			return nil
		}
		typ := "boolean NOT NULL DEFAULT false"
		if tx.Dialector.Name() == "sqlite" {
			typ = "numeric NOT NULL DEFAULT false" // what gorm's sqlite dialect makes of a bool
		}
		return tx.Exec("ALTER TABLE members ADD COLUMN blacklisted " + typ).Error
	}},
	{42, "lucky draws fans enter: the draws (title, prize, entry window, points cost, winners) and one entry per member", func(tx *gorm.DB) error {
		type luckyDraw struct {
			ID        uint64    `gorm:"primaryKey"`
			Title     string    `gorm:"size:100;not null"`
			Prize     string    `gorm:"size:191;not null"`
			StartsAt  time.Time `gorm:"not null"`
			EndsAt    time.Time `gorm:"not null"`
			Cost      int64     `gorm:"not null;default:0"`
			Winners   int       `gorm:"not null"`
			State     string    `gorm:"size:16;not null;index:idx_lucky_draws_state"`
			DrawID    *uint64
			StaffID   uint64
			CreatedAt time.Time
		}
		type luckyDrawEntry struct {
			ID          uint64 `gorm:"primaryKey"`
			LuckyDrawID uint64 `gorm:"not null;uniqueIndex:idx_lucky_draw_entries_draw_member,priority:1"`
			MemberID    uint64 `gorm:"not null;uniqueIndex:idx_lucky_draw_entries_draw_member,priority:2;index:idx_lucky_draw_entries_member_id"`
			Cost        int64  `gorm:"not null;default:0"`
			CreatedAt   time.Time
		}
		if !tx.Migrator().HasTable("lucky_draws") {
			if err := tx.Table("lucky_draws").Migrator().CreateTable(&luckyDraw{}); err != nil {
				return err
			}
		}
		if tx.Migrator().HasTable("lucky_draw_entries") {
			return nil
		}
		return tx.Table("lucky_draw_entries").Migrator().CreateTable(&luckyDrawEntry{})
	}},
	{44, "share tracking: tracked links and who opened them through whose share", migrateShareTracking},
}

// migrateTemplateResults (step 33) keeps the msgid WeChat gives each
// template message on its message-log row and push recipient, and adds
// template_results, the failures TEMPLATESENDJOBFINISH reports (whichever of
// the send and the event is stored first, the other finds it). Plain DDL
// and a local struct: the live ones change later.
func migrateTemplateResults(tx *gorm.DB) error {
	bigint := "bigint"
	if tx.Dialector.Name() == "sqlite" {
		bigint = "integer"
	}
	for _, t := range []struct{ table, index string }{
		{"messages", "idx_messages_template_msg"}, {"recipients", "idx_recipients_template_msg"},
	} {
		if !tx.Migrator().HasColumn(t.table, "template_msg_id") {
			if err := tx.Exec("ALTER TABLE " + t.table + " ADD COLUMN template_msg_id " + bigint + " NOT NULL DEFAULT 0").Error; err != nil {
				return err
			}
		}
		if !tx.Migrator().HasIndex(t.table, t.index) {
			if err := tx.Exec("CREATE INDEX " + t.index + " ON " + t.table + " (template_msg_id)").Error; err != nil {
				return err
			}
		}
	}
	type templateResult struct {
		MsgID     int64  `gorm:"primaryKey;autoIncrement:false"`
		OpenID    string `gorm:"size:64;not null"`
		Status    string `gorm:"size:64;not null"`
		CreatedAt time.Time
	}
	if tx.Migrator().HasTable("template_results") {
		return nil
	}
	return tx.Table("template_results").Migrator().CreateTable(&templateResult{})
}

// migrateProfileTokens (step 23) moves profile-form tokens out of
// members.profile_token (plain text, matched case-insensitively under
// MariaDB's default collation, never expiring) into profile_tokens, which
// holds only their SHA-256. Links fans already have keep working until
// DefaultProfileLinkLife after the upgrade; then the column goes. It works
// on a frozen copy of the table, never the live struct.
func migrateProfileTokens(tx *gorm.DB) error {
	type profileToken struct {
		MemberID  uint64    `gorm:"primaryKey;autoIncrement:false"`
		Hash      string    `gorm:"size:64;not null;uniqueIndex:idx_profile_tokens_hash"`
		ExpiresAt time.Time `gorm:"not null"`
		CreatedAt time.Time
	}
	if !tx.Migrator().HasTable("profile_tokens") {
		if err := tx.Table("profile_tokens").Migrator().CreateTable(&profileToken{}); err != nil {
			return err
		}
	}
	if !tx.Migrator().HasColumn("members", "profile_token") {
		return nil // a database created after step 23's change to Member
	}
	var old []struct {
		ID           uint64
		ProfileToken string
	}
	if err := tx.Table("members").Select("id, profile_token").Where("profile_token IS NOT NULL").Find(&old).Error; err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	rows := make([]profileToken, 0, len(old))
	for _, o := range old {
		rows = append(rows, profileToken{MemberID: o.ID, Hash: hashToken(o.ProfileToken), ExpiresAt: now.Add(DefaultProfileLinkLife), CreatedAt: now})
	}
	if len(rows) > 0 {
		// DoNothing: a rerun after a failure further down finds them there.
		if err := tx.Table("profile_tokens").Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 500).Error; err != nil {
			return err
		}
	}
	if tx.Dialector.Name() == "sqlite" {
		// SQLite cannot drop an indexed column; MariaDB drops the index with it.
		if err := tx.Exec("DROP INDEX IF EXISTS idx_members_profile_token").Error; err != nil {
			return err
		}
	}
	return tx.Exec("ALTER TABLE members DROP COLUMN profile_token").Error
}

// migrate applies the steps not yet recorded, up to version upTo (0: all).
// Processes starting at once take turns (lockSchema): the first applies the
// steps, the others find them recorded. Only tests stop early, to upgrade a
// database one step at a time.
func (s *Store) migrate(ctx context.Context, upTo int) error {
	db := s.db.WithContext(ctx)
	unlock, err := lockSchema(ctx, db)
	if err != nil {
		return err
	}
	defer unlock()
	if err := db.AutoMigrate(&schemaMigration{}); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var done []int
	if err := db.Model(&schemaMigration{}).Pluck("version", &done).Error; err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied := map[int]bool{}
	for _, v := range done {
		applied[v] = true
	}
	for _, m := range migrations {
		if applied[m.version] {
			continue
		}
		if upTo > 0 && m.version > upTo {
			break
		}
		if err := m.up(db); err != nil {
			return fmt.Errorf("migrate %d (%s): %w", m.version, m.name, err)
		}
		if err := db.Create(&schemaMigration{Version: m.version, Name: m.name, AppliedAt: s.now()}).Error; err != nil {
			return fmt.Errorf("migrate %d: %w", m.version, err)
		}
	}
	return nil
}

// migrateTeams (step 39) adds teams, team_members and team_routes from
// local structs, and conversations.team_id and priority as plain DDL: the
// live structs change later.
func migrateTeams(tx *gorm.DB) error {
	type team struct {
		ID        uint64 `gorm:"primaryKey"`
		Name      string `gorm:"size:64;not null;uniqueIndex:idx_teams_name"`
		Priority  int    `gorm:"not null;default:0"`
		CreatedAt time.Time
		UpdatedAt time.Time
	}
	type teamMember struct {
		TeamID  uint64 `gorm:"primaryKey;autoIncrement:false"`
		StaffID uint64 `gorm:"primaryKey;autoIncrement:false;index:idx_team_members_staff_id"`
	}
	type teamRoute struct {
		ID     uint64 `gorm:"primaryKey"`
		Kind   string `gorm:"size:16;not null;uniqueIndex:idx_team_routes_kind_value,priority:1"`
		Value  string `gorm:"size:64;not null;uniqueIndex:idx_team_routes_kind_value,priority:2"`
		TeamID uint64 `gorm:"not null;index:idx_team_routes_team_id"`
	}
	for _, t := range []struct {
		name  string
		model any
	}{{"teams", &team{}}, {"team_members", &teamMember{}}, {"team_routes", &teamRoute{}}} {
		if tx.Migrator().HasTable(t.name) {
			continue
		}
		if err := tx.Table(t.name).Migrator().CreateTable(t.model); err != nil {
			return err
		}
	}
	bigint, integer := "bigint unsigned", "bigint"
	if tx.Dialector.Name() == "sqlite" {
		bigint, integer = "integer", "integer"
	}
	if !tx.Migrator().HasColumn("conversations", "team_id") {
		if err := tx.Exec("ALTER TABLE conversations ADD COLUMN team_id " + bigint).Error; err != nil {
			return err
		}
		if err := tx.Exec("CREATE INDEX idx_conversations_team_id ON conversations (team_id)").Error; err != nil {
			return err
		}
	}
	if !tx.Migrator().HasColumn("conversations", "priority") {
		return tx.Exec("ALTER TABLE conversations ADD COLUMN priority " + integer + " NOT NULL DEFAULT 0").Error
	}
	return nil
}
