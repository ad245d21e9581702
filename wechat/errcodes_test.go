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
