package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestTopicsAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		e := newEnv(t, s)
		mia, alex := e.token("mia", "marketer"), e.token("alex", "agent")
		start, end := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		good := fmt.Sprintf(`{"keyword":"美食","title":"最爱的餐厅","starts_at":%q,"ends_at":%q,"points":20}`, start, end)
		e.run(t, []check{
			{name: "agent may not create", token: alex, method: "POST", path: "/api/v1/topics", body: good, status: 403, code: "forbidden"},
			{name: "ends first", token: mia, method: "POST", path: "/api/v1/topics", body: fmt.Sprintf(`{"keyword":"x","title":"x","starts_at":%q,"ends_at":%q}`, end, start), status: 400, code: "invalid"},
			{name: "bad time", token: mia, method: "POST", path: "/api/v1/topics", body: `{"keyword":"x","title":"x","starts_at":"today"}`, status: 400, code: "invalid"},
			{name: "create", token: mia, method: "POST", path: "/api/v1/topics", body: good, status: 201, contains: `"keyword":"美食"`},
			{name: "missing", token: alex, method: "GET", path: "/api/v1/topics/999", status: 404, code: "not_found"},
		})
		var list api.List[api.Topic]
		e.call(alex, "GET", "/api/v1/topics", "").decode(t, &list)
		topic, _ := s.FindTopic(ctx, list.Items[0].ID)
		m := follow(t, s, "oFood", "")
		entry, _, _ := s.AddTopicEntry(ctx, topic, m, "美食 面馆")
		base := fmt.Sprintf("/api/v1/topics/%d", topic.ID)
		e.run(t, []check{
			{name: "entries", token: alex, method: "GET", path: base + "/entries", status: 200, contains: `"text":"美食 面馆"`},
			{name: "agent may not mark", token: alex, method: "PUT", path: fmt.Sprintf("%s/entries/%d", base, entry.ID), body: `{"hidden":true}`, status: 403, code: "forbidden"},
			{name: "hide", token: mia, method: "PUT", path: fmt.Sprintf("%s/entries/%d", base, entry.ID), body: `{"hidden":true}`, status: 200, contains: `"hidden":true`},
			{name: "hidden left out", token: alex, method: "GET", path: base + "/entries", status: 200, contains: `{"items":[]}`},
			{name: "all", token: alex, method: "GET", path: base + "/entries?all=true", status: 200, contains: `"hidden":true`},
			{name: "unknown entry", token: mia, method: "PUT", path: base + "/entries/999", body: `{"hidden":true}`, status: 404, code: "not_found"},
			{name: "update", token: mia, method: "PUT", path: base, body: strings.Replace(good, "最爱的餐厅", "餐厅", 1), status: 200, contains: `"title":"餐厅"`},
		})
		r := e.call(alex, "GET", base+"/export", "")
		if r.status != 200 || !strings.HasPrefix(r.body, "\xEF\xBB\xBFid,time,openid,text,featured,hidden\n") || !strings.Contains(r.body, "美食 面馆") {
			t.Fatalf("export: %d %q", r.status, r.body)
		}
	})
}
