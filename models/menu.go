package models

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// Menu button types WeChat accepts that fivec's editor offers.
var MenuTypes = []string{"click", "view", "miniprogram", "scancode_push", "scancode_waitmsg",
	"pic_sysphoto", "pic_photo_or_album", "pic_weixin", "location_select"}

// MenuButton is one button of the custom menu. A top-level button with
// SubButtons is a folder and has no type of its own.
type MenuButton struct {
	Type       string       `json:"type,omitempty"`
	Name       string       `json:"name"`
	Key        string       `json:"key,omitempty"`
	URL        string       `json:"url,omitempty"`
	AppID      string       `json:"appid,omitempty"`
	PagePath   string       `json:"pagepath,omitempty"`
	SubButtons []MenuButton `json:"sub_button,omitempty"`
}

// Menu is the whole custom menu.
type Menu struct {
	Buttons []MenuButton `json:"button"`
}

// Validate applies the platform's limits; errors name the button and the
// limit broken (≤ 3 buttons of ≤ 16 bytes, ≤ 5 sub-buttons of ≤ 60 bytes,
// key ≤ 128 bytes, url ≤ 1024 bytes).
func (m Menu) Validate() error {
	if len(m.Buttons) == 0 {
		return Errorf(EINVALID, "the menu needs at least one button")
	}
	if len(m.Buttons) > 3 {
		return Errorf(EINVALID, "the menu has %d buttons; WeChat allows 3", len(m.Buttons))
	}
	for i, b := range m.Buttons {
		where := fmt.Sprintf("button %d (%q)", i+1, b.Name)
		if err := checkName(where, b.Name, 16); err != nil {
			return err
		}
		if len(b.SubButtons) > 5 {
			return Errorf(EINVALID, "%s has %d sub-buttons; WeChat allows 5", where, len(b.SubButtons))
		}
		if len(b.SubButtons) > 0 {
			if b.Type != "" {
				return Errorf(EINVALID, "%s has sub-buttons, so it cannot have a type of its own", where)
			}
			for j, sb := range b.SubButtons {
				sw := fmt.Sprintf("%s › sub-button %d (%q)", where, j+1, sb.Name)
				if err := checkName(sw, sb.Name, 60); err != nil {
					return err
				}
				if len(sb.SubButtons) > 0 {
					return Errorf(EINVALID, "%s: menus have only two levels", sw)
				}
				if err := checkAction(sw, sb); err != nil {
					return err
				}
			}
			continue
		}
		if err := checkAction(where, b); err != nil {
			return err
		}
	}
	return nil
}

func checkName(where, name string, limit int) error {
	if name == "" {
		return Errorf(EINVALID, "%s needs a name", where)
	}
	if len(name) > limit {
		return Errorf(EINVALID, "%s: the name is %d bytes; WeChat allows %d (a Chinese character is 3 bytes)", where, len(name), limit)
	}
	return nil
}

func checkAction(where string, b MenuButton) error {
	switch b.Type {
	case "view":
		if b.URL == "" {
			return Errorf(EINVALID, "%s: a view button needs a url", where)
		}
		if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return Errorf(EINVALID, "%s: the url must start with http:// or https://", where)
		}
		if len(b.URL) > 1024 {
			return Errorf(EINVALID, "%s: the url is %d bytes; WeChat allows 1024", where, len(b.URL))
		}
	case "miniprogram":
		if b.AppID == "" || b.PagePath == "" || b.URL == "" {
			return Errorf(EINVALID, "%s: a miniprogram button needs appid, pagepath and a fallback url", where)
		}
		if len(b.URL) > 1024 {
			return Errorf(EINVALID, "%s: the url is %d bytes; WeChat allows 1024", where, len(b.URL))
		}
	case "click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin", "location_select":
		if b.Key == "" {
			return Errorf(EINVALID, "%s: a %s button needs a key", where, b.Type)
		}
		if len(b.Key) > 128 {
			return Errorf(EINVALID, "%s: the key is %d bytes; WeChat allows 128", where, len(b.Key))
		}
	case "":
		return Errorf(EINVALID, "%s needs a type or sub-buttons", where)
	default:
		return Errorf(EINVALID, "%s: unknown type %q", where, b.Type)
	}
	return nil
}

const (
	menuDraftKey     = "menu_draft"
	menuPublishedKey = "menu_published"
)

// SaveMenuDraft validates and stores the menu being edited.
func (s *Store) SaveMenuDraft(ctx context.Context, m Menu) error {
	if err := m.Validate(); err != nil {
		return err
	}
	return s.putSetting(ctx, menuDraftKey, m)
}

// MenuDraft returns the menu being edited (empty when none).
func (s *Store) MenuDraft(ctx context.Context) (Menu, error) {
	var m Menu
	_, err := s.getSetting(ctx, menuDraftKey, &m)
	return m, err
}

// MarkMenuPublished records what was published and when.
func (s *Store) MarkMenuPublished(ctx context.Context, m Menu) error {
	return s.putSetting(ctx, menuPublishedKey, m)
}

// PublishedMenu returns the last menu fivec published and when.
func (s *Store) PublishedMenu(ctx context.Context) (Menu, time.Time, error) {
	var m Menu
	at, err := s.getSetting(ctx, menuPublishedKey, &m)
	return m, at, err
}

func (s *Store) putSetting(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	db := s.db.WithContext(ctx)
	res := db.Model(&setting{}).Where("name = ?", key).Updates(map[string]any{"value": string(b), "updated_at": s.now()})
	if res.Error != nil {
		return translate("save "+key, res.Error)
	}
	if res.RowsAffected == 0 {
		err = db.Create(&setting{Key: key, Value: string(b), UpdatedAt: s.now()}).Error
		if isDuplicate(err) { // another process created it meanwhile
			err = db.Model(&setting{}).Where("name = ?", key).Updates(map[string]any{"value": string(b), "updated_at": s.now()}).Error
		}
	}
	return translate("save "+key, err)
}

func (s *Store) getSetting(ctx context.Context, key string, v any) (time.Time, error) {
	var st setting
	err := s.db.WithContext(ctx).Where("name = ?", key).Take(&st).Error
	if isNotFound(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, translate("read "+key, err)
	}
	return st.UpdatedAt, json.Unmarshal([]byte(st.Value), v)
}
