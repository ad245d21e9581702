package models

import (
	"context"
	"encoding/json"
	"strings"

	"gorm.io/gorm"
)

// Console settings are rows of the settings table named "console:<key>":
// what an admin saved in the console, which wins over the environment.
// A version row changes with every save; every process polls it.
const (
	consoleSettingPrefix      = "console:"
	consoleSettingsVersionKey = "console_settings_version"
)

// SettingChange is one console setting to save: Value, or with Reset the
// row removed (the environment's default applies again). Before and After
// are the values in force, for the audit log.
type SettingChange struct {
	Key           string
	Value         string
	Reset         bool
	Before, After string
}

// ConsoleSettings returns the values saved in the console by key, and the
// version they belong to.
func (s *Store) ConsoleSettings(ctx context.Context) (map[string]string, string, error) {
	var out map[string]string
	var version string
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []setting
		if err := tx.Where("name LIKE ?", consoleSettingPrefix+"%").Find(&rows).Error; err != nil {
			return err
		}
		out = make(map[string]string, len(rows))
		for _, r := range rows {
			out[strings.TrimPrefix(r.Key, consoleSettingPrefix)] = r.Value
		}
		var v setting
		err := tx.Where("name = ?", consoleSettingsVersionKey).Take(&v).Error
		if isNotFound(err) {
			return nil
		}
		version = v.Value
		return err
	})
	return out, version, translate("console settings", err)
}

// ConsoleSettingsVersion returns a token that changes with every save of
// console settings ("" before the first).
func (s *Store) ConsoleSettingsVersion(ctx context.Context) (string, error) {
	return s.version(ctx, consoleSettingsVersionKey)
}

// SaveConsoleSettings applies changes in one transaction, writes an audit
// entry per change (before and after) as actor, and moves the version.
// Either all of it happens or none.
func (s *Store) SaveConsoleSettings(ctx context.Context, changes []SettingChange, actor AuditEntry) error {
	if len(changes) == 0 {
		return nil
	}
	now := s.now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, c := range changes {
			name := consoleSettingPrefix + c.Key
			// Delete, then insert: MySQL reports an update to the same
			// value as no row affected, so update-else-insert would collide.
			if err := tx.Where("name = ?", name).Delete(&setting{}).Error; err != nil {
				return err
			}
			if !c.Reset {
				if err := tx.Create(&setting{Key: name, Value: c.Value, UpdatedAt: now}).Error; err != nil {
					return err
				}
			}
			action := "settings.update"
			if c.Reset {
				action = "settings.reset"
			}
			detail, _ := json.Marshal(map[string]string{"before": c.Before, "after": c.After})
			e := AuditEntry{StaffID: actor.StaffID, Username: actor.Username, IP: actor.IP, Action: action,
				Target: c.Key, Detail: string(detail), CreatedAt: now}
			if err := tx.Create(&e).Error; err != nil {
				return err
			}
		}
		return bumpVersion(tx, consoleSettingsVersionKey)
	})
	return translate("console settings", err)
}
