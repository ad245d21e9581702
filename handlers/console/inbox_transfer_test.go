package console_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestTransferToMarketerRefused: an agent hands a conversation to a
// marketer by posting the marketer's id (the form does not offer one). It
// is refused with 400 and a Chinese reason, the conversation stays with the
// agent and no transfer note is written.
func TestTransferToMarketerRefused(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s)
		ann := d.staff("ann", models.RoleAgent)
		mia := d.staff("mia", models.RoleMarketer)
		a := d.browser().login("ann")
		d.fan("oFanToMarketer", "人工")
		conv := d.escalated("oFanToMarketer")
		path := "/console/inbox/" + id(conv)
		expect(t, a.submit(path, path+"/claim", nil), 303)
		if body := a.get(path).body(); strings.Contains(body, `value="`+strconv.FormatUint(mia.ID, 10)+`"`) {
			t.Fatal("the transfer form offers the marketer")
		}
		to := url.Values{"to": {strconv.FormatUint(mia.ID, 10)}, "note": {"请营销跟进"}}
		expect(t, a.submit(path, path+"/transfer", to), 400, "只能转接给已启用的客服或管理员")
		expect(t, a.hx(path, path+"/transfer", to), 400, `class="notice err"`, "营销人员打不开收件箱")
		got, err := s.FindConversation(ctx, conv.ID)
		if err != nil || got.AgentID == nil || *got.AgentID != ann.ID || got.State != models.ConvAssigned {
			t.Fatalf("after the refused transfers: %+v %v", got, err)
		}
		if notes, _ := s.Notes(ctx, conv.ID); len(notes) != 0 {
			t.Fatalf("a refused transfer left notes: %+v", notes)
		}
	})
}
