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
		ExpiresAt: s.now().Add(SessionTTL), CreatedAt: s.now(),
	}
	err = s.db.WithContext(ctx).Create(sess).Error
	return cookie, sess, translate("create session", err)
}

// SessionStaff resolves a cookie to its session and enabled staff account,
// sliding the expiry forward.
func (s *Store) SessionStaff(ctx context.Context, cookie string) (*StaffSession, *Staff, error) {
	var sess StaffSession
	var st Staff
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ? AND expires_at > ?", hashToken(cookie), s.now()).Take(&sess).Error; err != nil {
			return err
		}
		if err := tx.Take(&st, sess.StaffID).Error; err != nil {
			return err
		}
		if st.Disabled {
			return Errorf(EUNAUTHORIZED, "account disabled")
		}
		// Slide the expiry at most once a minute to keep reads cheap.
		if sess.ExpiresAt.Sub(s.now()) < SessionTTL-time.Minute {
			sess.ExpiresAt = s.now().Add(SessionTTL)
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
