package models

import (
	"context"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// LoginPolicy says how failed logins slow an attacker down. Three counters
// are kept for every attempt, in the database so that they hold across
// processes and restarts:
//
//   - account + client IP: PairFree failures are free, then each further
//     attempt waits 1 s, 2 s, 4 s … up to PairMaxWait. A success from that
//     IP clears it. Failures from other IPs never touch it, so the real
//     user at a fresh address is not slowed by an attacker elsewhere.
//   - client IP: at most PerIP failures in IPWindow, whatever the names
//     (guessing many accounts from one address).
//   - account: PerUser failures in UserWindow from all IPs together lock
//     the account until an admin unlocks it on the staff page.
//
// An attempt is counted before its password is checked and un-counted
// after a success, so concurrent attempts cannot all slip through.
type LoginPolicy struct {
	PairFree    int
	PairMaxWait time.Duration
	PerIP       int
	IPWindow    time.Duration
	PerUser     int
	UserWindow  time.Duration
}

// DefaultLoginPolicy: 5 free failures per account and IP then 1 s doubling
// to 5 min; 30 failures per IP in 15 min; 50 failures per account in 24 h
// lock it.
var DefaultLoginPolicy = LoginPolicy{
	PairFree: 5, PairMaxWait: 5 * time.Minute,
	PerIP: 30, IPWindow: 15 * time.Minute,
	PerUser: 50, UserWindow: 24 * time.Hour,
}

// backoff is how long the account+IP pair waits after its n-th failure.
func (p LoginPolicy) backoff(n int) time.Duration {
	if n < p.PairFree {
		return 0
	}
	d := time.Second
	for i := p.PairFree; i < n && d < p.PairMaxWait; i++ {
		d *= 2
	}
	return min(d, p.PairMaxWait)
}

// LoginThrottle is one failed-login counter (see LoginPolicy).
type LoginThrottle struct {
	// ThrottleKey is "p:<subject>|<ip>", "i:<ip>" or "u:<subject>", where
	// the subject is "s<id>" for an account and "n:<name>" (normalised)
	// for a name no account has.
	ThrottleKey string `gorm:"primaryKey;size:191"`
	Failures    int    `gorm:"not null;default:0"`
	WindowStart time.Time
	// BlockedUntil: no attempt before (account+IP backoff).
	BlockedUntil *time.Time
	// Locked: the account is locked until an admin unlocks it.
	Locked bool `gorm:"not null;default:false"`
	// StaffID is the account of a "u:" row, for the staff page.
	StaffID   uint64 `gorm:"not null;default:0;index"`
	UpdatedAt time.Time
}

// TableName names the table of migration 21.
func (LoginThrottle) TableName() string { return "login_throttles" }

// LoginRefusal is an attempt refused before its password was checked:
// ERATELIMIT, with the wait or, when Locked, an account an admin must
// unlock (also said of names without an account, which then look alike).
type LoginRefusal struct {
	RetryAfter time.Duration
	Locked     bool
	err        *Error
}

func (e *LoginRefusal) Error() string { return e.err.Error() }

// Unwrap exposes the ERATELIMIT *Error.
func (e *LoginRefusal) Unwrap() error { return e.err }

// LoginAttempt is one try at the login form.
type LoginAttempt struct {
	Username, Password, IP string
}

// dummyHash is checked for unknown names, so they cost the same time.
const dummyHash = "$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z5UVoKs4mvZ6u/Ktd1B6bBaW"

// Login checks an attempt under policy: it finds the account, counts the
// attempt against its limits (refusing it with *LoginRefusal when over),
// then checks the password; a right one un-counts the attempt. Unknown
// names and wrong passwords give the same EUNAUTHORIZED after the same
// bcrypt work; a disabled account with the right password is EFORBIDDEN.
func (s *Store) Login(ctx context.Context, policy LoginPolicy, a LoginAttempt) (*Staff, error) {
	var st Staff
	err := s.db.WithContext(ctx).Where("username = ?", a.Username).Take(&st).Error
	known := err == nil
	if err != nil && !isNotFound(err) {
		return nil, translate("login", err)
	}
	subject, staffID := "n:"+NormalizeLoginName(a.Username), uint64(0)
	if known {
		subject, staffID = "s"+strconv.FormatUint(st.ID, 10), st.ID
	}
	keys := throttleKeys(subject, clientNet(a.IP))
	if err := s.reserveLogin(ctx, policy, keys, staffID); err != nil {
		return nil, err
	}
	hash := dummyHash
	if known {
		hash = st.PasswordHash
	}
	if !passwordMatches(hash, a.Password) || !known {
		return nil, Errorf(EUNAUTHORIZED, "wrong username or password")
	}
	if err := s.releaseLogin(ctx, policy, keys); err != nil {
		return nil, err
	}
	if st.Disabled {
		return nil, Errorf(EFORBIDDEN, "this account is disabled")
	}
	return &st, nil
}

type loginKeys struct{ pair, ip, user string }

func throttleKeys(subject, ip string) loginKeys {
	return loginKeys{pair: "p:" + subject + "|" + ip, ip: "i:" + ip, user: "u:" + subject}
}

// NormalizeLoginName folds a name the way a case- and accent-insensitive
// collation would (ágent2, AGENT2 and agent2 are one), so probing one
// unknown name in many spellings counts as one name.
func NormalizeLoginName(name string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(strings.TrimSpace(name)) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	n := cases.Fold().String(b.String())
	if len(n) > 120 {
		n = strings.ToValidUTF8(n[:120], "") // keys are at most 191 characters
	}
	return n
}

// clientNet is the address the IP counters use: the IP itself for IPv4,
// its /64 for IPv6 (one host usually holds a whole /64).
func clientNet(ip string) string {
	p := net.ParseIP(ip)
	if p == nil {
		return ip
	}
	if p.To4() != nil {
		return p.To4().String()
	}
	return p.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// lockThrottles creates the rows of keys when missing and returns them
// locked for this transaction, in key order (the same order in every
// transaction, so two never deadlock on each other).
func lockThrottles(tx *gorm.DB, now time.Time, keys []string) (map[string]*LoginThrottle, error) {
	sort.Strings(keys)
	for _, k := range keys {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&LoginThrottle{ThrottleKey: k, WindowStart: now, UpdatedAt: now}).Error; err != nil {
			return nil, err
		}
	}
	var rows []LoginThrottle
	if err := tx.Clauses(lockForUpdate(tx)...).Where("throttle_key IN ?", keys).Order("throttle_key").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string]*LoginThrottle{}
	for i := range rows {
		out[rows[i].ThrottleKey] = &rows[i]
	}
	for _, k := range keys {
		if out[k] == nil {
			return nil, Errorf(EINTERNAL, "login throttle %s vanished", k)
		}
	}
	return out, nil
}

// reserveLogin counts an attempt before its password is checked, or
// refuses it when a limit is reached. One transaction holds the three rows
// locked, so concurrent attempts (also from other processes) are counted
// one after another.
func (s *Store) reserveLogin(ctx context.Context, p LoginPolicy, k loginKeys, staffID uint64) error {
	now := s.now()
	var refusal *LoginRefusal
	err := s.tx(ctx, func(tx *gorm.DB) error {
		rows, err := lockThrottles(tx, now, []string{k.pair, k.ip, k.user})
		if err != nil {
			return err
		}
		pair, ip, user := rows[k.pair], rows[k.ip], rows[k.user]
		for _, r := range []struct {
			t      *LoginThrottle
			window time.Duration
		}{{pair, p.UserWindow}, {ip, p.IPWindow}, {user, p.UserWindow}} {
			if !r.t.WindowStart.Add(r.window).After(now) && !r.t.Locked {
				r.t.Failures, r.t.WindowStart, r.t.BlockedUntil = 0, now, nil
			}
		}
		switch {
		case user.Locked || user.Failures >= p.PerUser:
			refusal = &LoginRefusal{Locked: true}
		case pair.BlockedUntil != nil && pair.BlockedUntil.After(now):
			refusal = &LoginRefusal{RetryAfter: pair.BlockedUntil.Sub(now)}
		case ip.Failures >= p.PerIP:
			refusal = &LoginRefusal{RetryAfter: ip.WindowStart.Add(p.IPWindow).Sub(now)}
		}
		if refusal != nil {
			return nil
		}
		pair.Failures++
		ip.Failures++
		user.Failures++
		if wait := p.backoff(pair.Failures); wait > 0 {
			until := now.Add(wait)
			pair.BlockedUntil = &until
		}
		user.Locked = user.Failures >= p.PerUser
		user.StaffID = staffID
		for _, t := range []*LoginThrottle{pair, ip, user} {
			t.UpdatedAt = now
			if err := tx.Select("*").Save(t).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return translate("reserve login", err)
	}
	if refusal != nil {
		msg := "too many failed logins; try again later"
		if refusal.Locked {
			msg = "this account is locked after too many failed logins; ask an admin to unlock it"
		}
		refusal.err = Errorf(ERATELIMIT, "%s", msg)
		return refusal
	}
	return nil
}

// releaseLogin un-counts the attempt of a right password: the account+IP
// pair is cleared, the IP and account counters give the attempt back.
func (s *Store) releaseLogin(ctx context.Context, p LoginPolicy, k loginKeys) error {
	now := s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("throttle_key = ?", k.pair).Delete(&LoginThrottle{}).Error; err != nil {
			return err
		}
		rows, err := lockThrottles(tx, now, []string{k.ip, k.user})
		if err != nil {
			return err
		}
		for _, t := range rows {
			t.Failures = max(0, t.Failures-1)
			if t.ThrottleKey == k.user {
				t.Locked = t.Locked && t.Failures >= p.PerUser
			}
			t.UpdatedAt = now
			if err := tx.Select("*").Save(t).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return translate("release login", err)
}

// UnlockStaff lifts a lock of the account after too many failed logins
// and forgets its failures (admin only, audited by the caller).
func (s *Store) UnlockStaff(ctx context.Context, id uint64) error {
	return translate("unlock staff", s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&Staff{}, id).Error; err != nil {
			return err
		}
		subject := "s" + strconv.FormatUint(id, 10)
		return tx.Where("throttle_key = ? OR throttle_key LIKE ? ESCAPE '!'", "u:"+subject, escapeLike("p:"+subject+"|")+"%").
			Delete(&LoginThrottle{}).Error
	}))
}

// LockedStaff returns the ids of accounts locked after too many failed
// logins.
func (s *Store) LockedStaff(ctx context.Context) (map[uint64]bool, error) {
	var ids []uint64
	err := s.db.WithContext(ctx).Model(&LoginThrottle{}).Where("locked = ? AND staff_id <> 0", true).Pluck("staff_id", &ids).Error
	out := map[uint64]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, translate("locked staff", err)
}

// PurgeLoginThrottles removes counters with nothing left to say: unlocked
// and untouched for longer than every window.
func (s *Store) PurgeLoginThrottles(ctx context.Context, p LoginPolicy) (int64, error) {
	before := s.now().Add(-max(p.UserWindow, p.IPWindow, p.PairMaxWait))
	res := s.db.WithContext(ctx).Where("locked = ? AND updated_at < ?", false, before).Delete(&LoginThrottle{})
	return res.RowsAffected, translate("purge login throttles", res.Error)
}
