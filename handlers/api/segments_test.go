package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/fivec/fivec/handlers/api"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestSegmentsAPI(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		e := newEnv(t, s)
		mia, alex := e.token("mia", "marketer"), e.token("alex", "agent")
		for i := 0; i < 5; i++ {
			m := follow(t, s, fmt.Sprintf("oSeg%d", i), []string{"poster", "shop"}[i%2])
			if i < 2 {
				s.TagMember(ctx, m.ID, "vip")
			}
		}
		e.run(t, []check{
			{name: "count", token: alex, method: "POST", path: "/api/v1/segments/count", body: `{"filter":{"channels":["poster"]}}`, status: 200, contains: `{"count":3}`},
			{name: "count all", token: alex, method: "POST", path: "/api/v1/segments/count", body: `{"filter":{}}`, status: 200, contains: `{"count":5}`},
			{name: "count bad date", token: alex, method: "POST", path: "/api/v1/segments/count", body: `{"filter":{"subscribed_from":"yesterday"}}`, status: 400, code: "invalid"},
			{name: "count unknown field", token: alex, method: "POST", path: "/api/v1/segments/count", body: `{"filter":{"tags":["vip"]}}`, status: 400, code: "invalid", contains: "unknown field"},
			{name: "agent may not save", token: alex, method: "POST", path: "/api/v1/segments", body: `{"name":"x","filter":{}}`, status: 403, code: "forbidden"},
			{name: "no name", token: mia, method: "POST", path: "/api/v1/segments", body: `{"name":" ","filter":{}}`, status: 400, code: "invalid"},
			{name: "bad level", token: mia, method: "POST", path: "/api/v1/segments", body: `{"name":"x","filter":{"levels":["boss"]}}`, status: 400, code: "invalid"},
			{name: "create", token: mia, method: "POST", path: "/api/v1/segments", body: `{"name":"VIP","filter":{"tags_any":["vip"]}}`, status: 201, contains: `"count":2`},
			{name: "duplicate", token: mia, method: "POST", path: "/api/v1/segments", body: `{"name":"VIP","filter":{}}`, status: 409, code: "conflict"},
			{name: "list", token: alex, method: "GET", path: "/api/v1/segments", status: 200, contains: `"name":"VIP","filter":{"tags_any":["vip"]},"count":2`},
			{name: "missing", token: alex, method: "GET", path: "/api/v1/segments/999", status: 404, code: "not_found"},
			{name: "update missing", token: mia, method: "PUT", path: "/api/v1/segments/999", body: `{"name":"x","filter":{}}`, status: 404, code: "not_found"},
		})
		var list api.List[api.Segment]
		e.call(alex, "GET", "/api/v1/segments", "").decode(t, &list)
		id := fmt.Sprint(list.Items[0].ID)
		e.run(t, []check{
			{name: "update", token: mia, method: "PUT", path: "/api/v1/segments/" + id, body: `{"name":"VIP 海报","filter":{"tags_any":["vip"],"channels":["poster"]}}`, status: 200, contains: `"count":1`},
			{name: "get", token: alex, method: "GET", path: "/api/v1/segments/" + id, status: 200, contains: `"name":"VIP 海报"`},
			{name: "members", token: alex, method: "GET", path: "/api/v1/segments/" + id + "/members", status: 200, contains: `"openid":"oSeg0"`},
			{name: "members bad after", token: alex, method: "GET", path: "/api/v1/segments/" + id + "/members?after=x", status: 400, code: "invalid"},
			{name: "agent may not delete", token: alex, method: "DELETE", path: "/api/v1/segments/" + id, status: 403, code: "forbidden"},
			{name: "delete", token: mia, method: "DELETE", path: "/api/v1/segments/" + id, status: 204},
			{name: "deleted", token: mia, method: "DELETE", path: "/api/v1/segments/" + id, status: 404, code: "not_found"},
		})
		// Paging by id: two pages of 3 and 2, then none.
		e.call(mia, "POST", "/api/v1/segments", `{"name":"all","filter":{}}`)
		e.call(alex, "GET", "/api/v1/segments", "").decode(t, &list)
		var page api.SegmentPage
		e.call(alex, "GET", fmt.Sprintf("/api/v1/segments/%d/members?limit=3", list.Items[0].ID), "").decode(t, &page)
		if len(page.Items) != 3 || page.Next == 0 {
			t.Fatalf("page 1: %+v", page)
		}
		var page2 api.SegmentPage
		e.call(alex, "GET", fmt.Sprintf("/api/v1/segments/%d/members?limit=3&after=%d", list.Items[0].ID, page.Next), "").decode(t, &page2)
		if len(page2.Items) != 2 || page2.Next != 0 {
			t.Fatalf("page 2: %+v", page2)
		}
		entries, _, _ := s.ListAudit(ctx, 20, 0)
		var got []string
		for i := len(entries) - 1; i >= 0; i-- {
			got = append(got, entries[i].Action)
		}
		if strings.Join(got, " ") != "segment.create segment.update segment.delete segment.create" {
			t.Fatalf("audited %v", got)
		}
	})
}
