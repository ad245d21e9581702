package wechat

import "testing"

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
