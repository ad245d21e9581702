package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// TestInboxShowsEarlierConversations: a customer's second conversation
// lists the first (who served it, the rating, a link), newest first; a
// first conversation says it is the first.
func TestInboxShowsEarlierConversations(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		d := newDesk(t, s)
		ann := d.staff("ann", models.RoleAgent)
		a := d.browser().login("ann")

		d.fan("oFanHistory", "人工")
		first := d.escalated("oFanHistory")
		expect(t, a.get("/console/inbox/"+id(first)), 200, `id="conv-history"`, "这是这位客户的第一次会话。")
		if _, err := s.Claim(ctx, first.ID, ann.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Resolve(ctx, first.ID, "agent"); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkSatisfactionAsked(ctx, first.ID); err != nil {
			t.Fatal(err)
		}
		d.fan("oFanHistory", "4")
		d.fan("oFanHistory", "人工")
		second := d.escalated("oFanHistory")
		if second.ID == first.ID {
			t.Fatal("no second conversation")
		}
		body := a.get("/console/inbox/" + id(second)).Body.String()
		hist := body[strings.Index(body, `id="conv-history"`):]
		hist = hist[:strings.Index(hist, "</section>")]
		for _, want := range []string{`href="/console/inbox/` + id(first) + `"`, "已结束", "ann", "评分 4", "关键词转人工"} {
			if !strings.Contains(hist, want) {
				t.Fatalf("the history lacks %q:\n%s", want, hist)
			}
		}
		if strings.Contains(hist, `href="/console/inbox/`+id(second)+`"`) {
			t.Fatal("the history lists the conversation itself")
		}
	})
}
