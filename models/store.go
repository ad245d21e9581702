// Package models owns fivec's database: the gorm structs, their validation and
// every query. Nothing outside this package calls gorm.
package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	mysqldrv "github.com/go-sql-driver/mysql"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store is the one handle on the database.
type Store struct {
	db     *gorm.DB
	driver string
	// Now is the clock; tests inject their own.
	Now func() time.Time
	// PasswordCost is the bcrypt cost for staff passwords (tests lower it).
	PasswordCost int
	// AfterCommit, when set, runs after each transaction an operation
	// opened has committed, with the operation's context. Tests use it to
	// act at that moment (a client that disconnects once the change is in).
	AfterCommit func(ctx context.Context)
	// SessionMaxAge ends a console session this long after login however
	// active it is (DefaultSessionMaxAge when 0).
	SessionMaxAge time.Duration
	// nested: db is a transaction another operation opened (see inTx).
	nested bool
	// reportPage overrides how many rows a paged report reads per query
	// (tests make it small; 0 takes the default).
	reportPage int
}

// Open connects to the database, waits up to connectTimeout for it to answer,
// and applies pending migrations.
func Open(ctx context.Context, driver, dsn string, connectTimeout time.Duration) (*Store, error) {
	return open(ctx, driver, dsn, connectTimeout, 0)
}

// open is Open applying migrations up to version upTo (0: all).
func open(ctx context.Context, driver, dsn string, connectTimeout time.Duration, upTo int) (*Store, error) {
	var dial gorm.Dialector
	switch driver {
	case "sqlite":
		dial = sqlite.Open(SQLiteDSN(dsn))
	case "mysql":
		cfg, err := mysqldrv.ParseDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("FIVEC_DB_DSN: not a MySQL DSN: %v", err)
		}
		// fivec stores UTC and scans DATETIME into time.Time.
		cfg.ParseTime = true
		// Send statements with their arguments inlined instead of a PREPARE
		// plus EXECUTE round trip each: half the round trips per message.
		cfg.InterpolateParams = true
		if cfg.Params == nil || cfg.Params["charset"] == "" {
			if cfg.Params == nil {
				cfg.Params = map[string]string{}
			}
			cfg.Params["charset"] = "utf8mb4"
		}
		if cfg.Timeout == 0 {
			cfg.Timeout = connectTimeout
		}
		dial = mysql.Open(cfg.FormatDSN())
	default:
		return nil, fmt.Errorf("unknown database driver %q", driver)
	}
	conf := &gorm.Config{
		Logger:         logger.Discard,
		TranslateError: true,
		// Single statements need no BEGIN/COMMIT around them; operations of
		// several statements open their own transaction (Store.tx).
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
	}
	db, err := gorm.Open(dial, conf)
	// Switching a fresh SQLite file to WAL can answer SQLITE_BUSY at once,
	// without waiting out busy_timeout, when another process opens the same
	// file at that moment: try again for a while.
	for try := 0; err != nil && driver == "sqlite" && strings.Contains(err.Error(), "SQLITE_BUSY") && try < 50; try++ {
		time.Sleep(100 * time.Millisecond)
		db, err = gorm.Open(sqlite.Open(SQLiteDSN(dsn)), conf)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", driver, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if driver == "sqlite" {
		// SQLite allows one writer; funnelling everything through one
		// connection avoids "database is locked" under concurrent callbacks.
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(32)
		sqlDB.SetMaxIdleConns(16)
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
	}
	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("database did not answer within %s: %w", connectTimeout, err)
	}
	s := &Store{db: db, driver: driver, Now: time.Now, PasswordCost: bcrypt.DefaultCost}
	if err := s.migrate(ctx, upTo); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// SQLiteDSN adds WAL, a busy timeout, foreign keys and fivec's other
// pragmas unless the DSN sets them (the benchmarks open SQLite with it too).
func SQLiteDSN(dsn string) string {
	if strings.Contains(dsn, "_pragma") {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	// _txlock=immediate: a transaction takes the write lock when it begins, so
	// one that reads then writes waits (busy_timeout) instead of failing with
	// SQLITE_BUSY when another process wrote in between.
	// busy_timeout comes first: switching a fresh file to WAL takes a lock,
	// and a second process starting at the same moment must wait for it.
	return dsn + sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_txlock=immediate"
}

// inTx is the store seen from inside tx: its public methods run as part
// of that transaction (savepoints), so one operation can compose another's.
func (s *Store) inTx(tx *gorm.DB) *Store {
	return &Store{db: tx, driver: s.driver, Now: s.Now, PasswordCost: s.PasswordCost, SessionMaxAge: s.SessionMaxAge, nested: true}
}

// Driver names the database in use ("sqlite" or "mysql").
func (s *Store) Driver() string { return s.driver }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// now is the store's clock in UTC, at millisecond precision: MySQL keeps
// DATETIME(3), so a time compared after a round trip must not carry more.
func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

// tx runs fn in a transaction bound to ctx. A transaction MySQL chose as
// a deadlock victim (1213) or that timed out waiting for a lock (1205) has
// been rolled back whole, so it is safe to run again; it is, up to 3 times.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.nested {
		// A savepoint inside the caller's transaction: after a deadlock
		// MySQL has rolled back the whole of it, so only the caller may
		// run it again.
		return s.db.WithContext(ctx).Transaction(fn)
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = s.db.WithContext(ctx).Transaction(fn)
		if err == nil && s.AfterCommit != nil {
			s.AfterCommit(ctx)
		}
		var me *mysqldrv.MySQLError
		if !errors.As(err, &me) || (me.Number != 1213 && me.Number != 1205) {
			return err
		}
	}
	return err
}
