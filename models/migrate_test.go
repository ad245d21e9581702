package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestMigrationsStepByStep upgrades a database one step at a time (open at
// step 1, close, reopen at step 2, …), as databases in production met the
// steps over the releases, and compares its schema with a database created
// in one go: tables, columns (type, nullability, default) and indexes
// (columns, uniqueness) are the same.
func TestMigrationsStepByStep(t *testing.T) {
	for _, d := range modelstest.Drivers() {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			driver, dsn := modelstest.DSN(t, d)
			for _, v := range models.MigrationVersions() {
				s, err := models.OpenAt(ctx, driver, dsn, v)
				if err != nil {
					t.Fatalf("upgrade to step %d: %v", v, err)
				}
				applied, err := models.AppliedMigrations(s)
				s.Close()
				if err != nil {
					t.Fatal(err)
				}
				if last := applied[len(applied)-1]; last != v {
					t.Fatalf("opened at step %d, last applied %d", v, last)
				}
			}
			upgraded, err := models.Open(ctx, driver, dsn, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer upgraded.Close()
			fresh := modelstest.MustOpen(t, d)
			want, err := models.SchemaSnapshot(fresh)
			if err != nil {
				t.Fatal(err)
			}
			got, err := models.SchemaSnapshot(upgraded)
			if err != nil {
				t.Fatal(err)
			}
			if !contains(want, "index members.idx_members_open_id unique (open_id)") {
				t.Fatalf("the snapshot misses members' openid index:\n%s", strings.Join(want, "\n"))
			}
			if diff := diffLines(want, got); diff != "" {
				t.Errorf("a database upgraded step by step differs from a fresh one (- fresh, + upgraded):\n%s", diff)
			}
		})
	}
}

// TestLiveModelsMatchMigrations checks that the live structs describe the
// schema the migrations build: gorm's AutoMigrate of every model, run on a
// migrated database, changes nothing, and every table has a model.
func TestLiveModelsMatchMigrations(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		before, err := models.SchemaSnapshot(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := models.AutoMigrateLiveModels(s); err != nil {
			t.Fatalf("AutoMigrate of the live models: %v", err)
		}
		after, err := models.SchemaSnapshot(s)
		if err != nil {
			t.Fatal(err)
		}
		if diff := diffLines(before, after); diff != "" {
			t.Errorf("the live models differ from the schema the migrations build (- migrated, + what AutoMigrate of the models makes of it):\n%s\n"+
				"A model changed without a migration: add a step to models/migrate.go that makes this change "+
				"with frozen structs or DDL (never the live structs; see docs/migrations.md).", diff)
		}
		tables, err := models.LiveModelTables(s)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{"schema_migrations": true, "schema_lock": true}
		for _, tb := range tables {
			have[tb] = true
		}
		for _, line := range before {
			if tb, ok := strings.CutPrefix(line, "table "); ok && !have[tb] {
				t.Errorf("table %s has no live model in liveModels (models/migrate_export_test.go): add the model there, or a step that drops the table", tb)
			}
		}
	})
}

// diffLines lists the lines only in a (-) and only in b (+); both sorted.
func diffLines(a, b []string) string {
	var out strings.Builder
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			fmt.Fprintf(&out, "- %s\n", a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			fmt.Fprintf(&out, "+ %s\n", b[j])
			j++
		default:
			i, j = i+1, j+1
		}
	}
	return out.String()
}

func contains(lines []string, line string) bool {
	for _, l := range lines {
		if l == line {
			return true
		}
	}
	return false
}
