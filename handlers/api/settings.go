package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fivec/fivec/handlers/web"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/settings"
)

// SettingOut is one setting in force.
type SettingOut struct {
	Key   string `json:"key"`
	Group string `json:"group"`
	Value string `json:"value"`
	// Default is the environment's (or built-in) value; Env names the
	// variable ("" for a built-in default).
	Default string `json:"default"`
	Env     string `json:"env,omitempty"`
	// Saved: the console's value is in force (it wins over Default).
	Saved bool `json:"saved"`
}

// SaveSettingsRequest sets values and returns others to their defaults,
// all or nothing.
type SaveSettingsRequest struct {
	Values map[string]string `json:"values"`
	Reset  []string          `json:"reset"`
}

// PreviewSettingRequest is a text to render with the sample fan.
type PreviewSettingRequest struct {
	Key  string `json:"key"`
	Text string `json:"text"`
}

// SettingsErrorBody is a refused save: every refused setting with why.
type SettingsErrorBody struct {
	Error  web.ErrorDetail       `json:"error"`
	Fields []settings.FieldError `json:"fields"`
}

func (h *Handler) registerSettings(admin *gin.RouterGroup) {
	if h.Live == nil {
		return
	}
	admin.GET("/settings", h.settingsList)
	admin.PUT("/settings", h.settingsSave)
	admin.POST("/settings/preview", h.settingsPreview)
}

// settingsList returns every setting in force (admin only).
func (h *Handler) settingsList(c *gin.Context) {
	cur := h.Live.Current()
	out := make([]SettingOut, 0, len(settings.Catalog))
	for _, d := range settings.Catalog {
		out = append(out, SettingOut{Key: d.Key, Group: d.Group, Value: cur.Text(d.Key), Default: h.Live.Defaults[d.Key],
			Env: d.Env, Saved: cur.Saved(d.Key)})
	}
	// A welcome text per channel (empty: the general one).
	chans, err := h.Store.ListChannels(c.Request.Context())
	if err != nil {
		web.Error(c, err)
		return
	}
	for i := len(chans) - 1; i >= 0; i-- {
		key := settings.ChannelWelcome(chans[i].ID)
		out = append(out, SettingOut{Key: key, Group: "channels", Value: cur.Text(key), Saved: cur.Saved(key)})
	}
	c.JSON(http.StatusOK, gin.H{"items": out, "reload_seconds": settings.ReloadEvery.Seconds()})
}

// settingsSave saves values and resets in one transaction (admin only,
// audited per setting with before and after).
func (h *Handler) settingsSave(c *gin.Context) {
	var req SaveSettingsRequest
	if !bindJSON(c, &req) {
		return
	}
	actor := models.AuditEntry{IP: c.ClientIP()}
	if st := web.CurrentStaff(c); st != nil {
		actor.StaffID, actor.Username = st.ID, st.Username
	}
	if !h.settingsOK(c, h.Live.Save(c.Request.Context(), req.Values, req.Reset, actor)) {
		return
	}
	h.settingsList(c)
}

// settingsPreview renders a text with the sample fan.
func (h *Handler) settingsPreview(c *gin.Context) {
	var req PreviewSettingRequest
	if !bindJSON(c, &req) {
		return
	}
	text, err := settings.Preview(req.Key, req.Text)
	if !h.settingsOK(c, err) {
		return
	}
	c.JSON(http.StatusOK, gin.H{"key": req.Key, "preview": text, "sample": settings.Sample})
}

// settingsOK answers a refused setting with 400 and the fields, another
// error as usual; it reports whether err was nil.
func (h *Handler) settingsOK(c *gin.Context, err error) bool {
	var errs settings.Errors
	switch {
	case errors.As(err, &errs):
		c.JSON(http.StatusBadRequest, SettingsErrorBody{Error: web.ErrorDetail{Code: models.EINVALID, Message: errs.Error()}, Fields: errs})
		return false
	case err != nil:
		web.Error(c, err)
		return false
	}
	return true
}
