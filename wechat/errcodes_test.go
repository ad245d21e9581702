package wechat

import (
	"testing"
	"unicode"
)

// TestErrcodesExplained: every errcode fivec meets (the fake API, the
// delivery jobs, the platform notes) has a Chinese and an English meaning
// and a next step, so no console page shows a bare "errcode 45015".
func TestErrcodesExplained(t *testing.T) {
	met := []int{-1, 40001, 40003, 40007, 40013, 40014, 40032, 40035, 40037, 40130, 40164, 41001, 42001,
		43004, 44002, 45002, 45008, 45009, 45011, 45015, 45028, 45047, 45065, 45066, 45159, 47003, 48001, 50001, 61023}
	for _, code := range met {
		if _, ok := Explain(code); !ok {
			t.Errorf("errcode %d is not in the catalogue", code)
		}
	}
	for code, info := range errcodes {
		if info.ZH == "" || info.EN == "" || info.NextZH == "" || info.NextEN == "" {
			t.Errorf("errcode %d: a field is empty: %+v", code, info)
		}
		if !hasHan(info.ZH) || !hasHan(info.NextZH) {
			t.Errorf("errcode %d: the Chinese text has no Chinese: %+v", code, info)
		}
	}
	if what, next := DescribeCode("zh", 45015); what != errcodes[45015].ZH || next != errcodes[45015].NextZH {
		t.Errorf("DescribeCode(zh, 45015) = %q, %q", what, next)
	}
	if what, _ := DescribeCode("en", 45015); what != errcodes[45015].EN {
		t.Errorf("DescribeCode(en, 45015) = %q", what)
	}
	if what, next := DescribeCode("zh", 99999); !hasHan(what) || !hasHan(next) {
		t.Errorf("an unknown errcode is not described in Chinese: %q, %q", what, next)
	}
	if what, _ := DescribeCode("zh", 0); what != "" {
		t.Errorf("errcode 0 described as %q", what)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestClassOf(t *testing.T) {
	for _, tc := range []struct {
		code int
		want ErrClass
	}{
		{0, ErrUnknown},
		{-1, ErrTransient},
		{45009, ErrTransient},
		{45011, ErrTransient},
		{45066, ErrTransient},
		{40001, ErrAccountBroken},
		{40014, ErrAccountBroken},
		{42001, ErrAccountBroken},
		{40164, ErrAccountBroken},
		{48001, ErrAccountBroken},
		{43004, ErrRecipient},
		{45015, ErrRecipient},
		{45047, ErrRecipient},
		{40003, ErrRecipient},
		{47003, ErrUnknown}, // a bad argument: final, but not about the fan
		{45065, ErrUnknown}, // a duplicate clientmsgid is handled by the mass path
		{99999, ErrUnknown},
	} {
		if got := ClassOf(tc.code); got != tc.want {
			t.Errorf("ClassOf(%d) = %v, want %v", tc.code, got, tc.want)
		}
	}
}

// TestTemplateStatusesExplained: TEMPLATESENDJOBFINISH's failures (spelt
// as WeChat spells them, with or without a space) are explained in both
// languages with a next step; "success" is no failure; an unknown status
// is a failure, still described in words.
func TestTemplateStatusesExplained(t *testing.T) {
	for _, st := range []string{"failed:user block", "failed: system failed", "Failed: User Block"} {
		info, ok := ExplainTemplateStatus(st)
		if !ok || !hasHan(info.ZH) || !hasHan(info.NextZH) || info.EN == "" || info.NextEN == "" {
			t.Errorf("%q: %+v %v", st, info, ok)
		}
		if !TemplateStatusFailed(st) {
			t.Errorf("%q is not a failure", st)
		}
	}
	if TemplateStatusFailed("success") || TemplateStatusFailed(" Success ") {
		t.Error("success counted as a failure")
	}
	if !TemplateStatusFailed("failed: quota") {
		t.Error("an unknown status is not a failure")
	}
	if what, next := DescribeTemplateStatus("zh", "failed: quota"); !hasHan(what) || !hasHan(next) {
		t.Errorf("unknown status in Chinese: %q %q", what, next)
	}
	if what, _ := DescribeTemplateStatus("zh", "failed:user block"); what != "粉丝已拒收本公众号的模板消息" {
		t.Errorf("user block in Chinese: %q", what)
	}
}

// TestStaleTokenCodes: only the codes that say the token itself is stale
// make the client drop it and try again; a broken AppID or an IP off the
// whitelist would fail the same way with a fresh token.
func TestStaleTokenCodes(t *testing.T) {
	for code, want := range map[int]bool{40001: true, 40014: true, 42001: true, 40013: false, 40164: false, 45015: false, 0: false, 99999: false} {
		if got := StaleToken(code); got != want {
			t.Errorf("StaleToken(%d) = %v, want %v", code, got, want)
		}
	}
}
