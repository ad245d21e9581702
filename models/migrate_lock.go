package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Replicas rolled out together open the same database at the same moment.
// Migration steps are not safe to run twice at once (two CREATE TABLEs, two
// column drops), so migrate holds a lock row in schema_lock while it runs.
// The holder renews the row while it works; a row not renewed for
// schemaLockStale is a crashed holder's, and the next process takes it over.
const (
	schemaLockRenew = 2 * time.Second
	schemaLockStale = 20 * time.Second
)

// lockSchema waits for the schema lock and returns the function that
// releases it. The table is plain DDL so that creating it can itself race.
func lockSchema(ctx context.Context, db *gorm.DB) (unlock func(), err error) {
	if err := db.Exec("CREATE TABLE IF NOT EXISTS schema_lock (id INTEGER NOT NULL PRIMARY KEY, holder VARCHAR(32) NOT NULL, renewed_at BIGINT NOT NULL)").Error; err != nil {
		return nil, fmt.Errorf("schema lock: %w", err)
	}
	holder := RandomToken(12)
	for {
		now := time.Now()
		if err := db.Exec("DELETE FROM schema_lock WHERE id = 1 AND renewed_at < ?", now.Add(-schemaLockStale).UnixMilli()).Error; err != nil {
			return nil, fmt.Errorf("schema lock: %w", err)
		}
		err := db.Exec("INSERT INTO schema_lock (id, holder, renewed_at) VALUES (1, ?, ?)", holder, now.UnixMilli()).Error
		if err == nil {
			break
		}
		if !isDuplicate(err) {
			return nil, fmt.Errorf("schema lock: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("schema lock: another process is migrating: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(schemaLockRenew)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				db.Exec("UPDATE schema_lock SET renewed_at = ? WHERE id = 1 AND holder = ?", time.Now().UnixMilli(), holder)
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		db.Exec("DELETE FROM schema_lock WHERE id = 1 AND holder = ?", holder)
	}, nil
}
