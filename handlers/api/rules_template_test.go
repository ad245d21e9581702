package api_test

import (
	"context"
	"encoding/json"
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

// rangeBomb passes a dry run with the sample member (openid
// o_sample_openid) and, before templates were checked node by node, held a
// core for minutes for every other fan.
const rangeBomb = `{{if eq .OpenID "o_sample_openid"}}ok{{else}}{{range 10000000000}}{{end}}{{end}}`

// TestReplyTemplateRangeBombRefused: a reply template that loops, calls
// templates or functions outside the short list is refused when it is
// saved, by every way in (rule create and update, rules import, canned
// replies), with a Chinese message naming what is not allowed, and nothing
// is stored.
func TestReplyTemplateRangeBombRefused(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		e, _ := rulesEnv(t, s)
		mia, ann := e.token("mia", models.RoleMarketer), e.token("ann", models.RoleAgent)
		rule := func(text string) string {
			b, _ := json.Marshal(map[string]any{"name": "炸弹", "kind": "keyword",
				"keywords": []map[string]string{{"text": "炸弹", "match": "exact"}},
				"replies":  []map[string]string{{"kind": "text", "text": text}}})
			return string(b)
		}
		canned := func(text string) string {
			b, _ := json.Marshal(map[string]any{"code": "bomb", "text": text})
			return string(b)
		}
		ok := e.call(mia, "POST", "/api/v1/rules", rule("您好 {{.Name}}"))
		if ok.status != 201 {
			t.Fatalf("a safe template: %d %s", ok.status, ok.body)
		}
		var created struct{ ID uint64 }
		ok.decode(t, &created)
		ctx := context.Background()
		before, err := s.RowCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		yaml := "rules:\n  - name: 炸弹\n    kind: default\n    replies:\n      - kind: text\n        text: '" + rangeBomb + "'\n"
		e.run(t, []check{
			{name: "create", token: mia, method: "POST", path: "/api/v1/rules", body: rule(rangeBomb), status: 400, code: "invalid", contains: "第 1 行不允许使用 range"},
			{name: "update", token: mia, method: "PUT", path: "/api/v1/rules/" + strconv.FormatUint(created.ID, 10), body: rule(rangeBomb), status: 400, code: "invalid", contains: "不允许使用 range"},
			{name: "import", token: mia, method: "POST", path: "/api/v1/rules/import", body: yaml, status: 400, code: "invalid", contains: "不允许使用 range"},
			{name: "template call", token: mia, method: "POST", path: "/api/v1/rules", body: rule(`{{define "x"}}{{template "x" .}}{{end}}`), status: 400, code: "invalid", contains: "不允许使用 define"},
			{name: "printf width", token: mia, method: "POST", path: "/api/v1/rules", body: rule(`{{printf "%099999999d" 1}}`), status: 400, code: "invalid", contains: "不允许使用 printf"},
			{name: "canned", token: ann, method: "POST", path: "/api/v1/canned", body: canned(`{{if eq .Agent "x"}}ok{{else}}{{range 10000000000}}{{end}}{{end}}`), status: 400, code: "invalid", contains: "不允许使用 range"},
		})
		after, err := s.RowCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		delete(before, "audit_entries")
		delete(after, "audit_entries")
		if !maps.Equal(before, after) {
			t.Fatalf("a refused template changed the database: %v → %v", before, after)
		}
		if r := e.call(mia, "GET", "/api/v1/rules/"+strconv.FormatUint(created.ID, 10), ""); !strings.Contains(r.body, "您好 {{.Name}}") {
			t.Fatalf("the refused update changed the rule: %s", r.body)
		}
	})
}
