package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"gorm.io/gorm"
)

// SessionTTL is how long a console session lasts without use.
const SessionTTL = 12 * time.Hour

// DefaultSessionMaxAge is how long a session lasts after login however
// active it is, unless Store.SessionMaxAge says otherwise.
const DefaultSessionMaxAge = 7 * 24 * time.Hour

// sessionMaxAge is the absolute limit in force.
func (s *Store) sessionMaxAge() time.Duration {
	if s.SessionMaxAge > 0 {
		return s.SessionMaxAge
	}
	return DefaultSessionMaxAge
}

// sessionExpiry is when a session created at created, used at now, expires:
// SessionTTL after its last use, but never past its absolute maximum.
func (s *Store) sessionExpiry(created, now time.Time) time.Time {
	exp := now.Add(SessionTTL)
	if limit := created.Add(s.sessionMaxAge()); exp.After(limit) {
		return limit
	}
	return exp
}

// StaffSession is a logged-in console session. Only the SHA-256 of the
// cookie value is stored, so a database leak does not leak sessions.
type StaffSession struct {
	ID        string    `gorm:"primaryKey;size:64"`
	StaffID   uint64    `gorm:"index;not null"`
	CSRFToken string    `gorm:"size:64;not null"`
	ExpiresAt time.Time `gorm:"index"`
	CreatedAt time.Time
}

// RandomToken returns n random bytes, URL-safe base64 encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// CreateSession starts a session and returns the cookie value.
func (s *Store) CreateSession(ctx context.Context, staffID uint64) (cookie string, sess *StaffSession, err error) {
	cookie = RandomToken(32)
	sess = &StaffSession{
		ID: hashToken(cookie), StaffID: staffID, CSRFToken: RandomToken(24),
		ExpiresAt: s.sessionExpiry(s.now(), s.now()), CreatedAt: s.now(),
	}
	err = s.db.WithContext(ctx).Create(sess).Error
	return cookie, sess, translate("create session", err)
}

// SessionStaff resolves a cookie to its session and enabled staff account,
// sliding the expiry forward up to the session's absolute maximum
// (SessionMaxAge after login), which every request enforces.
func (s *Store) SessionStaff(ctx context.Context, cookie string) (*StaffSession, *Staff, error) {
	var sess StaffSession
	var st Staff
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		if err := tx.Where("id = ? AND expires_at > ? AND created_at > ?", hashToken(cookie), now, now.Add(-s.sessionMaxAge())).
			Take(&sess).Error; err != nil {
			return err
		}
		if err := tx.Take(&st, sess.StaffID).Error; err != nil {
			return err
		}
		if st.Disabled {
			return Errorf(EUNAUTHORIZED, "account disabled")
		}
		// Slide the expiry at most once a minute to keep reads cheap.
		if next := s.sessionExpiry(sess.CreatedAt, now); next.Sub(sess.ExpiresAt) >= time.Minute {
			sess.ExpiresAt = next
			return tx.Model(&sess).Update("expires_at", sess.ExpiresAt).Error
		}
		return nil
	})
	if err != nil {
		if isNotFound(err) {
			return nil, nil, Errorf(EUNAUTHORIZED, "not logged in")
		}
		return nil, nil, translate("session", err)
	}
	return &sess, &st, nil
}

// DeleteSession logs a session out.
func (s *Store) DeleteSession(ctx context.Context, cookie string) error {
	return translate("logout", s.db.WithContext(ctx).Where("id = ?", hashToken(cookie)).Delete(&StaffSession{}).Error)
}

// PurgeSessions removes expired sessions.
func (s *Store) PurgeSessions(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at <= ?", s.now()).Delete(&StaffSession{})
	return res.RowsAffected, translate("purge sessions", res.Error)
}
