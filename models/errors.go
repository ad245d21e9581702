package models

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// Error codes shared by every layer. handlers maps them to HTTP statuses in
// one place; anything else is an internal error whose text users never see.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ERATELIMIT    = "rate_limited"
	// EUPSTREAM is WeChat refusing a call (the message names the errcode).
	EUPSTREAM = "wechat"
	EINTERNAL = "internal"
)

// Error is a known, user-facing failure.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of a known error, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of a known error, or a
// generic one for internal errors.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// translate converts gorm's not-found and the drivers' duplicate-key errors
// into *Error so that callers above models never see driver errors.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Errorf(ENOTFOUND, "%s: not found", op)
	}
	if isDuplicate(err) {
		return Errorf(ECONFLICT, "%s: already exists", op)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func isDuplicate(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "Duplicate entry")
}

func isNotFound(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
