package console_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// seedSegmentMembers makes 6 members: 3 through "poster" (one tagged vip
// with 200 points), 3 through "shop" (two of them new customers).
func seedSegmentMembers(t *testing.T, s *models.Store) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		m := follow(t, s, fmt.Sprintf("oSeg%d", i), []string{"poster", "shop"}[i/3])
		switch i {
		case 0:
			s.TagMember(ctx, m.ID, "vip")
			s.Earn(ctx, m.ID, 200, models.SourceRule, "seed", "seg0", nil)
		case 4, 5:
			s.SetStage(ctx, m.ID, models.StageNew, "seed", 1)
		}
	}
}

func TestSegmentsEditor(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		a.staff("mia", models.RoleMarketer)
		a.staff("alex", models.RoleAgent)
		seedSegmentMembers(t, s)
		b := a.browser().login("mia")
		expect(t, b.get("/console/segments"), 200, "还没有分群", `id="new-segment"`)
		expect(t, b.get("/console/segments/new"), 200, `id="segment-form"`, `hx-post="/console/segments/count"`,
			`<span class="big" id="segment-total">6</span>`, "oSeg0")

		// The live count answers the form as it is, without saving.
		tok := b.csrf("/console/segments/new")
		hx := map[string]string{"HX-Request": "true", "X-CSRF-Token": tok}
		count := func(form url.Values) resp { return b.do("POST", "/console/segments/count", form, hx) }
		for _, tt := range []struct {
			form   url.Values
			status int
			want   string
		}{
			{url.Values{"channels": {"shop"}}, 200, `id="segment-total">3<`},
			{url.Values{"channels": {"shop，poster"}, "stages": {"new"}}, 200, `id="segment-total">2<`},
			{url.Values{"tags_any": {"vip"}, "min_points": {"100"}}, 200, `id="segment-total">1<`},
			{url.Values{"tags_none": {"vip"}, "subscribed": {"yes"}}, 200, `id="segment-total">5<`},
			{url.Values{"has_phone": {"yes"}}, 200, `id="segment-total">0<`},
			{url.Values{"min_points": {"abc"}}, 400, "minimum points must be a whole number"},
			{url.Values{"min_points": {"5"}, "max_points": {"1"}}, 400, "above maximum"},
			{url.Values{"subscribed_from": {"2025-13-01"}}, 400, "2026-01-31"},
			{url.Values{"stages": {"vip"}}, 400, "unknown stage"},
			{url.Values{"inactive_for_days": {"-3"}}, 400, "negative"},
		} {
			r := count(tt.form)
			expect(t, r, tt.status, tt.want)
			if strings.Contains(r.body(), "<html") {
				t.Fatal("the count answered a whole page")
			}
		}
		if list, _ := s.ListSegments(ctx); len(list) != 0 {
			t.Fatal("counting saved a segment")
		}

		// Saving: refused forms keep what was typed.
		r := b.submit("/console/segments/new", "/console/segments/new", url.Values{"name": {""}, "channels": {"shop"}, "stages": {"new"}})
		expect(t, r, 400, "segment name", `value="shop"`, `value="new" checked`)
		r = b.submit("/console/segments/new", "/console/segments/new", url.Values{"name": {"门店新客"}, "channels": {"shop"},
			"stages": {"new"}, "min_points": {"x"}})
		expect(t, r, 400, "whole number", `value="门店新客"`, `value="x"`)
		r = b.submit("/console/segments/new", "/console/segments/new", url.Values{"name": {"门店新客"}, "channels": {"shop"},
			"stages": {"new"}, "active_within_days": {"30"}})
		expect(t, r, 303)
		page := r.Header().Get("Location")
		if !strings.HasPrefix(page, "/console/segments/") {
			t.Fatalf("Location %q", page)
		}
		expect(t, b.get(page), 200, "分群已保存", `value="门店新客"`, `value="new" checked`, `value="30"`, `id="segment-total">2<`)
		expect(t, b.get("/console/segments"), 200, "门店新客", `<td class="num" data-label="人数">2</td>`)
		path := strings.Split(page, "?")[0]
		expect(t, b.submit(path, path, url.Values{"name": {"门店新客"}, "channels": {"shop"}}), 303)
		expect(t, b.get(path), 200, `id="segment-total">3<`)
		expect(t, b.submit("/console/segments/new", "/console/segments/new", url.Values{"name": {"门店新客"}}), 409, "已经存在同名的记录")

		// Agents try filters but do not save.
		ag := a.browser().login("alex")
		expect(t, ag.get(path), 200, "只能查看")
		if strings.Contains(ag.get(path).body(), `id="segment-save"`) {
			t.Fatal("agent sees the save button")
		}
		agTok := ag.csrf(path)
		expect(t, ag.do("POST", "/console/segments/count", url.Values{"channels": {"poster"}},
			map[string]string{"HX-Request": "true", "X-CSRF-Token": agTok}), 200, `id="segment-total">3<`)
		expect(t, ag.submit(path, path, url.Values{"name": {"x"}}), 403)
		expect(t, ag.submit(path, path+"/delete", nil), 403)

		expect(t, b.submit(path, path+"/delete", nil), 303)
		expect(t, b.get(path), 404)
		expect(t, b.submit("/console/segments", "/console/segments/999/delete", nil), 404)
		expect(t, b.get("/console/segments/abc"), 404)

		entries, _, _ := s.ListAudit(ctx, 20, 0)
		var got []string
		for i := len(entries) - 1; i >= 0; i-- {
			if strings.HasPrefix(entries[i].Action, "segment.") {
				got = append(got, entries[i].Action+" "+entries[i].Target)
			}
		}
		if strings.Join(got, "|") != "segment.create 门店新客|segment.update 门店新客|segment.delete 门店新客" {
			t.Fatalf("audited %v", got)
		}
	})
}
