package console

import (
	"errors"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/settings"
)

// settingRow is one setting on the page.
type settingRow struct {
	Key, Env string
	// Title and Scene name a channel (a channel's welcome text).
	Title, Scene string
	Kind         string // text, int, duration, quiet, list, word
	Value        string // in the field: the posted value after a refused save
	Default      string
	Saved        bool // the console's value is in force
	Required     bool
	Vars         []string // a text's variables, e.g. Name
	Preview      string   // a text rendered for the sample fan
	Error        string
}

type settingGroup struct {
	Name string
	Rows []settingRow
}

type settingsData struct {
	Groups []settingGroup
	// Delay is how many seconds other processes take to follow a change.
	Delay int
	// Previewed: the page shows posted values that were not saved.
	Previewed bool
	Sample    settings.TextData
	// Zone is the account's time zone (business hours).
	Zone string
}

var kindNames = map[settings.Kind]string{settings.Text: "text", settings.Int: "int", settings.Duration: "duration",
	settings.Quiet: "quiet", settings.List: "list", settings.Word: "word",
	settings.Ranges: "ranges", settings.Dates: "dates"}

// settingsPage shows every setting: posted (nil: those in force), with
// errs next to the refused ones.
func (h *Handler) settingsPage(c *gin.Context, status int, posted settings.Values, errs settings.Errors, previewed bool) {
	chans, err := h.Store.ListChannels(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	cur := h.Live.Current()
	data := settingsData{Delay: int(settings.ReloadEvery.Seconds()), Previewed: previewed, Sample: settings.Sample, Zone: h.Loc.String()}
	for _, g := range settings.Groups {
		group := settingGroup{Name: g}
		defs := settings.Catalog
		titles := map[string][2]string{}
		if g == "channels" {
			defs = nil
			for i := len(chans) - 1; i >= 0; i-- { // oldest first
				d, _ := settings.Find(settings.ChannelWelcome(chans[i].ID))
				defs = append(defs, d)
				titles[d.Key] = [2]string{chans[i].Name, chans[i].Scene}
			}
		}
		for _, d := range defs {
			if d.Group != g {
				continue
			}
			r := settingRow{Title: titles[d.Key][0], Scene: titles[d.Key][1], Key: d.Key, Env: d.Env, Kind: kindNames[d.Kind], Value: cur.Text(d.Key), Default: h.Live.Defaults[d.Key],
				Saved: cur.Saved(d.Key), Required: d.Required, Error: errs.For(d.Key)}
			if v, ok := posted[d.Key]; ok {
				r.Value = v
			}
			for name := range d.Vars {
				r.Vars = append(r.Vars, name)
			}
			sort.Strings(r.Vars)
			if d.Kind == settings.Text && r.Error == "" {
				r.Preview, _ = settings.Preview(d.Key, r.Value)
			}
			group.Rows = append(group.Rows, r)
		}
		data.Groups = append(data.Groups, group)
	}
	p := h.page(c, "settings", "settings.title", data)
	if len(errs) > 0 {
		p.Error = h.Pages.T(p.Lang, "settings.refused") + " " + errs.Error()
	}
	h.render(c, status, "settings", p)
}

func (h *Handler) settingsView(c *gin.Context) {
	h.settingsPage(c, http.StatusOK, nil, nil, false)
}

// settingsSave checks every posted setting and saves them all, or none
// (action=preview only shows the previews of the posted texts).
func (h *Handler) settingsSave(c *gin.Context) {
	posted := settings.Values{}
	for _, d := range settings.Catalog {
		if v, ok := c.GetPostForm(d.Key); ok {
			posted[d.Key] = v
		}
	}
	_ = c.Request.ParseForm()
	for k, v := range c.Request.PostForm {
		if _, ok := settings.ChannelOf(k); ok && len(v) > 0 {
			posted[k] = v[0]
		}
	}
	if c.PostForm("action") == "preview" {
		_, err := settings.Validate(h.Live.Changed(posted))
		var errs settings.Errors
		errors.As(err, &errs)
		h.settingsPage(c, http.StatusOK, posted, errs, true)
		return
	}
	err := h.Live.Save(c.Request.Context(), posted, nil, h.actor(c))
	var errs settings.Errors
	switch {
	case errors.As(err, &errs):
		h.settingsPage(c, http.StatusBadRequest, posted, errs, false)
	case err != nil:
		web.Error(c, err)
	default:
		redirect(c, Base+"/settings", "settings.saved")
	}
}

// settingsReset returns one setting to its environment default.
func (h *Handler) settingsReset(c *gin.Context) {
	key := c.Param("key")
	if _, ok := settings.Find(key); !ok {
		web.Errorf(c, models.ENOTFOUND, "no such setting")
		return
	}
	if err := h.Live.Save(c.Request.Context(), nil, []string{key}, h.actor(c)); err != nil {
		web.Error(c, err)
		return
	}
	redirect(c, Base+"/settings", "settings.reset_done")
}

// actor is the current staff member, for the audit log.
func (h *Handler) actor(c *gin.Context) models.AuditEntry {
	e := models.AuditEntry{IP: c.ClientIP()}
	if st := web.CurrentStaff(c); st != nil {
		e.StaffID, e.Username = st.ID, st.Username
	}
	return e
}
