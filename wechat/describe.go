package wechat

import (
	"errors"

	"github.com/fivec/fivec/models"
)

// Describe turns a failed send into what staff may see: WeChat's errcode
// (0 when there is none) and a message that never carries internal detail.
// A nil error gives (0, "").
func Describe(err error) (errcode int, message string) {
	if err == nil {
		return 0, ""
	}
	var ae *APIError
	if errors.As(err, &ae) {
		msg := ae.Msg
		if msg == "" {
			msg = "WeChat refused the message"
		}
		return ae.Code, msg
	}
	if code := ErrCode(err); code != 0 {
		return code, "WeChat refused the message"
	}
	if models.ErrorCode(err) != models.EINTERNAL {
		return 0, models.ErrorMessage(err)
	}
	return 0, "could not reach WeChat"
}
