package models

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/crypto/bcrypt"
)

// Password policy. Passphrases are welcome: up to MaxPasswordBytes, of
// which bcrypt would read only the first 72, so longer ones are hashed
// with SHA-256 first (see bcryptInput).
const (
	MinPasswordChars = 8
	MaxPasswordBytes = 256
	// MinPasswordScore is the least zxcvbn score accepted: 3 means about
	// 10^8 guesses or more, "safely unguessable" for an online attacker
	// and costly offline against bcrypt.
	MinPasswordScore = 3
	// zxcvbnBytes bounds how much of a password the estimator reads (its
	// matching grows faster than linearly); a strong start is enough.
	zxcvbnBytes = 100
)

// Reasons a password is refused; the console shows each from its
// catalogue as password.<reason>.
const (
	PasswordTooShort    = "too_short"
	PasswordTooLong     = "too_long"
	PasswordHasUsername = "has_username"
	PasswordTooCommon   = "too_common"
)

// PasswordError is a refused password: an EINVALID *Error with the
// reason, so transports can show it in the user's language.
type PasswordError struct {
	Reason string
	err    *Error
}

func (e *PasswordError) Error() string { return e.err.Error() }

// Unwrap exposes the EINVALID *Error to ErrorCode and ErrorMessage.
func (e *PasswordError) Unwrap() error { return e.err }

func passwordError(reason, msg string) error {
	return &PasswordError{Reason: reason, err: Errorf(EINVALID, "%s", msg)}
}

// CheckPassword enforces the password policy for the account username:
// at least 8 characters, at most 256 bytes, not containing the login name
// (of 3 characters or more),
// and not common or guessable by the patterns cracking tools try first
// (dictionary words and the 30,000 most common leaked passwords with
// l33t and case variants, keyboard walks, repeats, sequences, dates), as
// judged by zxcvbn.
func CheckPassword(username, p string) error {
	if len([]rune(p)) < MinPasswordChars {
		return passwordError(PasswordTooShort, "password must be at least 8 characters")
	}
	if len(p) > MaxPasswordBytes {
		return passwordError(PasswordTooLong, "password must be at most 256 bytes")
	}
	// Two-letter names are left out: "an" or "li" is in too many words.
	if u := strings.ToLower(strings.TrimSpace(username)); len(u) >= 3 && strings.Contains(strings.ToLower(p), u) {
		return passwordError(PasswordHasUsername, "password must not contain the username")
	}
	head := p
	if len(head) > zxcvbnBytes {
		head = strings.ToValidUTF8(head[:zxcvbnBytes], "")
	}
	if zxcvbn.PasswordStrength(head, []string{username, "fivec"}).Score < MinPasswordScore {
		return passwordError(PasswordTooCommon, "password is too common or too easy to guess; use a longer passphrase of unrelated words")
	}
	return nil
}

// bcryptInput is what bcrypt hashes for p. bcrypt ignores everything past
// 72 bytes, so a longer passphrase is reduced to its SHA-256 (base64,
// which has no NUL byte) and all of it counts. Passwords of 72 bytes or
// fewer are hashed as they are, as before the passphrase limit rose.
func bcryptInput(p string) []byte {
	if len(p) <= 72 {
		return []byte(p)
	}
	sum := sha256.Sum256([]byte(p))
	return []byte("sha256:" + base64.StdEncoding.EncodeToString(sum[:]))
}

// hashPassword returns the bcrypt hash of p at cost.
func hashPassword(p string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword(bcryptInput(p), cost)
	return string(h), err
}

// passwordMatches reports whether p is the password of hash.
func passwordMatches(hash, p string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), bcryptInput(p)) == nil
}
