package console_test

import (
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestTopicsEntriesAndExport(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		a.staff("mia", models.RoleMarketer)
		a.staff("alex", models.RoleAgent)
		b := a.browser().login("mia")
		expect(t, b.get("/console/topics"), 200, "还没有话题", `id="topic-form"`, `type="datetime-local"`)

		loc, _ := time.LoadLocation("Asia/Shanghai")
		start := time.Now().In(loc).Add(-time.Hour).Format("2006-01-02T15:04")
		end := time.Now().In(loc).Add(48 * time.Hour).Format("2006-01-02T15:04")
		create := func(form url.Values) resp { return b.submit("/console/topics", "/console/topics", form) }
		expect(t, create(url.Values{"keyword": {"美食"}, "title": {"最爱的餐厅"}, "starts_at": {"tomorrow"}, "ends_at": {end}, "points": {"20"}}),
			400, "start must be a date", `value="美食"`, `value="最爱的餐厅"`)
		expect(t, create(url.Values{"keyword": {"美食"}, "title": {"最爱的餐厅"}, "starts_at": {end}, "ends_at": {start}, "points": {"20"}}),
			400, "end after it starts")
		expect(t, create(url.Values{"keyword": {"美食"}, "title": {"最爱的餐厅"}, "starts_at": {start}, "ends_at": {end}, "points": {"-1"}}),
			400, "must not be negative")
		r := create(url.Values{"keyword": {"美食"}, "title": {"最爱的餐厅"}, "prompt": {"请回复：美食 餐厅名"}, "starts_at": {start}, "ends_at": {end}, "points": {"20"}})
		expect(t, r, 303)
		page := strings.Split(r.Header().Get("Location"), "?")[0]
		expect(t, b.get(r.Header().Get("Location")), 200, "话题已保存", "进行中", "请回复：美食 餐厅名", "还没有人参与", `value="`+start+`"`)
		expect(t, b.get("/console/topics"), 200, "最爱的餐厅", "进行中")

		topics, _ := s.ListTopics(ctx)
		topic := &topics[0]
		if topic.Points != 20 || topic.StartsAt.In(loc).Format("2006-01-02T15:04") != start {
			t.Fatalf("topic %+v", topic)
		}
		fan1, fan2 := follow(t, s, "oFood1", ""), follow(t, s, "oFood2", "")
		e1, _, _ := s.AddTopicEntry(ctx, topic, fan1, "美食 楼下的面馆，汤很鲜")
		e2, _, _ := s.AddTopicEntry(ctx, topic, fan2, "=HYPERLINK(\"http://evil\")")
		expect(t, b.get(page), 200, "参与内容（2 条）", "楼下的面馆", "设为精选")

		mark := func(e *models.TopicEntry, featured, hidden string) resp {
			return b.submit(page, page+"/entries/"+itoa(e.ID), url.Values{"featured": {featured}, "hidden": {hidden}})
		}
		expect(t, mark(e1, "1", "0"), 303)
		expect(t, mark(e2, "0", "1"), 303)
		r = b.get(page + "?ok=crm.flash.entry")
		expect(t, r, 200, "已更新", "取消精选", "取消隐藏", `class="hidden-entry"`)
		if visible, _ := s.TopicEntries(ctx, topic.ID, false); len(visible) != 1 || !visible[0].Featured {
			t.Fatalf("visible entries %+v", visible)
		}

		// CSV for Excel: a BOM, the Chinese text as is, formulas defused.
		r = b.get(page + "/export")
		expect(t, r, 200)
		if ct := r.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Fatalf("Content-Type %q", ct)
		}
		if cd := r.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=\"topic-") {
			t.Fatalf("Content-Disposition %q", cd)
		}
		body := r.body()
		if !strings.HasPrefix(body, "\xEF\xBB\xBF") {
			t.Fatalf("no BOM: %q", body[:10])
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\xEF\xBB\xBF"))).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("csv %v %v", rows, err)
		}
		if rows[0][3] != "text" || rows[1][2] != "oFood1" || rows[1][3] != "美食 楼下的面馆，汤很鲜" || rows[1][4] != "true" ||
			rows[2][3] != `'=HYPERLINK("http://evil")` || rows[2][5] != "true" {
			t.Fatalf("csv rows %q", rows)
		}

		// Another topic's entry is not this topic's.
		other, _ := s.SaveTopic(ctx, models.Topic{Keyword: "旅行", Title: "旅行", StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour)})
		expect(t, b.submit(page, "/console/topics/"+itoa(other.ID)+"/entries/"+itoa(e1.ID), url.Values{"featured": {"1"}}), 404)
		expect(t, b.get("/console/topics/999"), 404)

		// Editing keeps what was typed on errors.
		expect(t, b.submit(page, page, url.Values{"keyword": {""}, "title": {"新标题"}, "starts_at": {start}, "ends_at": {end}}), 400,
			"needs a keyword", `value="新标题"`)
		expect(t, b.submit(page, page, url.Values{"keyword": {"美食"}, "title": {"最爱的餐厅（加长）"}, "starts_at": {start}, "ends_at": {end}, "points": {"30"}}), 303)
		if got, _ := s.FindTopic(ctx, topic.ID); got.Title != "最爱的餐厅（加长）" || got.Points != 30 || got.CreatedAt.IsZero() {
			t.Fatalf("updated topic %+v", got)
		}

		ag := a.browser().login("alex")
		r = ag.get(page)
		expect(t, r, 200, "楼下的面馆")
		if strings.Contains(r.body(), "设为精选") || strings.Contains(r.body(), `id="topic-form"`) {
			t.Fatal("agent sees edit controls")
		}
		expect(t, ag.get(page+"/export"), 200)
		expect(t, ag.submit(page, page+"/entries/"+itoa(e1.ID), url.Values{"featured": {"0"}}), 403)
		expect(t, ag.submit("/console/topics", "/console/topics", url.Values{"keyword": {"x"}}), 403)
	})
}
