package roles_test

import (
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// TestTestRequestInput: the tester's input as the console and the API
// build it: a text, a follow with or without a scene, a menu click; what is
// missing is refused with what to type.
func TestTestRequestInput(t *testing.T) {
	at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		r    roles.TestRequest
		want roles.TestInput
		err  string
	}{
		{"text", roles.TestRequest{Text: "价格", OpenID: " oFan ", At: at}, roles.TestInput{Text: "价格", OpenID: "oFan", At: at}, ""},
		{"follow by scene", roles.TestRequest{Text: "ignored", Event: "subscribe", Scene: "poster"}, roles.TestInput{Event: "subscribe", EventKey: "qrscene_poster"}, ""},
		{"follow", roles.TestRequest{Event: "subscribe"}, roles.TestInput{Event: "subscribe"}, ""},
		{"click", roles.TestRequest{Event: "click", Key: "MENU_PRICE"}, roles.TestInput{Event: "CLICK", EventKey: "MENU_PRICE"}, ""},
		{"empty text", roles.TestRequest{Text: "  "}, roles.TestInput{}, "type the message a fan would send"},
		{"click without key", roles.TestRequest{Event: "click"}, roles.TestInput{}, "a menu click needs the button's key"},
		{"unknown event", roles.TestRequest{Event: "scan"}, roles.TestInput{}, "event must be empty, subscribe or click"},
	} {
		got, err := tt.r.Input()
		if tt.err != "" {
			if models.ErrorCode(err) != models.EINVALID || models.ErrorMessage(err) != tt.err {
				t.Errorf("%s: %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v %v, want %+v", tt.name, got, err, tt.want)
		}
	}
}
