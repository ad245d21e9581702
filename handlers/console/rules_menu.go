package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

// The menu editor has fixed slots: WeChat's 3 buttons, each with room for
// 5 sub-buttons. Empty slots are ignored, so no script is needed.
const (
	menuSlots = 3
	subSlots  = 5
)

// menuSlot is one button slot of the editor, as typed.
type menuSlot struct {
	Name, Type, Key, URL, AppID, PagePath string
	Subs                                  []menuSlot // top-level slots only
	// How the template draws it: field names start with Prefix ("b.0.",
	// "b.0.s.3."), Num counts from 1, Top is a top-level slot.
	Prefix string
	Num    int
	Top    bool
	Types  []string
	// Pages are the fan pages a view button may open (with their full
	// addresses), Page the one its URL is.
	Pages []fanPageChoice
	Page  string
}

// fanPageChoice is a fan page as the editor offers it.
type fanPageChoice struct {
	Name, URL string
}

// fanPageChoices are h's fan pages with their public addresses.
func (h *Handler) fanPageChoices() []fanPageChoice {
	var out []fanPageChoice
	for _, p := range h.FanPages {
		out = append(out, fanPageChoice{Name: p.Name, URL: strings.TrimRight(h.PublicURL, "/") + p.Path})
	}
	return out
}

func (s menuSlot) empty() bool {
	return s.Name == "" && s.Type == "" && s.Key == "" && s.URL == "" && s.AppID == "" && s.PagePath == ""
}

func (s menuSlot) button() models.MenuButton {
	return models.MenuButton{Name: s.Name, Type: s.Type, Key: s.Key, URL: s.URL, AppID: s.AppID, PagePath: s.PagePath}
}

type menuData struct {
	Slots   []menuSlot
	Preview models.Menu // the draft (or what was typed) as WeChat will show it
	CanEdit bool
	// PublishedAt is when fivec last published; Unpublished is true when the
	// draft differs from what was published.
	PublishedAt time.Time
	Unpublished bool
	Live        *models.Menu // read back from WeChat, on /menu/live
	Error       string
}

// menuSlotsFrom lays m out in the editor's fixed slots.
func menuSlotsFrom(m models.Menu, pages []fanPageChoice) []menuSlot {
	slot := func(bs []models.MenuButton, i int, prefix string) menuSlot {
		s := menuSlot{Prefix: prefix, Num: i + 1, Types: models.MenuTypes, Pages: pages}
		if i < len(bs) {
			b := bs[i]
			s.Name, s.Type, s.Key, s.URL, s.AppID, s.PagePath = b.Name, b.Type, b.Key, b.URL, b.AppID, b.PagePath
			for _, p := range pages {
				if b.URL == p.URL {
					s.Page = p.Name
				}
			}
		}
		return s
	}
	slots := make([]menuSlot, menuSlots)
	for i := range slots {
		prefix := "b." + strconv.Itoa(i) + "."
		slots[i] = slot(m.Buttons, i, prefix)
		slots[i].Top = true
		var subs []models.MenuButton
		if i < len(m.Buttons) {
			subs = m.Buttons[i].SubButtons
		}
		for j := range subSlots {
			slots[i].Subs = append(slots[i].Subs, slot(subs, j, prefix+"s."+strconv.Itoa(j)+"."))
		}
	}
	return slots
}

// parseMenuForm reads the slots (b.0.name, b.0.s.2.url…) into a menu,
// skipping empty ones. A picked fan page (b.0.page) gives the slot its
// public address, whatever the URL field says.
func parseMenuForm(v url.Values, pages []fanPageChoice) models.Menu {
	slot := func(prefix string) menuSlot {
		g := func(f string) string { return strings.TrimSpace(v.Get(prefix + f)) }
		s := menuSlot{Name: g("name"), Type: g("type"), Key: g("key"), URL: g("url"), AppID: g("appid"), PagePath: g("pagepath")}
		for _, p := range pages {
			if g("page") != "" && g("page") == p.Name {
				s.URL = p.URL
			}
		}
		return s
	}
	var m models.Menu
	for i := range menuSlots {
		top := slot("b." + strconv.Itoa(i) + ".")
		b := top.button()
		for j := range subSlots {
			if s := slot("b." + strconv.Itoa(i) + ".s." + strconv.Itoa(j) + "."); !s.empty() {
				b.SubButtons = append(b.SubButtons, s.button())
			}
		}
		if !top.empty() || len(b.SubButtons) > 0 {
			m.Buttons = append(m.Buttons, b)
		}
	}
	return m
}

// menuPage shows the draft, its preview and when it was last published.
func (h *Handler) menuPage(c *gin.Context) { h.menuView(c, false) }

// menuLive is menuPage plus the menu WeChat shows now.
func (h *Handler) menuLive(c *gin.Context) { h.menuView(c, true) }

func (h *Handler) menuView(c *gin.Context, live bool) {
	ctx := c.Request.Context()
	draft, err := h.Store.MenuDraft(ctx)
	if err != nil {
		web.Error(c, err)
		return
	}
	status, d := http.StatusOK, menuData{}
	if live {
		m, err := roles.LiveMenu(ctx, h.WX)
		if status, d.Error = formFailure(err); status == http.StatusInternalServerError {
			web.Error(c, err)
			return
		}
		d.Live = &m
	}
	h.menuEditor(c, status, draft, d)
}

// menuSave stores the draft (audited); a menu WeChat would refuse is shown
// again as typed, with the button and the limit it breaks.
func (h *Handler) menuSave(c *gin.Context) {
	m := parseMenuForm(c.Request.PostForm, h.fanPageChoices())
	if err := h.Store.SaveMenuDraft(c.Request.Context(), m); err != nil {
		h.menuFailed(c, m, err)
		return
	}
	web.Audit(c, h.Store, "menu.save", "", strconv.Itoa(len(m.Buttons))+" buttons")
	redirect(c, Base+"/menu", "menu.flash.saved")
}

// menuPublish saves the form as the draft and sends it to WeChat
// (audited). It is recorded as published only once WeChat accepted it.
func (h *Handler) menuPublish(c *gin.Context) {
	ctx := c.Request.Context()
	m := parseMenuForm(c.Request.PostForm, h.fanPageChoices())
	err := h.Store.SaveMenuDraft(ctx, m)
	if err == nil {
		err = roles.PublishMenu(ctx, h.Store, h.WX, m)
	}
	if err != nil {
		h.menuFailed(c, m, err)
		return
	}
	web.Audit(c, h.Store, "menu.publish", "", strconv.Itoa(len(m.Buttons))+" buttons")
	redirect(c, Base+"/menu", "menu.flash.published")
}

// menuFailed shows the editor again with what was typed and why it failed.
func (h *Handler) menuFailed(c *gin.Context, m models.Menu, err error) {
	status, msg := formFailure(err)
	if status == http.StatusInternalServerError {
		web.Error(c, err)
		return
	}
	h.menuEditor(c, status, m, menuData{Error: msg})
}

// menuEditor renders the editor for m; d carries the rest.
func (h *Handler) menuEditor(c *gin.Context, status int, m models.Menu, d menuData) {
	pub, at, err := h.Store.PublishedMenu(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	d.Slots, d.Preview, d.CanEdit, d.PublishedAt = menuSlotsFrom(m, h.fanPageChoices()), m, canEditRules(c), at
	a, _ := json.Marshal(pub)
	b, _ := json.Marshal(m)
	d.Unpublished = len(m.Buttons) > 0 && string(a) != string(b)
	h.render(c, status, "menu", h.rulesPage(c, "menu", "menu.title", d))
}

// formFailure is the status and message a form shows for err: known
// errors and WeChat's refusals (502 naming the errcode) as web.Describe
// says, "" for none. A 500 is left to web.Error to log.
func formFailure(err error) (int, string) {
	if err == nil {
		return http.StatusOK, ""
	}
	status, _, msg := web.Describe(err)
	return status, msg
}
