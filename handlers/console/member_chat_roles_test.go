package console_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestMarketerCannotReadAgentReplies: a fan asks for a person, an agent
// answers and writes an internal note. On the member page and through
// GET /api/v1/members/:openid/messages, agents and admins read the agent's
// reply; a marketer reads the fan's messages and the bot's automatic
// answer, but neither the agent's reply nor the note (the page says so).
func TestMarketerCannotReadAgentReplies(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		d := newDesk(t, s)
		const fan, reply, note, botAnswer = "oFanPrivate", "这是客服的私下回复", "内部备注：老客户", "已为您转接人工客服"
		_, annToken := d.apiToken("ann", models.RoleAgent)
		_, rootToken := d.apiToken("root", models.RoleAdmin)
		_, miaToken := d.apiToken("mia", models.RoleMarketer)
		ann := d.browser().login("ann")
		d.fan(fan, "人工")
		conv := d.escalated(fan)
		path := "/console/inbox/" + id(conv)
		expect(t, ann.submit(path, path+"/claim", nil), 303)
		expect(t, ann.hx(path, path+"/reply", url.Values{"kind": {"text"}, "text": {reply}}), 200)
		expect(t, ann.hx(path, path+"/notes", url.Values{"text": {note}}), 200)
		d.fan(fan, "谢谢")

		for _, tc := range []struct {
			user, token string
			readsChats  bool
		}{{"ann", annToken, true}, {"root", rootToken, true}, {"mia", miaToken, false}} {
			t.Run(tc.user, func(t *testing.T) {
				page := d.browser().login(tc.user).get("/console/members/" + fan)
				api := d.call(tc.token, "GET", "/api/v1/members/"+fan+"/messages", "")
				for name, r := range map[string]resp{"member page": page, "messages API": api} {
					expect(t, r, 200, "人工", "谢谢", botAnswer)
					body := r.body()
					if strings.Contains(body, reply) != tc.readsChats {
						t.Errorf("%s: %s sees the agent's reply: %v, want %v", name, tc.user, !tc.readsChats, tc.readsChats)
					}
					if strings.Contains(body, note) {
						t.Errorf("%s shows the internal note to %s", name, tc.user)
					}
				}
				if strings.Contains(page.body(), `id="fan-side-only"`) == tc.readsChats {
					t.Errorf("member page for %s: the notice that agents' replies are hidden is wrong", tc.user)
				}
			})
		}
	})
}
