package roles

import (
	"context"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// SetBlacklist puts the member on the account's blacklist (on) or takes
// them off: on WeChat first (tags/members/batchblacklist), then in fivec,
// so the flag never claims what WeChat refused. A blacklisted fan's
// messages are recorded but not answered (Pipeline.Run) and no push is
// sent to them (delivery skips them as "blacklisted"). It reports whether
// anything changed; WeChat's refusals come back in words with the errcode.
func SetBlacklist(ctx context.Context, st *models.Store, wx *wechat.Client, m *models.Member, on bool) (bool, error) {
	if m.Blacklisted == on {
		return false, nil
	}
	if m.Erased() {
		return false, models.Errorf(models.EINVALID, "an erased member cannot be blacklisted")
	}
	if wx == nil {
		return false, models.Errorf(models.EUPSTREAM, "WeChat could not be reached")
	}
	call := wx.Unblacklist
	if on {
		call = wx.Blacklist
	}
	if err := call(ctx, m.OpenID); err != nil {
		return false, wechatRefused(err)
	}
	return st.SetBlacklisted(ctx, m.ID, on)
}
