package fake

import (
	"fmt"
	"strings"
)

// Menu limits from wechat-platform.md §8.
const (
	maxButtons        = 3
	maxSubButtons     = 5
	maxNameBytes      = 16 // top-level button name
	maxSubNameBytes   = 60
	maxButtonKeyBytes = 128
	maxButtonURLBytes = 1024
)

// MenuButton is a button of an account's custom menu, as menu/create takes it.
type MenuButton struct {
	Type       string       `json:"type,omitempty"`
	Name       string       `json:"name"`
	Key        string       `json:"key,omitempty"`
	URL        string       `json:"url,omitempty"`
	MediaID    string       `json:"media_id,omitempty"`
	AppID      string       `json:"appid,omitempty"`
	PagePath   string       `json:"pagepath,omitempty"`
	ArticleID  string       `json:"article_id,omitempty"`
	SubButtons []MenuButton `json:"sub_button,omitempty"`
}

type menuState struct {
	buttons []MenuButton
	id      int64
}

// Menu returns the account's current menu (nil when none), for the fan
// simulator to draw.
func (s *Server) Menu(appID string) []MenuButton {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[appID]
	if a == nil || a.menu == nil {
		return nil
	}
	return cloneButtons(a.menu.buttons)
}

func cloneButtons(bs []MenuButton) []MenuButton {
	out := make([]MenuButton, len(bs))
	for i, b := range bs {
		out[i] = b
		if b.SubButtons != nil {
			out[i].SubButtons = cloneButtons(b.SubButtons)
		}
	}
	return out
}

// buttonCodes are the errcodes for a top-level button and for a sub-button.
type buttonCodes struct{ size, typ, name, key, url, domain, nameMax int }

var (
	topCodes = buttonCodes{40016, 40017, 40018, 40019, 40020, 40055, maxNameBytes}
	subCodes = buttonCodes{40023, 40024, 40025, 40026, 40027, 40054, maxSubNameBytes}
)

// validateMenu applies the platform's menu rules: 1–3 buttons (40016),
// 1–5 sub-buttons (40023), names ≤ 16/60 bytes (40018/40025), keys ≤ 128
// bytes (40019/40026), URLs ≤ 1024 bytes (40020/40027) and http(s)
// (40055/40054), known types with their fields (40017/40024).
func validateMenu(bs []MenuButton) *reply {
	bad := func(code int, hint string) *reply {
		r := fail(code, hint)
		return &r
	}
	if len(bs) == 0 || len(bs) > maxButtons {
		return bad(topCodes.size, fmt.Sprintf("%d buttons, 1 to %d", len(bs), maxButtons))
	}
	for _, b := range bs {
		if len(b.SubButtons) == 0 {
			if r := validateButton(b, topCodes); r != nil {
				return r
			}
			continue
		}
		if b.Name == "" || len(b.Name) > maxNameBytes {
			return bad(topCodes.name, b.Name)
		}
		if len(b.SubButtons) > maxSubButtons {
			return bad(subCodes.size, fmt.Sprintf("%d sub-buttons, limit %d", len(b.SubButtons), maxSubButtons))
		}
		for _, sb := range b.SubButtons {
			if len(sb.SubButtons) > 0 {
				return bad(subCodes.typ, "sub-buttons cannot nest")
			}
			if r := validateButton(sb, subCodes); r != nil {
				return r
			}
		}
	}
	return nil
}

func validateButton(b MenuButton, c buttonCodes) *reply {
	bad := func(code int, hint string) *reply {
		r := fail(code, hint)
		return &r
	}
	if b.Name == "" || len(b.Name) > c.nameMax {
		return bad(c.name, fmt.Sprintf("%q is %d bytes, limit %d", b.Name, len(b.Name), c.nameMax))
	}
	checkURL := func() *reply {
		switch {
		case b.URL == "" || len(b.URL) > maxButtonURLBytes:
			return bad(c.url, fmt.Sprintf("url of %d bytes, limit %d", len(b.URL), maxButtonURLBytes))
		case !strings.HasPrefix(b.URL, "http://") && !strings.HasPrefix(b.URL, "https://"):
			return bad(c.domain, b.URL)
		}
		return nil
	}
	switch b.Type {
	case "click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album",
		"pic_weixin", "location_select":
		if b.Key == "" || len(b.Key) > maxButtonKeyBytes {
			return bad(c.key, fmt.Sprintf("key of %d bytes, limit %d", len(b.Key), maxButtonKeyBytes))
		}
	case "view":
		return checkURL()
	case "miniprogram":
		if b.AppID == "" || b.PagePath == "" {
			return bad(40035, "miniprogram needs appid and pagepath")
		}
		return checkURL()
	case "media_id", "view_limited":
		if b.MediaID == "" {
			return bad(40035, b.Type+" needs media_id")
		}
	case "article_id", "article_view_limited":
		if b.ArticleID == "" {
			return bad(40035, b.Type+" needs article_id")
		}
	default:
		return bad(c.typ, b.Type)
	}
	return nil
}

// handleMenuCreate is POST /cgi-bin/menu/create {"button":[...]}; it
// replaces the current menu.
func (s *Server) handleMenuCreate(c *apiCall) reply {
	var req struct {
		Button []MenuButton `json:"button"`
	}
	if rep := c.decode(&req); rep != nil {
		return *rep
	}
	if rep := validateMenu(req.Button); rep != nil {
		return *rep
	}
	c.acct.menu = &menuState{buttons: req.Button, id: s.nextSeq() % 1e9}
	return ok(nil)
}

// handleMenuGet is GET /cgi-bin/menu/get: 46003 when there is no menu.
func (s *Server) handleMenuGet(c *apiCall) reply {
	m := c.acct.menu
	if m == nil {
		return fail(46003, "")
	}
	return data(map[string]any{"menu": map[string]any{"button": m.buttons, "menuid": m.id}})
}

// handleSelfMenuInfo is GET /cgi-bin/get_current_selfmenu_info, whose
// sub-buttons sit in {"sub_button":{"list":[...]}}.
func (s *Server) handleSelfMenuInfo(c *apiCall) reply {
	m := c.acct.menu
	if m == nil {
		return data(map[string]any{"is_menu_open": 0, "selfmenu_info": map[string]any{"button": []any{}}})
	}
	leaf := func(b MenuButton) map[string]any {
		out := map[string]any{"type": b.Type, "name": b.Name}
		switch {
		case b.Key != "":
			out["key"] = b.Key
		case b.URL != "":
			out["url"] = b.URL
		case b.MediaID != "":
			out["value"] = b.MediaID
		case b.ArticleID != "":
			out["article_id"] = b.ArticleID
		}
		return out
	}
	list := make([]map[string]any, 0, len(m.buttons))
	for _, b := range m.buttons {
		if len(b.SubButtons) == 0 {
			list = append(list, leaf(b))
			continue
		}
		subs := make([]map[string]any, 0, len(b.SubButtons))
		for _, sb := range b.SubButtons {
			subs = append(subs, leaf(sb))
		}
		list = append(list, map[string]any{"name": b.Name, "sub_button": map[string]any{"list": subs}})
	}
	return data(map[string]any{"is_menu_open": 1, "selfmenu_info": map[string]any{"button": list}})
}

// handleMenuDelete is GET /cgi-bin/menu/delete.
func (s *Server) handleMenuDelete(c *apiCall) reply {
	c.acct.menu = nil
	return ok(nil)
}
