package models_test

import (
	"context"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestSystemReasonRoundTrip(t *testing.T) {
	for _, c := range []struct{ code, arg, stored string }{
		{models.ReasonSignIn, "", "sys:signin"},
		{models.ReasonReferrals, "12", "sys:referrals:12"},
		{models.ReasonTopic, "美食", "sys:topic:美食"},
		{models.ReasonTopic, "a:b: c", "sys:topic:a:b: c"}, // the argument may hold ':'
	} {
		s := models.SystemReason(c.code, c.arg)
		if s != c.stored {
			t.Errorf("SystemReason(%q, %q) = %q, want %q", c.code, c.arg, s, c.stored)
		}
		code, arg, ok := models.ParseReason(s)
		if !ok || code != c.code || arg != c.arg {
			t.Errorf("ParseReason(%q) = %q %q %v", s, code, arg, ok)
		}
	}
	for _, free := range []string{"", "daily sign-in", "签到", "sys:", "sys::x", "SYS:signin", " sys:signin"} {
		if code, arg, ok := models.ParseReason(free); ok {
			t.Errorf("ParseReason(%q) = %q %q, want free text", free, code, arg)
		}
	}
}

func TestReasonText(t *testing.T) {
	lookup := func(code, arg string) (string, bool) {
		switch code {
		case "signin":
			return "每日签到", true
		case "topic":
			return "参与话题：" + arg, true
		}
		return "", false
	}
	for _, c := range []struct {
		stored     string
		byStaff    bool
		text, code string
	}{
		{"sys:signin", false, "每日签到", "signin"},
		{"sys:topic:美食", false, "参与话题：美食", "topic"},
		{"sys:signin", true, "sys:signin", ""},               // staff typed it: as typed
		{"sys:newcode:x", false, "sys:newcode:x", "newcode"}, // unknown to the catalogue: as stored
		{"brought a friend", false, "brought a friend", ""},  // an old row
	} {
		text, code := models.ReasonText(c.stored, c.byStaff, lookup)
		if text != c.text || code != c.code {
			t.Errorf("ReasonText(%q, %v) = %q %q, want %q %q", c.stored, c.byStaff, text, code, c.text, c.code)
		}
	}
}

// The system writes codes, staff text is kept as typed, on both databases.
func TestReasonsStored(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		modelstest.SeedReasons(t, s, "oR")
		m, err := s.FindMemberByOpenID(ctx, "oR")
		if err != nil {
			t.Fatal(err)
		}
		entries, err := s.PointsHistory(ctx, m.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, e := range entries {
			got[e.Reason] = e.StaffID != nil
		}
		if byStaff, ok := got["sys:signin_day:2030-06-01"]; !ok || byStaff {
			t.Errorf("sign-in entry: %+v", entries)
		}
		if byStaff, ok := got["sys:expiry"]; !ok || !byStaff {
			t.Errorf("staff entry: %+v", entries)
		}
		changes, err := s.MemberHistory(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		var reasons []string
		for _, c := range changes {
			reasons = append(reasons, c.Reason)
		}
		if len(reasons) != 2 || reasons[0] != "sys:signin" || reasons[1] != "brought a friend" {
			t.Errorf("history reasons %q", reasons)
		}
	})
}
