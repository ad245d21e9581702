package models

import (
	"context"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Staff roles.
const (
	RoleAdmin    = "admin"
	RoleAgent    = "agent"
	RoleMarketer = "marketer"
)

// Roles lists the valid roles.
var Roles = []string{RoleAdmin, RoleAgent, RoleMarketer}

// Staff is a person who uses the console or the API.
type Staff struct {
	ID           uint64 `gorm:"primaryKey"`
	Username     string `gorm:"size:64;uniqueIndex;not null"`
	DisplayName  string `gorm:"size:64"`
	PasswordHash string `gorm:"size:100;not null"`
	Role         string `gorm:"size:16;not null"`
	Disabled     bool   `gorm:"not null;default:false"`
	Lang         string `gorm:"size:8"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NewStaff is the input for CreateStaff.
type NewStaff struct {
	Username    string
	DisplayName string
	Password    string
	Role        string
}

var usernamePattern = regexp.MustCompile(`^[a-zA-Z0-9._-]{2,64}$`)

// Validate checks a new staff account.
func (n NewStaff) Validate() error {
	if !usernamePattern.MatchString(n.Username) {
		return Errorf(EINVALID, "username must be 2-64 letters, digits, '.', '_' or '-'")
	}
	if err := CheckPassword(n.Username, n.Password); err != nil {
		return err
	}
	if !ValidRole(n.Role) {
		return Errorf(EINVALID, "role must be one of %s", strings.Join(Roles, ", "))
	}
	return nil
}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// CreateStaff adds a staff account with a bcrypt-hashed password.
func (s *Store) CreateStaff(ctx context.Context, n NewStaff) (*Staff, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	hash, err := hashPassword(n.Password, s.PasswordCost)
	if err != nil {
		return nil, err
	}
	st := &Staff{Username: n.Username, DisplayName: n.DisplayName, PasswordHash: hash, Role: n.Role}
	if st.DisplayName == "" {
		st.DisplayName = n.Username
	}
	err = s.db.WithContext(ctx).Create(st).Error
	return st, translate("staff "+n.Username, err)
}

// CountStaff counts staff accounts (used to seed the first admin).
func (s *Store) CountStaff(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Staff{}).Count(&n).Error
	return n, translate("count staff", err)
}

// Authenticate checks a username and password, without the login limits
// (the console's login form goes through Login). Unknown users and wrong
// passwords give the same error.
func (s *Store) Authenticate(ctx context.Context, username, password string) (*Staff, error) {
	var st Staff
	err := s.db.WithContext(ctx).Where("username = ?", username).Take(&st).Error
	if err != nil {
		// Spend the same time as a real check so usernames cannot be probed.
		_ = passwordMatches(dummyHash, password)
		if isNotFound(err) {
			return nil, Errorf(EUNAUTHORIZED, "wrong username or password")
		}
		return nil, translate("authenticate", err)
	}
	if !passwordMatches(st.PasswordHash, password) {
		return nil, Errorf(EUNAUTHORIZED, "wrong username or password")
	}
	if st.Disabled {
		return nil, Errorf(EFORBIDDEN, "this account is disabled")
	}
	return &st, nil
}

// FindStaff returns a staff account by id.
func (s *Store) FindStaff(ctx context.Context, id uint64) (*Staff, error) {
	var st Staff
	err := s.db.WithContext(ctx).Take(&st, id).Error
	return &st, translate("staff", err)
}

// ListStaff returns all staff accounts by username.
func (s *Store) ListStaff(ctx context.Context) ([]Staff, error) {
	var out []Staff
	err := s.db.WithContext(ctx).Order("username").Find(&out).Error
	return out, translate("list staff", err)
}

// CanServe reports whether st may take conversations: an enabled agent or
// admin (marketers never open the inbox).
func (st *Staff) CanServe() bool {
	return !st.Disabled && (st.Role == RoleAgent || st.Role == RoleAdmin)
}

// ReadsChats reports whether st may read chats: what agents wrote to fans
// (their replies) as well as what fans and the bot said. Agents and admins
// do; marketers see a member's log without the messages fivec sent (see
// Store.ConversationFor).
func (st *Staff) ReadsChats() bool { return st.Role == RoleAgent || st.Role == RoleAdmin }

// StaffUpdate changes an account; nil fields stay as they are.
type StaffUpdate struct {
	DisplayName *string
	Role        *string
	Disabled    *bool
	Password    *string
	Lang        *string
}

// UpdateStaff applies u to the account. It refuses to leave the console
// without an enabled admin.
func (s *Store) UpdateStaff(ctx context.Context, id uint64, u StaffUpdate) (*Staff, error) {
	updates := map[string]any{}
	if u.DisplayName != nil {
		updates["display_name"] = *u.DisplayName
	}
	if u.Role != nil {
		if !ValidRole(*u.Role) {
			return nil, Errorf(EINVALID, "role must be one of %s", strings.Join(Roles, ", "))
		}
		updates["role"] = *u.Role
	}
	if u.Disabled != nil {
		updates["disabled"] = *u.Disabled
	}
	if u.Lang != nil {
		if *u.Lang != "zh" && *u.Lang != "en" {
			return nil, Errorf(EINVALID, "language must be zh or en")
		}
		updates["lang"] = *u.Lang
	}
	// Only a role or an account switched off can remove the last admin.
	adminChange := u.Role != nil || u.Disabled != nil
	var st Staff
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if adminChange {
			// Lock every enabled admin first (always in this order: admins,
			// then the account), so two admins disabling each other at once
			// take turns and the second sees the first one's change. Without
			// the lock each counted the other still enabled (MySQL reads a
			// snapshot) and both went through: no admin left.
			if _, err := lockEnabledAdmins(tx); err != nil {
				return err
			}
		}
		if err := tx.Clauses(lockForUpdate(tx)...).Take(&st, id).Error; err != nil {
			return err
		}
		if u.Password != nil {
			// The policy needs the login name (a password must not contain it).
			if err := CheckPassword(st.Username, *u.Password); err != nil {
				return err
			}
			hash, err := hashPassword(*u.Password, s.PasswordCost)
			if err != nil {
				return err
			}
			updates["password_hash"] = hash
		}
		if len(updates) == 0 {
			return nil
		}
		if err := tx.Model(&st).Updates(updates).Error; err != nil {
			return err
		}
		if adminChange {
			admins, err := lockEnabledAdmins(tx)
			if err != nil {
				return err
			}
			if admins == 0 {
				return Errorf(ECONFLICT, "at least one enabled admin must remain")
			}
		}
		if u.Password != nil || (u.Disabled != nil && *u.Disabled) {
			// A new password or a disabled account ends existing sessions.
			if err := tx.Where("staff_id = ?", id).Delete(&StaffSession{}).Error; err != nil {
				return err
			}
		}
		return tx.Take(&st, id).Error
	})
	return &st, translate("update staff", err)
}

// lockEnabledAdmins locks the rows of every enabled admin (SELECT … FOR
// UPDATE on MySQL; SQLite's write transactions are serialised already) and
// counts them. A locking read sees the latest committed rows, not the
// transaction's snapshot.
func lockEnabledAdmins(tx *gorm.DB) (int, error) {
	var ids []uint64
	err := tx.Model(&Staff{}).Clauses(lockForUpdate(tx)...).Where("role = ? AND disabled = ?", RoleAdmin, false).
		Order("id").Pluck("id", &ids).Error
	return len(ids), err
}
