package api_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestJourneysAPI(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		mkt, agent := e.token("mia", models.RoleMarketer), e.token("alex", models.RoleAgent)
		body := `{"name":"车主关怀","trigger":"tagged","trigger_value":"汽车","goal":"redeemed","re_entry":"after_exit",
		  "steps":[{"after":"0","message":{"kind":"text","text":"汽车宝典免费试用"}},
		           {"after":"3d","message":{"kind":"news","articles":[{"title":"保养指南","url":"https://example.com/a"}]},
		            "condition":{"tags_none":["已购"]},"template_id":"TPL","template_data":{"thing1":"保养指南"}}]}`
		e.run(t, []check{
			{"agent cannot create", agent, "POST", "/api/v1/journeys", body, 403, models.EFORBIDDEN, ""},
			{"unknown field", mkt, "POST", "/api/v1/journeys", `{"name":"x","colour":"red"}`, 400, models.EINVALID, "colour"},
			{"bad trigger", mkt, "POST", "/api/v1/journeys", `{"name":"x","trigger":"moon","steps":[{"after":"0","message":{"kind":"text","text":"hi"}}]}`, 400, models.EINVALID, "unknown trigger"},
			{"bad state", mkt, "POST", "/api/v1/journeys", `{"name":"x","state":"sleeping","trigger":"followed","steps":[{"after":"0","message":{"kind":"text","text":"hi"}}]}`, 400, models.EINVALID, "state must be"},
			{"bad after", mkt, "POST", "/api/v1/journeys", `{"name":"x","trigger":"followed","steps":[{"after":"soon","message":{"kind":"text","text":"hi"}}]}`, 400, models.EINVALID, "step 1"},
			{"bad condition", mkt, "POST", "/api/v1/journeys", `{"name":"x","trigger":"followed","steps":[{"after":"0","message":{"kind":"text","text":"hi"},"condition":{"stages":["royal"]}}]}`, 400, models.EINVALID, "royal"},
			{"create", mkt, "POST", "/api/v1/journeys", body, 201, "", `"after":"3d"`},
			{"duplicate", mkt, "POST", "/api/v1/journeys", body, 409, models.ECONFLICT, ""},
			{"agent reads", agent, "GET", "/api/v1/journeys", "", 200, "", `"name":"车主关怀"`},
			{"missing", agent, "GET", "/api/v1/journeys/999", "", 404, models.ENOTFOUND, ""},
		})
		list, _ := s.ListJourneys(context.Background(), false)
		if len(list) != 1 || list[0].Steps[1].Reply().Kind != models.ReplyNews || list[0].Steps[1].Filter().TagsNone[0] != "已购" {
			t.Fatalf("stored: %+v", list)
		}
		id := strconv.FormatUint(list[0].ID, 10)
		m, err := e.store.SaveInterest(context.Background(), 0, models.NewInterest{Name: "seed", Keywords: []string{"seed"}})
		if err != nil {
			t.Fatal(err)
		}
		e.run(t, []check{
			{"get with flow", agent, "GET", "/api/v1/journeys/" + id, "", 200, "", `"flow":{"entered":0`},
			{"members", agent, "GET", "/api/v1/journeys/" + id + "/members", "", 200, "", `"items":[]`},
			{"pause", mkt, "PUT", "/api/v1/journeys/" + id, `{"name":"车主关怀","state":"paused","trigger":"tagged","trigger_value":"汽车","steps":[{"after":"0","message":{"kind":"text","text":"hi"}}]}`, 200, "", `"state":"paused"`},
			{"agent cannot delete", agent, "DELETE", "/api/v1/journeys/" + id, "", 403, models.EFORBIDDEN, ""},
			{"delete", mkt, "DELETE", "/api/v1/journeys/" + id, "", 204, "", ""},
			{"deleted", mkt, "GET", "/api/v1/journeys/" + id, "", 404, models.ENOTFOUND, ""},
			{"interest", mkt, "POST", "/api/v1/interests", `{"name":"汽车","keywords":["4S店","保养"]}`, 201, "", `"tag":"汽车"`},
			{"interest bad", mkt, "POST", "/api/v1/interests", `{"name":"汽车2","keywords":[]}`, 400, models.EINVALID, "keywords"},
			{"interest agent", agent, "POST", "/api/v1/interests", `{"name":"x","keywords":["y"]}`, 403, models.EFORBIDDEN, ""},
			{"interests", agent, "GET", "/api/v1/interests", "", 200, "", `"keywords":["4S店","保养"]`},
			{"interest update", mkt, "PUT", "/api/v1/interests/" + strconv.FormatUint(m.ID, 10), `{"name":"seed","keywords":["a","b"],"tag":"兴趣:种子"}`, 200, "", `"tag":"兴趣:种子"`},
			{"interest delete", mkt, "DELETE", "/api/v1/interests/" + strconv.FormatUint(m.ID, 10), "", 204, "", ""},
			{"interest delete again", mkt, "DELETE", "/api/v1/interests/" + strconv.FormatUint(m.ID, 10), "", 404, models.ENOTFOUND, ""},
		})
	})
}
