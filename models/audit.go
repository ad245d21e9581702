package models

import (
	"context"
	"time"
)

// AuditEntry records one staff action: who did what to which object.
type AuditEntry struct {
	ID        uint64    `gorm:"primaryKey"`
	StaffID   uint64    `gorm:"index"`
	Username  string    `gorm:"size:64"`
	Action    string    `gorm:"size:64;index"`
	Target    string    `gorm:"size:191"`
	Detail    string    `gorm:"type:text"`
	IP        string    `gorm:"size:64"`
	CreatedAt time.Time `gorm:"index"`
}

// TableName keeps the table name short and stable.
func (AuditEntry) TableName() string { return "audit_log" }

// auditTimeout bounds an audit write, which does not end with the request.
const auditTimeout = 10 * time.Second

// Audit appends an entry to the audit log. The action it records has
// already happened, so the entry is written even when ctx is cancelled (a
// client that hung up after its change committed): on ctx's values without
// its cancellation, for at most auditTimeout.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	e.ID = 0
	e.CreatedAt = s.now()
	e.Target = truncateUTF8(e.Target, 191)
	return translate("audit", s.db.WithContext(ctx).Create(&e).Error)
}

// ListAudit returns the newest entries first.
func (s *Store) ListAudit(ctx context.Context, limit, offset int) ([]AuditEntry, int64, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var total int64
	if err := s.db.WithContext(ctx).Model(&AuditEntry{}).Count(&total).Error; err != nil {
		return nil, 0, translate("audit log", err)
	}
	var out []AuditEntry
	err := s.db.WithContext(ctx).Order("id DESC").Limit(limit).Offset(offset).Find(&out).Error
	return out, total, translate("audit log", err)
}
