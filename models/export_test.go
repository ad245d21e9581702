package models

// ExecForTest runs raw SQL on s, for tests that plant faults (triggers).
func ExecForTest(s *Store, sql string) error { return s.db.Exec(sql).Error }
