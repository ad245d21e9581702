package console_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
)

func TestJourneyEditorAndFlow(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		a.staff("mia", models.RoleMarketer)
		a.staff("alex", models.RoleAgent)
		b := a.browser().login("mia")
		expect(t, b.get("/console/journeys"), 200, "还没有关怀旅程", `id="new-journey"`, `id="nav-journeys"`)
		expect(t, b.get("/console/journeys/new"), 200, `id="journey-form"`, `name="step.1.after" value="3d"`)

		form := url.Values{"name": {"新人关怀"}, "trigger": {"followed"}, "trigger_value": {"poster"}, "goal": {"tagged"},
			"goal_value": {"已激活"}, "re_entry": {"once"},
			"step.0.after": {"0"}, "step.0.text": {"欢迎！这里是使用小贴士"},
			"step.1.after": {"3d"}, "step.1.text": {"三天了，试试会员卡"}, "step.1.tags_none": {"vip"},
			"step.1.template_id": {"TPL1"}, "step.1.template_data": {"thing1=会员卡\nthing2=试试看"},
			"step.2.after": {""}, "step.2.text": {""}}
		// Bad input comes back as typed, with the reason, and saves nothing.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("step.0.after", "4d") // after step 2
		expect(t, b.submit("/console/journeys/new", "/console/journeys/new", bad), 400, "steps must be in time order", `value="新人关怀"`, "三天了，试试会员卡")
		bad.Set("step.0.after", "soon")
		expect(t, b.submit("/console/journeys/new", "/console/journeys/new", bad), 400, "must look like 0, 3d")
		bad = url.Values{"name": {"x"}, "trigger": {"inactive"}, "trigger_value": {"many"}, "step.0.text": {"hi"}}
		expect(t, b.submit("/console/journeys/new", "/console/journeys/new", bad), 400, "number of days")
		if list, _ := s.ListJourneys(ctx, false); len(list) != 0 {
			t.Fatalf("a refused journey was saved: %+v", list)
		}
		// "Add a step" shows one more row and keeps what was typed.
		add := url.Values{"add_step": {"1"}}
		for k, v := range form {
			add[k] = v
		}
		expect(t, b.submit("/console/journeys/new", "/console/journeys/new", add), 200, `name="step.3.text"`, "欢迎！这里是使用小贴士")

		r := b.submit("/console/journeys/new", "/console/journeys/new", form)
		if r.Code != 303 {
			t.Fatalf("save: %d %s", r.Code, r.body())
		}
		list, _ := s.ListJourneys(ctx, false)
		if len(list) != 1 || len(list[0].Steps) != 2 || list[0].Steps[1].AfterMinutes != 3*24*60 ||
			list[0].Steps[1].TemplateFields()["thing2"] != "试试看" || list[0].Steps[1].Filter().TagsNone[0] != "vip" {
			t.Fatalf("saved: %+v", list)
		}
		j := &list[0]
		// Members enter and the first step goes out: the flow counts them.
		for _, id := range []string{"oJ1", "oJ2"} {
			m := follow(t, s, id, "poster")
			if _, err := s.Enrol(ctx, j, m.ID, "test", s.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := roles.AdvanceJourney(ctx, s, j, 10); err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/console/journeys/%d", j.ID)
		expect(t, b.get(r.Header().Get("Location")), 200, `id="flow"`, `<span class="big" id="flow-entered">2</span>`, "欢迎！这里是使用小贴士",
			"第 2 步", "进入后 3d", "排除有这些标签", "oJ1", "等待第 2 步", "下一步时间", "旅程已保存")
		expect(t, b.get("/console/journeys"), 200, "新人关怀", "关注（可限渠道）", "<code>poster</code>")
		// The editor shows the stored journey.
		expect(t, b.get(path+"/edit"), 200, `value="新人关怀"`, `thing1=会员卡`, `name="step.1.tags_none" value="vip"`)

		// Agents look but do not change.
		ag := a.browser().login("alex")
		expect(t, ag.get(path), 200, "新人关怀")
		expect(t, b.get("/console/members/oJ1"), 200, `id="member-journeys"`, "新人关怀", "等待第 2 步")
		if r := ag.submit(path, path, form); r.Code != 403 {
			t.Fatalf("agent saved a journey: %d", r.Code)
		}
		if r := ag.submit(path, path+"/delete", nil); r.Code != 403 {
			t.Fatalf("agent deleted a journey: %d", r.Code)
		}
		expect(t, b.get("/console/journeys/999"), 404)

		// Delete.
		if r := b.submit(path+"/edit", path+"/delete", nil); r.Code != 303 {
			t.Fatalf("delete: %d %s", r.Code, r.body())
		}
		expect(t, b.get(path), 404)
	})
}

func TestKeywordInterestsPage(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		a := newApp(t, s, false)
		a.staff("mia", models.RoleMarketer)
		a.staff("alex", models.RoleAgent)
		b := a.browser().login("mia")
		page := "/console/journeys/interests"
		expect(t, b.get(page), 200, "还没有关键词兴趣", `id="interest-form"`)
		expect(t, b.submit(page, page, url.Values{"name": {"汽车"}, "keywords": {" , "}}), 400, "1-100 keywords", `value="汽车"`)
		r := b.submit(page, page, url.Values{"name": {"汽车"}, "keywords": {"4S店，保养, 洗车"}})
		if r.Code != 303 {
			t.Fatalf("create: %d %s", r.Code, r.body())
		}
		list, _ := s.ListInterests(context.Background())
		if len(list) != 1 || len(list[0].Words()) != 3 || list[0].Tag != "汽车" {
			t.Fatalf("interests: %+v", list)
		}
		expect(t, b.get(r.Header().Get("Location")), 200, `value="4S店, 保养, 洗车"`, "关键词兴趣已更新")
		if r := a.browser().login("alex").submit(page, page, url.Values{"name": {"x"}, "keywords": {"y"}}); r.Code != 403 {
			t.Fatalf("agent created an interest: %d", r.Code)
		}
	})
}
