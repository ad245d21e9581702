// Package modelstest opens real, throw-away databases for tests: SQLite
// always, and MariaDB/MySQL when FIVEC_TEST_MYSQL_DSN is set.
package modelstest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"golang.org/x/crypto/bcrypt"

	"github.com/fivec/fivec/models"
)

// MySQLEnv names the variable that enables the MySQL half of the tests.
const MySQLEnv = "FIVEC_TEST_MYSQL_DSN"

// SkipMessage is printed when MySQL tests are skipped.
const SkipMessage = "MariaDB tests skipped: set " + MySQLEnv + " (see .ci/run) to run them"

// Drivers returns the drivers to test on: "sqlite", plus "mysql" when enabled.
// Drivers returns the drivers every database test runs on. The MySQL run
// skips itself when FIVEC_TEST_MYSQL_DSN is unset.
func Drivers() []string { return []string{"sqlite", "mysql"} }

// ForEachDB runs fn as a subtest on a fresh store of each driver. The MySQL
// subtest skips with a one-line hint when FIVEC_TEST_MYSQL_DSN is unset.
func ForEachDB(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	for _, d := range Drivers() {
		t.Run(d, func(t *testing.T) {
			fn(t, MustOpen(t, d))
		})
	}
}

// MustOpen opens a fresh, migrated store on driver and removes it when the
// test ends.
func MustOpen(tb testing.TB, driver string) *models.Store {
	tb.Helper()
	driverName, dsn := DSN(tb, driver)
	s, err := models.Open(context.Background(), driverName, dsn, 10*time.Second)
	if err != nil {
		tb.Fatalf("open %s: %v", driver, err)
	}
	tb.Cleanup(func() { s.Close() })
	// Real bcrypt, cheapest cost: tests log in often, under -race too.
	s.PasswordCost = bcrypt.MinCost
	return s
}

// DSN returns a DSN for a fresh database on driver: a file in the test's
// temp dir for SQLite, a new database (dropped at cleanup) for MySQL.
func DSN(tb testing.TB, driver string) (string, string) {
	tb.Helper()
	switch driver {
	case "sqlite":
		return "sqlite", filepath.Join(tb.TempDir(), "fivec.db")
	case "mysql":
		base := os.Getenv(MySQLEnv)
		if base == "" {
			tb.Skip(SkipMessage)
		}
		cfg, err := mysql.ParseDSN(base)
		if err != nil {
			tb.Fatalf("%s: %v", MySQLEnv, err)
		}
		name := fmt.Sprintf("fivec_t_%d_%s", time.Now().UnixNano()%1e9, strings.ToLower(models.RandomToken(4)))
		name = strings.NewReplacer("-", "_").Replace(name)
		admin := *cfg
		admin.DBName = ""
		db, err := sql.Open("mysql", admin.FormatDSN())
		if err != nil {
			tb.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
			tb.Fatalf("create test database: %v", err)
		}
		tb.Cleanup(func() {
			db, err := sql.Open("mysql", admin.FormatDSN())
			if err == nil {
				db.Exec("DROP DATABASE IF EXISTS `" + name + "`")
				db.Close()
			}
		})
		cfg.DBName = name
		cfg.ParseTime = true
		return "mysql", cfg.FormatDSN()
	}
	tb.Fatalf("unknown driver %q", driver)
	return "", ""
}

// MustOpenShared opens two stores on one fresh database, as two fivec
// processes would (separate connection pools; for SQLite, one file).
func MustOpenShared(tb testing.TB, driver string) (*models.Store, *models.Store) {
	tb.Helper()
	driverName, dsn := DSN(tb, driver)
	open := func() *models.Store {
		s, err := models.Open(context.Background(), driverName, dsn, 10*time.Second)
		if err != nil {
			tb.Fatalf("open %s: %v", driver, err)
		}
		tb.Cleanup(func() { s.Close() })
		s.PasswordCost = bcrypt.MinCost
		return s
	}
	return open(), open()
}
