package models

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// liveModels is every model with a table of its own. A new model goes here
// too (TestLiveModelsMatchMigrations fails for a table none of them names).
var liveModels = []any{
	&Member{}, &Message{}, &Staff{}, &StaffSession{}, &APIToken{}, &AuditEntry{},
	&Rule{}, &setting{}, &Tag{}, &MemberTag{},
	&Conversation{}, &ConversationNote{}, &AgentStatus{}, &PointsEntry{},
	&Channel{}, &ChannelEvent{}, &ReferralReward{}, &SignIn{}, &MemberChange{},
	&Segment{}, &MemberProfile{}, &ProfileToken{}, &Gift{}, &Redemption{}, &Topic{}, &TopicEntry{}, &Draw{},
	&CannedReply{}, &Push{}, &Recipient{},
	&Broadcast{}, &BroadcastRun{}, &MassJob{}, &MassFinishEvent{},
	&Journey{}, &JourneyStep{}, &JourneyEnrollment{}, &JourneySend{}, &Interest{},
	&JobLease{}, &WeChatToken{}, &LoginThrottle{}, &TemplateResult{},
	&Material{}, &FanOAuthState{}, &FanSession{}, &NewsDraft{}, &NewsArticle{},
	&ShareLink{}, &ShareOpen{},
	&FanMedia{}, &SentPicture{},
	&LuckyDraw{}, &LuckyDrawEntry{},
	&Team{}, &TeamMember{}, &TeamRoute{},
}

// OpenAt opens driver's database at dsn and applies the migrations up to
// version (an existing database's later steps stay unapplied).
func OpenAt(ctx context.Context, driver, dsn string, version int) (*Store, error) {
	return open(ctx, driver, dsn, 10*time.Second, version)
}

// MigrationVersions lists the steps' versions in order.
func MigrationVersions() []int {
	v := make([]int, len(migrations))
	for i, m := range migrations {
		v[i] = m.version
	}
	return v
}

// AutoMigrateLiveModels runs gorm's AutoMigrate of every live model on s.
func AutoMigrateLiveModels(s *Store) error { return s.db.AutoMigrate(liveModels...) }

// LiveModelTables names the tables of the live models.
func LiveModelTables(s *Store) ([]string, error) {
	var out []string
	for _, m := range liveModels {
		st := &gorm.Statement{DB: s.db}
		if err := st.Parse(m); err != nil {
			return nil, err
		}
		out = append(out, st.Schema.Table)
	}
	sort.Strings(out)
	return out, nil
}

// SchemaSnapshot describes s's schema as sorted lines, one per table,
// column (type, nullability, default, key) and index (uniqueness, columns):
//
//	table members
//	column members.open_id varchar(64) NOT NULL default=<nil> pk=false
//	index members.idx_members_open_id unique (open_id)
//
// Rows are not part of it (schema_migrations and schema_lock hold rows).
func SchemaSnapshot(s *Store) ([]string, error) {
	if s.driver == "mysql" {
		return mysqlSchema(s.db)
	}
	return sqliteSchema(s.db)
}

func sqliteSchema(db *gorm.DB) ([]string, error) {
	var tables []string
	if err := db.Raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").Scan(&tables).Error; err != nil {
		return nil, err
	}
	var out []string
	for _, t := range tables {
		out = append(out, "table "+t)
		var cols []struct {
			Name    string
			Type    string
			NotNull int
			Dflt    *string `gorm:"column:dflt_value"`
			PK      int     `gorm:"column:pk"`
		}
		if err := db.Raw("SELECT name, type, \"notnull\" AS not_null, dflt_value, pk FROM pragma_table_info(?)", t).Scan(&cols).Error; err != nil {
			return nil, err
		}
		for _, c := range cols {
			out = append(out, fmt.Sprintf("column %s.%s %s %s default=%s pk=%v", t, c.Name, strings.ToLower(c.Type), nullability(c.NotNull == 0), deref(c.Dflt), c.PK > 0))
		}
		var idx []struct {
			Name   string
			Unique int
		}
		if err := db.Raw("SELECT name, \"unique\" AS \"unique\" FROM pragma_index_list(?)", t).Scan(&idx).Error; err != nil {
			return nil, err
		}
		for _, ix := range idx {
			var names []string
			if err := db.Raw("SELECT name FROM pragma_index_info(?) ORDER BY seqno", ix.Name).Scan(&names).Error; err != nil {
				return nil, err
			}
			out = append(out, indexLine(t, ix.Name, ix.Unique == 1, names))
		}
	}
	sort.Strings(out)
	return out, nil
}

func mysqlSchema(db *gorm.DB) ([]string, error) {
	var tables []string
	if err := db.Raw("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()").Scan(&tables).Error; err != nil {
		return nil, err
	}
	var out []string
	for _, t := range tables {
		out = append(out, "table "+t)
	}
	var cols []struct {
		TableName, ColumnName, ColumnType, IsNullable, ColumnKey string
		ColumnDefault                                            *string
	}
	if err := db.Raw("SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, COLUMN_TYPE AS column_type, IS_NULLABLE AS is_nullable, COLUMN_KEY AS column_key, COLUMN_DEFAULT AS column_default FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()").Scan(&cols).Error; err != nil {
		return nil, err
	}
	for _, c := range cols {
		out = append(out, fmt.Sprintf("column %s.%s %s %s default=%s pk=%v", c.TableName, c.ColumnName, strings.ToLower(c.ColumnType), nullability(c.IsNullable == "YES"), deref(c.ColumnDefault), c.ColumnKey == "PRI"))
	}
	var idx []struct {
		TableName, IndexName, ColumnName string
		NonUnique                        int
	}
	if err := db.Raw("SELECT TABLE_NAME AS table_name, INDEX_NAME AS index_name, COLUMN_NAME AS column_name, NON_UNIQUE AS non_unique FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX").Scan(&idx).Error; err != nil {
		return nil, err
	}
	for i := 0; i < len(idx); {
		j, names := i, []string{}
		for ; j < len(idx) && idx[j].TableName == idx[i].TableName && idx[j].IndexName == idx[i].IndexName; j++ {
			names = append(names, idx[j].ColumnName)
		}
		out = append(out, indexLine(idx[i].TableName, idx[i].IndexName, idx[i].NonUnique == 0, names))
		i = j
	}
	sort.Strings(out)
	return out, nil
}

func indexLine(table, name string, unique bool, cols []string) string {
	kind := "index"
	if unique {
		kind = "unique"
	}
	return fmt.Sprintf("index %s.%s %s (%s)", table, name, kind, strings.Join(cols, ", "))
}

func nullability(null bool) string {
	if null {
		return "NULL"
	}
	return "NOT NULL"
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
