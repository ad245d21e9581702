package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Fan pages know who opened them through WeChat's web authorisation
// (网页授权): a page sends the fan to WeChat with a state, WeChat sends the
// fan back with a code, the code gives the openid. The state is stored here
// (only its SHA-256) and works once, for a short while, and only in the
// browser that asked for it; the fan's session afterwards is a row here too.

// OAuth scopes of WeChat's web authorisation.
const (
	ScopeBase     = "snsapi_base"     // silent: the openid only
	ScopeUserInfo = "snsapi_userinfo" // asks the fan: nickname and avatar too
)

// FanOAuthStateLife is how long a fan has to come back from WeChat's
// authorisation (WeChat's codes last 5 minutes; the consent page may take
// a moment longer).
const FanOAuthStateLife = 10 * time.Minute

// FanSessionLife is how long a fan stays signed in to the fan pages before
// WeChat is asked again (silently, for snsapi_base).
const FanSessionLife = 2 * time.Hour

// FanOAuthState is one authorisation in flight.
type FanOAuthState struct {
	ID string `gorm:"primaryKey;size:64"` // SHA-256 of the state parameter
	// Binding is the SHA-256 of the nonce in the browser's cookie: a state
	// sent to another browser (a forged login link) is refused.
	Binding   string    `gorm:"size:64;not null"`
	Scope     string    `gorm:"size:20;not null"`
	Next      string    `gorm:"size:255;not null"` // the fan page to show afterwards
	ExpiresAt time.Time `gorm:"not null;index:idx_fan_oauth_states_expires_at"`
	UsedAt    *time.Time
	CreatedAt time.Time
}

// TableName keeps gorm from naming the table fan_o_auth_states.
func (FanOAuthState) TableName() string { return "fan_oauth_states" }

// FanSession is a fan signed in to the fan pages. Only the SHA-256 of the
// cookie's token is stored.
type FanSession struct {
	ID       string `gorm:"primaryKey;size:64"`
	MemberID uint64 `gorm:"not null;index:idx_fan_sessions_member_id"`
	Scope    string `gorm:"size:20;not null"`
	// Nickname and AvatarURL come from sns/userinfo after the fan agreed
	// (snsapi_userinfo); they live with the session only.
	Nickname  string    `gorm:"size:64;not null;default:''"`
	AvatarURL string    `gorm:"size:255;not null;default:''"`
	ExpiresAt time.Time `gorm:"not null;index:idx_fan_sessions_expires_at"`
	CreatedAt time.Time
}

// Why a state is refused; the fan pages say each in words.
var (
	ErrFanStateUnknown = Errorf(ENOTFOUND, "this sign-in link is not one fivec made")
	ErrFanStateUsed    = Errorf(ECONFLICT, "this sign-in link was already used")
	ErrFanStateExpired = Errorf(ENOTFOUND, "this sign-in link has expired")
	ErrFanStateBrowser = Errorf(EFORBIDDEN, "this sign-in link was started in another browser")
)

// CreateFanOAuthState records an authorisation started by the browser
// holding nonce, and returns the state parameter to send to WeChat.
func (s *Store) CreateFanOAuthState(ctx context.Context, nonce, scope, next string) (string, error) {
	if scope != ScopeBase && scope != ScopeUserInfo {
		return "", Errorf(EINVALID, "unknown scope %q", scope)
	}
	if len(next) > 255 {
		return "", Errorf(EINVALID, "the page address is too long")
	}
	state := RandomToken(24)
	now := s.now()
	row := FanOAuthState{ID: hashToken(state), Binding: hashToken(nonce), Scope: scope, Next: next,
		ExpiresAt: now.Add(FanOAuthStateLife), CreatedAt: now}
	return state, translate("create fan oauth state", s.db.WithContext(ctx).Create(&row).Error)
}

// ConsumeFanOAuthState marks state used, once: a second use, an expired or
// unknown state, or one from another browser (nonce) is refused with one of
// the ErrFanState errors.
func (s *Store) ConsumeFanOAuthState(ctx context.Context, state, nonce string) (*FanOAuthState, error) {
	var row FanOAuthState
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(lockForUpdate(tx)...).Where("id = ?", hashToken(state)).Take(&row).Error; err != nil {
			if isNotFound(err) {
				return ErrFanStateUnknown
			}
			return err
		}
		now := s.now()
		switch {
		case row.UsedAt != nil:
			return ErrFanStateUsed
		case !now.Before(row.ExpiresAt):
			return ErrFanStateExpired
		case row.Binding != hashToken(nonce):
			return ErrFanStateBrowser
		}
		row.UsedAt = &now
		res := tx.Model(&FanOAuthState{}).Where("id = ? AND used_at IS NULL", row.ID).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrFanStateUsed
		}
		return nil
	})
	if err != nil {
		return nil, translate("consume fan oauth state", err)
	}
	return &row, nil
}

// CreateFanSession signs the member in to the fan pages and returns the
// cookie's token.
func (s *Store) CreateFanSession(ctx context.Context, memberID uint64, scope, nickname, avatar string) (string, error) {
	tok := RandomToken(32)
	now := s.now()
	row := FanSession{ID: hashToken(tok), MemberID: memberID, Scope: scope, Nickname: cut(nickname, 64),
		AvatarURL: cut(avatar, 255), ExpiresAt: now.Add(FanSessionLife), CreatedAt: now}
	return tok, translate("create fan session", s.db.WithContext(ctx).Create(&row).Error)
}

// FanSessionByToken returns the live session of a cookie's token
// (ENOTFOUND when unknown or expired).
func (s *Store) FanSessionByToken(ctx context.Context, token string) (*FanSession, error) {
	var row FanSession
	err := s.db.WithContext(ctx).Where("id = ? AND expires_at > ?", hashToken(token), s.now()).Take(&row).Error
	return &row, translate("fan session", err)
}

// DeleteExpiredFanRows removes finished authorisations and ended sessions.
func (s *Store) DeleteExpiredFanRows(ctx context.Context) error {
	now := s.now()
	db := s.db.WithContext(ctx)
	if err := db.Where("expires_at < ?", now).Delete(&FanOAuthState{}).Error; err != nil {
		return translate("delete fan oauth states", err)
	}
	return translate("delete fan sessions", db.Where("expires_at < ?", now).Delete(&FanSession{}).Error)
}

// cut shortens s to at most n runes.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// FanSessionMember returns the live session of a cookie's token and its
// member, read afresh (ENOTFOUND when either is gone).
func (s *Store) FanSessionMember(ctx context.Context, token string) (*FanSession, *Member, error) {
	sess, err := s.FanSessionByToken(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	var m Member
	if err := s.db.WithContext(ctx).Take(&m, sess.MemberID).Error; err != nil {
		return nil, nil, translate("fan session member", err)
	}
	return sess, &m, nil
}
