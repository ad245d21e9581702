package models

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// RowCounts returns how many rows every table holds. Tests take it before
// and after feeding hostile input to prove nothing was stored; an operator
// can use it to see what a database holds. Tables in skip (e.g. sessions a
// test creates itself) are left out, and so is job_leases: the job runner
// writes a lease row for every tick on its own, whatever requests arrive.
func (s *Store) RowCounts(ctx context.Context, skip ...string) (map[string]int64, error) {
	skip = append(skip, "job_leases")
	tables, err := s.db.WithContext(ctx).Migrator().GetTables()
	if err != nil {
		return nil, fmt.Errorf("row counts: %w", err)
	}
	out := map[string]int64{}
	for _, t := range tables {
		if slices.Contains(skip, t) || strings.HasPrefix(t, "sqlite_") {
			continue
		}
		var n int64
		if err := s.db.WithContext(ctx).Table(t).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("row counts: %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

// RowCountChanges lists the tables whose counts differ between two
// RowCounts results, as "table: before → after", sorted.
func RowCountChanges(before, after map[string]int64) []string {
	var out []string
	for _, t := range slices.Sorted(maps.Keys(after)) {
		if before[t] != after[t] {
			out = append(out, fmt.Sprintf("%s: %d → %d", t, before[t], after[t]))
		}
	}
	for t := range before {
		if _, ok := after[t]; !ok {
			out = append(out, t+": dropped")
		}
	}
	return out
}
