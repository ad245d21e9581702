package models

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// sqlCapture is a gorm logger that keeps every statement (values inlined).
type sqlCapture struct {
	mu    sync.Mutex
	stmts []string
}

func (c *sqlCapture) LogMode(logger.LogLevel) logger.Interface { return c }
func (c *sqlCapture) Info(context.Context, string, ...any)     {}
func (c *sqlCapture) Warn(context.Context, string, ...any)     {}
func (c *sqlCapture) Error(context.Context, string, ...any)    {}
func (c *sqlCapture) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	c.mu.Lock()
	c.stmts = append(c.stmts, sql)
	c.mu.Unlock()
}

// CaptureSQL runs fn with s recording the statements it runs, and returns
// them (tests check the report queries' plans).
func CaptureSQL(s *Store, fn func()) []string {
	c := &sqlCapture{}
	old := s.db
	s.db = s.db.Session(&gorm.Session{Logger: c})
	defer func() { s.db = old }()
	fn()
	return c.stmts
}

// Explain returns stmt's query plan, one line per step: SQLite's EXPLAIN
// QUERY PLAN details, or MySQL's "table type possible_keys key" per row.
func Explain(s *Store, stmt string) ([]string, error) {
	var out []string
	if s.driver == "mysql" {
		rows, err := s.db.Raw("EXPLAIN " + stmt).Rows()
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return nil, err
			}
			m := map[string]string{}
			for i, col := range cols {
				if b, ok := vals[i].([]byte); ok {
					m[col] = string(b)
				} else if vals[i] != nil {
					m[col] = fmt.Sprint(vals[i])
				}
			}
			out = append(out, strings.Join([]string{m["table"], m["type"], "possible_keys=" + m["possible_keys"], "key=" + m["key"]}, " "))
		}
		return out, rows.Err()
	}
	var plan []struct{ Detail string }
	err := s.db.Raw("EXPLAIN QUERY PLAN " + stmt).Scan(&plan).Error
	for _, p := range plan {
		out = append(out, p.Detail)
	}
	return out, err
}

// UndoReportIndexes makes s look like a database from before migration 18:
// its indexes dropped and the step not recorded.
func UndoReportIndexes(s *Store) error {
	m := s.db.Migrator()
	if err := m.DropIndex(&Message{}, "idx_messages_event_created"); err != nil {
		return err
	}
	if err := m.DropIndex(&Conversation{}, "idx_conversations_queued_at"); err != nil {
		return err
	}
	return s.db.Where("version = ?", 18).Delete(&schemaMigration{}).Error
}

// HasReportIndexes reports whether migration 18's indexes exist.
func HasReportIndexes(s *Store) bool {
	m := s.db.Migrator()
	return m.HasIndex(&Message{}, "idx_messages_event_created") && m.HasIndex(&Conversation{}, "idx_conversations_queued_at")
}

// ExecForTest runs raw SQL on s, for tests that plant faults (triggers).
func ExecForTest(s *Store, sql string) error { return s.db.Exec(sql).Error }

// RecordBatch records ins as one batch of the Recorder would (one
// transaction, multi-row statements), so tests can check the batch path
// without depending on goroutine timing.
func (s *Store) RecordBatch(ctx context.Context, ins []Inbound) ([]*Message, []*Member, []bool, error) {
	ops := make([]*recOp, len(ins))
	for i := range ins {
		ops[i] = &recOp{in: &ins[i]}
	}
	if err := s.applyOps(ctx, ops); err != nil {
		return nil, nil, nil, err
	}
	msgs, members, dups := make([]*Message, len(ops)), make([]*Member, len(ops)), make([]bool, len(ops))
	for i, op := range ops {
		msgs[i], members[i], dups[i] = op.msg, op.member, op.dup
	}
	return msgs, members, dups, nil
}

// HotPathIndexes reports, for migration 20, whether the message log still has
// its member and state indexes and whether conversations are indexed by
// (member_id, state).
func HotPathIndexes(s *Store) (oldMessage, oldConv, memberState bool) {
	m := s.db.Migrator()
	return m.HasIndex(&Message{}, "idx_messages_member_id") || m.HasIndex(&Message{}, "idx_messages_state"),
		m.HasIndex(&Conversation{}, "idx_conversations_member_id"),
		m.HasIndex(&Conversation{}, "idx_conversations_member_state")
}

// UndoHotPathIndexes makes s look like a database from before migration 20.
func UndoHotPathIndexes(s *Store) error {
	for _, q := range []string{
		"CREATE INDEX idx_messages_member_id ON messages (member_id)",
		"CREATE INDEX idx_messages_state ON messages (state)",
		"CREATE INDEX idx_conversations_member_id ON conversations (member_id)",
	} {
		if err := s.db.Exec(q).Error; err != nil {
			return err
		}
	}
	if err := s.db.Migrator().DropIndex(&Conversation{}, "idx_conversations_member_state"); err != nil {
		return err
	}
	return s.db.Where("version = ?", 20).Delete(&schemaMigration{}).Error
}

// SetReportPage makes paged reports read n rows per query.
func SetReportPage(s *Store, n int) { s.reportPage = n }

// UndoOpenIDListColumn makes broadcasts.open_ids TEXT again, as before
// migration 22 (MySQL only).
func UndoOpenIDListColumn(s *Store) error {
	if err := s.db.Exec("ALTER TABLE broadcasts MODIFY open_ids TEXT").Error; err != nil {
		return err
	}
	return s.db.Where("version = ?", 22).Delete(&schemaMigration{}).Error
}

// OpenIDListColumnType is the MySQL type of broadcasts.open_ids.
func OpenIDListColumnType(s *Store) (string, error) {
	var typ string
	err := s.db.Raw("SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'broadcasts' AND COLUMN_NAME = 'open_ids'").Scan(&typ).Error
	return typ, err
}

// UndoProfileTokens makes s look like a database from before migration 23:
// no profile_tokens table, and tokens in plain text on members (tokens maps
// member id to token).
func UndoProfileTokens(s *Store, tokens map[uint64]string) error {
	if err := s.db.Migrator().DropTable("profile_tokens"); err != nil {
		return err
	}
	if err := s.db.Exec("ALTER TABLE members ADD COLUMN profile_token varchar(32)").Error; err != nil {
		return err
	}
	if err := s.db.Exec("CREATE UNIQUE INDEX idx_members_profile_token ON members (profile_token)").Error; err != nil {
		return err
	}
	for id, tok := range tokens {
		if err := s.db.Exec("UPDATE members SET profile_token = ? WHERE id = ?", tok, id).Error; err != nil {
			return err
		}
	}
	return s.db.Where("version = ?", 23).Delete(&schemaMigration{}).Error
}

// ProfileTokenShape reports whether profile_tokens exists and whether
// members still has the plain-text column.
func ProfileTokenShape(s *Store) (table, plainColumn bool) {
	return s.db.Migrator().HasTable("profile_tokens"), s.db.Migrator().HasColumn("members", "profile_token")
}

// AppliedMigrations lists the versions recorded in schema_migrations.
func AppliedMigrations(s *Store) ([]int, error) {
	var v []int
	err := s.db.Model(&schemaMigration{}).Order("version").Pluck("version", &v).Error
	return v, err
}

// MigrationCount is the number of schema steps.
func MigrationCount() int { return len(migrations) }
