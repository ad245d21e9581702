package models

import "strings"

// System reasons. Stage/level changes and points entries the system makes
// (not staff) store their reason as a stable code with an optional
// argument, "sys:<code>[:<arg>]", so the console shows it in the staff
// member's language and the API in English. Staff-typed reasons are
// stored as typed. Rows written before the codes keep their old text.
const (
	ReasonAsked           = "asked"            // a first question: curious
	ReasonSignIn          = "signin"           // the daily sign-in: responder
	ReasonSignInDay       = "signin_day"       // arg: the day; the sign-in's points
	ReasonReferred        = "referred"         // brought a friend: spreader
	ReasonReferrals       = "referrals"        // arg: how many friends; key person
	ReasonTopic           = "topic"            // arg: the topic's title (level and points)
	ReasonActiveDays      = "active_days"      // arg: days; loyal
	ReasonEarnedPoints    = "earned_points"    // arg: points; loyal
	ReasonFirstRedemption = "first_redemption" // new customer
	ReasonWelcome         = "welcome"          // arg: the channel's name; welcome points
	ReasonRulePoints      = "rule_points"      // points from an auto-reply rule
	ReasonReferralPoints  = "referral_points"  // the referrer's reward
	ReasonRedeem          = "redeem"           // arg: the gift's name
	ReasonExpiry          = "expiry"           // points expired
	ReasonSharePoints     = "share_points"     // arg: the link's title; a friend opened the member's share
	ReasonShared          = "shared"           // a friend opened the member's share: spreader
	ReasonShareFriends    = "share_friends"    // arg: how many friends opened their shares; key person
	ReasonLuckyDraw       = "lucky_draw"       // arg: the draw's title; an entry's cost
)

const systemReasonPrefix = "sys:"

// SystemReason is the stored form of a system reason: "sys:code" or
// "sys:code:arg". The code must not contain ':'; the argument may.
func SystemReason(code, arg string) string {
	if arg == "" {
		return systemReasonPrefix + code
	}
	return systemReasonPrefix + code + ":" + arg
}

// ParseReason splits a stored system reason into its code and argument;
// ok is false for free text (staff-typed or written before the codes).
func ParseReason(s string) (code, arg string, ok bool) {
	rest, ok := strings.CutPrefix(s, systemReasonPrefix)
	if !ok {
		return "", "", false
	}
	code, arg, _ = strings.Cut(rest, ":")
	if code == "" {
		return "", "", false
	}
	return code, arg, true
}

// ReasonText renders a reason for people: a system reason through lookup
// (e.g. an i18n catalogue), anything else as stored. Reasons of rows a
// staff member made are never codes, whatever they typed. A code lookup
// does not know shows as stored, so nothing is hidden.
func ReasonText(stored string, byStaff bool, lookup func(code, arg string) (string, bool)) (text, code string) {
	if byStaff {
		return stored, ""
	}
	code, arg, ok := ParseReason(stored)
	if !ok {
		return stored, ""
	}
	if s, ok := lookup(code, arg); ok {
		return s, code
	}
	return stored, code
}

// ReasonText renders the change's reason (see ReasonText).
func (c MemberChange) ReasonText(lookup func(code, arg string) (string, bool)) (text, code string) {
	return ReasonText(c.Reason, c.StaffID != nil, lookup)
}

// ReasonText renders the entry's reason (see ReasonText).
func (e PointsEntry) ReasonText(lookup func(code, arg string) (string, bool)) (text, code string) {
	return ReasonText(e.Reason, e.StaffID != nil, lookup)
}

// ReasonCodes lists every system reason code (each has a catalogue entry,
// which a test checks).
var ReasonCodes = []string{ReasonAsked, ReasonSignIn, ReasonSignInDay, ReasonReferred, ReasonReferrals,
	ReasonTopic, ReasonActiveDays, ReasonEarnedPoints, ReasonFirstRedemption, ReasonWelcome,
	ReasonRulePoints, ReasonReferralPoints, ReasonRedeem, ReasonExpiry,
	ReasonSharePoints, ReasonShared, ReasonShareFriends, ReasonLuckyDraw}
