package wechat

import (
	"context"
	"encoding/json"

	"github.com/silenceper/wechat/v2/officialaccount/menu"

	"github.com/fivec/fivec/models"
)

// PublishMenu replaces the account's custom menu with m.
func (c *Client) PublishMenu(ctx context.Context, m models.Menu) error {
	if err := m.Validate(); err != nil {
		return err
	}
	buttons, err := sdkButtons(m.Buttons)
	if err != nil {
		return err
	}
	return c.call(ctx, func() error { return c.menu.SetMenu(buttons) })
}

// LiveMenu reads back the menu WeChat currently shows.
func (c *Client) LiveMenu(ctx context.Context) (models.Menu, error) {
	var res menu.ResMenu
	err := c.call(ctx, func() error {
		var err error
		res, err = c.menu.GetMenu()
		return err
	})
	if err != nil {
		if ErrCode(err) == 46003 { // no menu yet
			return models.Menu{}, nil
		}
		return models.Menu{}, err
	}
	b, _ := json.Marshal(res.Menu.Button)
	var m models.Menu
	err = json.Unmarshal(b, &m.Buttons)
	return m, err
}

// sdkButtons converts through JSON: both types carry WeChat's field names.
func sdkButtons(bs []models.MenuButton) ([]*menu.Button, error) {
	b, err := json.Marshal(bs)
	if err != nil {
		return nil, err
	}
	var out []*menu.Button
	return out, json.Unmarshal(b, &out)
}
