package console

import (
	"context"
	"strings"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/wechat"
)

// This file turns the codes the message log and the audit log store
// (events, menu keys, WeChat errcodes, action names) into words in the
// reader's language, so no console page shows "[click] CONTACT_AGENT" or
// "wechat errcode 45015: …".

// menuNames maps the menu's click keys to their button names: the published
// menu first, else the draft (empty when neither loads).
func (h *Handler) menuNames(ctx context.Context) map[string]string {
	out := map[string]string{}
	var add func([]models.MenuButton)
	add = func(bs []models.MenuButton) {
		for _, b := range bs {
			if b.Key != "" {
				out[b.Key] = b.Name
			}
			add(b.SubButtons)
		}
	}
	if m, err := h.Store.MenuDraft(ctx); err == nil {
		add(m.Buttons)
	}
	if m, _, err := h.Store.PublishedMenu(ctx); err == nil {
		add(m.Buttons)
	}
	return out
}

// eventText says what a fan did, for an event row (event is stored
// lower-case). menu names click keys.
func (h *Handler) eventText(lang, event, key string, menu map[string]string) string {
	t := func(k string, args ...any) string { return h.Pages.T(lang, k, args...) }
	event = strings.ToLower(event) // the callback stores it lower-case; older rows may not be
	switch event {
	case "subscribe":
		if scene, ok := strings.CutPrefix(key, "qrscene_"); ok && scene != "" {
			return t("event.subscribe_scene", scene)
		}
		return t("event.subscribe")
	case "unsubscribe":
		return t("event.unsubscribe")
	case "scan":
		return t("event.scan", key)
	case "click", "scancode_push", "scancode_waitmsg":
		name := menu[key]
		if name == "" {
			name = key
		}
		return t("event."+event, name)
	case "view", "view_miniprogram":
		return t("event.view", key)
	case "location", "location_select":
		return t("event.location")
	case "templatesendjobfinish":
		return t("event.template_result", key)
	case "masssendjobfinish":
		return t("event.mass_result")
	case "kf_create_session", "kf_close_session", "kf_switch_session":
		return t("event." + event)
	}
	return t("event.other", event)
}

// messageEventText is a logged event in words. A template message's
// TEMPLATESENDJOBFINISH carries no EventKey: its status is the start of
// the stored content ("<status> msgid=…"), said in words.
func (h *Handler) messageEventText(lang string, m models.Message, menu map[string]string) string {
	if strings.ToLower(m.Event) != "templatesendjobfinish" {
		return h.eventText(lang, m.Event, m.EventKey, menu)
	}
	status, _, _ := strings.Cut(m.Content, " msgid=")
	words := h.Pages.T(lang, "event.template_delivered")
	if wechat.TemplateStatusFailed(status) {
		words, _ = wechat.DescribeTemplateStatus(lang, status)
	}
	return h.Pages.T(lang, "event.template_result", words)
}

// sendError is why a send failed, in words: the errcode's meaning and what
// to do next when WeChat gave one, else the stored reason translated when
// it is one fivec writes itself.
func (h *Handler) sendError(lang string, errcode int, stored string) (what, next string) {
	if errcode != 0 {
		return wechat.DescribeCode(lang, errcode)
	}
	if stored == "" {
		return "", ""
	}
	if status, ok := models.TemplateFailureStatus(stored); ok {
		// Accepted by WeChat, then not delivered (TEMPLATESENDJOBFINISH).
		return wechat.DescribeTemplateStatus(lang, status)
	}
	if k, ok := storedErrors[stored]; ok {
		return h.Pages.T(lang, k), ""
	}
	return stored, ""
}

// storedErrors are the reasons fivec itself stores on failed sends
// (wechat.Describe) and their catalogue keys.
var storedErrors = map[string]string{
	"could not reach WeChat":     "senderr.unreachable",
	"WeChat refused the message": "senderr.refused",
}

// kindText is a one-word summary of a non-text message ("[图片]").
func (h *Handler) kindText(lang, kind string) string {
	k := "kind." + kind
	if s := h.Pages.T(lang, k); s != k {
		return "[" + s + "]"
	}
	return "[" + kind + "]"
}
