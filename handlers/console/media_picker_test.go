package console_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/console"
	"github.com/fivec/fivec/media/mediatest"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
)

// pickerApp is the router with rules and the media library.
func pickerApp(t *testing.T, s *models.Store) (*app, *roles.Library) {
	files := mediatest.Open(t, mediatest.FileURL(t))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	lib := &roles.Library{Store: s, Files: files, WX: wxClient(), Log: log, Now: time.Now}
	a := newApp(t, s, false, func(a *app, h *console.Handler) {
		h.Consulting = &roles.Consulting{Store: s, Log: log, Loc: time.UTC, Now: a.clock, WelcomeText: "默认欢迎", Actions: roles.TagActions(s)}
		h.Library, h.WX, h.Loc = lib, wxClient(), time.UTC
	})
	return a, lib
}

// TestRuleImageReplyPicker: the reply editor offers the library's images
// with a preview of the chosen one; a typed media_id the library does not
// hold as an image is refused in Chinese, the form kept as typed.
func TestRuleImageReplyPicker(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a, lib := pickerApp(t, s)
		a.staff("mk", models.RoleMarketer)
		mk := a.browser().login("mk")
		img, err := lib.Upload(t.Context(), roles.Upload{Kind: "image", FileName: "菜单.png", Data: conPNG})
		if err != nil {
			t.Fatal(err)
		}
		page := mk.get("/console/rules/new")
		expect(t, page, 200, "从素材库选择图片", `data-media-id="`+img.MediaID+`"`, `data-name="菜单.png"`)

		form := ruleForm("菜单图", "菜单", "")
		form.Set("reply.0.kind", "image")
		form.Set("reply.0.media_id", "typed-but-unknown")
		r := mk.submit("/console/rules/new", "/console/rules/new", form)
		expect(t, r, http.StatusBadRequest, "素材库中没有 media_id 为「typed-but-unknown」的图片", `value="typed-but-unknown"`)
		if n := len(rules(t, s)); n != 0 {
			t.Fatalf("a rule was saved: %d", n)
		}
		form.Set("reply.0.media_id", img.MediaID)
		r = mk.submit("/console/rules/new", "/console/rules/new", form)
		if r.Code != http.StatusSeeOther {
			t.Fatalf("save with a library image: %d %s", r.Code, r.body())
		}
		saved := rules(t, s)
		if len(saved) != 1 {
			t.Fatalf("rules: %d", len(saved))
		}
		edit := mk.get(r.Header().Get("Location"))
		// The preview card shows the chosen image.
		if !strings.Contains(edit.body(), `<div class="pick-preview" aria-live="polite"><img src="/console/media/`) || !strings.Contains(edit.body(), `<span class="pick-name">菜单.png</span>`) {
			t.Errorf("no preview of the chosen image:\n%s", edit.body())
		}
	})
}
