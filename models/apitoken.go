package models

import (
	"context"
	"strings"
	"time"
)

// APITokenPrefix starts every API token, so leaked tokens are easy to spot.
const APITokenPrefix = "fvc_"

// APIToken lets a staff member call /api/v1 with the same role as in the
// console. Only the SHA-256 of the token is stored.
type APIToken struct {
	ID         uint64 `gorm:"primaryKey"`
	StaffID    uint64 `gorm:"index;not null"`
	Name       string `gorm:"size:64;not null"`
	TokenHash  string `gorm:"size:64;uniqueIndex;not null"`
	LastUsedAt *time.Time
	CreatedAt  time.Time
}

// CreateAPIToken issues a token for staffID and returns its only plain copy.
func (s *Store) CreateAPIToken(ctx context.Context, staffID uint64, name string) (plain string, tok *APIToken, err error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 64 {
		return "", nil, Errorf(EINVALID, "token name must be 1-64 characters")
	}
	plain = APITokenPrefix + RandomToken(32)
	tok = &APIToken{StaffID: staffID, Name: name, TokenHash: hashToken(plain)}
	err = s.db.WithContext(ctx).Create(tok).Error
	return plain, tok, translate("create API token", err)
}

// APITokenStaff resolves a bearer token to its enabled staff account.
func (s *Store) APITokenStaff(ctx context.Context, plain string) (*Staff, error) {
	var tok APIToken
	if err := s.db.WithContext(ctx).Where("token_hash = ?", hashToken(plain)).Take(&tok).Error; err != nil {
		if isNotFound(err) {
			return nil, Errorf(EUNAUTHORIZED, "unknown API token")
		}
		return nil, translate("API token", err)
	}
	st, err := s.FindStaff(ctx, tok.StaffID)
	if err != nil {
		return nil, err
	}
	if st.Disabled {
		return nil, Errorf(EUNAUTHORIZED, "account disabled")
	}
	now := s.now()
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) > time.Minute {
		s.db.WithContext(ctx).Model(&tok).Update("last_used_at", now)
	}
	return st, nil
}

// ListAPITokens returns a staff member's tokens (without secrets).
func (s *Store) ListAPITokens(ctx context.Context, staffID uint64) ([]APIToken, error) {
	var out []APIToken
	err := s.db.WithContext(ctx).Where("staff_id = ?", staffID).Order("id").Find(&out).Error
	return out, translate("list API tokens", err)
}

// DeleteAPIToken revokes one of staffID's tokens.
func (s *Store) DeleteAPIToken(ctx context.Context, staffID, id uint64) error {
	res := s.db.WithContext(ctx).Where("id = ? AND staff_id = ?", id, staffID).Delete(&APIToken{})
	if res.Error == nil && res.RowsAffected == 0 {
		return Errorf(ENOTFOUND, "API token not found")
	}
	return translate("delete API token", res.Error)
}
