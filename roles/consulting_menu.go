package roles

import (
	"context"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// ErrNoWeChat is what the console and the API answer when an action needs
// WeChat and no account is configured.
var ErrNoWeChat = models.Errorf(models.EINVALID, "fivec has no WeChat account configured")

// PublishMenu sends the custom menu m to WeChat and, only once WeChat has
// accepted it, records it as the published menu; the console and the API
// both publish through it. wx nil: ErrNoWeChat.
func PublishMenu(ctx context.Context, s *models.Store, wx *wechat.Client, m models.Menu) error {
	if wx == nil {
		return ErrNoWeChat
	}
	if err := wx.PublishMenu(ctx, m); err != nil {
		return err
	}
	return s.MarkMenuPublished(ctx, m)
}

// LiveMenu reads back the menu WeChat shows now. wx nil: ErrNoWeChat.
func LiveMenu(ctx context.Context, wx *wechat.Client) (models.Menu, error) {
	if wx == nil {
		return models.Menu{}, ErrNoWeChat
	}
	return wx.LiveMenu(ctx)
}
