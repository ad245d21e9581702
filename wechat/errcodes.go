package wechat

// ErrClass says what a WeChat errcode means for whoever made the call:
// try again later, fix the account, give up on this fan, or nobody knows.
type ErrClass int

const (
	// ErrUnknown is an errcode this table does not list, or a call that
	// failed with no errcode: callers decide (delivery treats it as final).
	ErrUnknown ErrClass = iota
	// ErrTransient: the platform is busy or a quota resets soon (-1, 45009,
	// 45011, 45066). The same call may succeed later: retry with backoff.
	ErrTransient
	// ErrAccountBroken: the account, not the fan, is at fault (token,
	// secret, IP whitelist, verification). Every call fails until it is
	// fixed; delivery retries so its breaker pauses instead of failing
	// every fan of a push.
	ErrAccountBroken
	// ErrRecipient: this fan cannot receive this message (unfollowed,
	// window closed or used up, bad openid, blacklisted). Final for the
	// fan; other fans are unaffected.
	ErrRecipient
)

// String names the class for logs.
func (c ErrClass) String() string {
	switch c {
	case ErrTransient:
		return "transient"
	case ErrAccountBroken:
		return "account broken"
	case ErrRecipient:
		return "recipient"
	}
	return "unknown"
}

// errcodeInfo is what fivec knows about one errcode.
type errcodeInfo struct {
	Class ErrClass
}

// errcodes lists the errcodes fivec meets on its send paths
// (wechat-platform.md §2–§5); any other code is ErrUnknown.
var errcodes = map[int]errcodeInfo{
	-1:    {Class: ErrTransient}, // system busy
	45009: {Class: ErrTransient}, // daily API quota reached
	45011: {Class: ErrTransient}, // API minute quota reached
	45066: {Class: ErrTransient}, // mass send retried too fast

	40001: {Class: ErrAccountBroken}, // access_token invalid (or secret wrong)
	40013: {Class: ErrAccountBroken}, // invalid AppID
	40014: {Class: ErrAccountBroken}, // invalid access_token
	40125: {Class: ErrAccountBroken}, // invalid AppSecret
	40164: {Class: ErrAccountBroken}, // calling IP not on the whitelist
	41001: {Class: ErrAccountBroken}, // access_token missing
	42001: {Class: ErrAccountBroken}, // access_token expired
	48001: {Class: ErrAccountBroken}, // API not authorised (unverified account)

	40003: {Class: ErrRecipient}, // invalid openid
	43004: {Class: ErrRecipient}, // the fan has not subscribed
	43019: {Class: ErrRecipient}, // the fan is on the blacklist
	45015: {Class: ErrRecipient}, // customer-service window closed
	45047: {Class: ErrRecipient}, // customer-service window's messages used up
}

// ClassOf returns code's class (ErrUnknown for 0 and unlisted codes).
func ClassOf(code int) ErrClass {
	return errcodes[code].Class
}
