package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
	"github.com/fivec/fivec/roles"
)

// rightsFan records a fan with a profile, a tag, points and two texts.
func rightsFan(t *testing.T, s *models.Store, openID string) *models.Member {
	t.Helper()
	ctx := context.Background()
	var m *models.Member
	for i, text := range []string{"我叫李四，电话13900001111", "地址是上海市徐汇区"} {
		msg, mm, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: fmt.Sprint(openID, i), OpenID: openID, MsgType: "text", Content: text})
		if err != nil {
			t.Fatal(err)
		}
		m = mm
		if err := s.FinishInbound(ctx, msg.ID, models.Answer{State: models.StateReplied, Replies: []models.Reply{models.TextReply("好的李四")}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SaveProfile(ctx, m.ID, models.ProfileInput{Name: "李四", Phone: "13900001111", Consent: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.TagMember(ctx, m.ID, "老客户"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Earn(ctx, m.ID, 20, models.SourceSignIn, "", openID+"-e", nil); err != nil {
		t.Fatal(err)
	}
	return m
}

// apiCall calls the JSON API with a bearer token.
func apiCall(a *app, token, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	a.router.ServeHTTP(w, req)
	return w
}

// TestMemberExportAndErase: an admin exports a fan (CSV and JSON, console
// and API), a marketer may not; an erase without the typed openid changes
// nothing and says what to type; the erase itself removes the fan's texts
// and openid from the console pages, the API and the audit log, keeps the
// message count, and is audited without personal data.
func TestMemberExportAndErase(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		admin := a.staff("boss", models.RoleAdmin)
		a.staff("mia", models.RoleMarketer)
		m := rightsFan(t, s, "oRights1")
		rightsFan(t, s, "oRights2")
		page := "/console/members/oRights1"
		b := a.browser().login("boss")
		expect(t, b.get(page), 200, `id="erase-form"`, `href="/console/members/oRights1/export?format=csv"`)

		csv := b.get(page + "/export?format=csv")
		expect(t, csv, 200, "record,openid,at,name,value,detail", "我叫李四，电话13900001111", "profile,oRights1,,phone,13900001111", "tag,oRights1,,tag,老客户")
		if cd := csv.Header().Get("Content-Disposition"); !strings.Contains(cd, "member-") || !strings.HasSuffix(cd, `.csv"`) {
			t.Fatalf("Content-Disposition %q", cd)
		}
		var x roles.ExportedMember
		js := b.get(page + "/export?format=json")
		if err := json.Unmarshal(js.Body.Bytes(), &x); err != nil {
			t.Fatalf("JSON export: %v\n%s", err, js.body())
		}
		if x.OpenID != "oRights1" || x.Profile == nil || x.Profile.Name != "李四" || len(x.Messages) != 2 || x.Messages[0].Replies[0] != "好的李四" ||
			len(x.Ledger) != 1 || x.Ledger[0].Delta != 20 {
			t.Fatalf("JSON export %+v", x)
		}
		expect(t, b.get(page+"/export?format=xml"), 400)
		expect(t, b.get("/console/members/oNobody/export"), 404)

		mb := a.browser().login("mia")
		expect(t, mb.get(page), 200)
		if strings.Contains(mb.get(page).body(), `id="erase-form"`) {
			t.Fatal("a marketer is offered the erase")
		}
		expect(t, mb.get(page+"/export?format=csv"), 403)
		r := mb.post(page+"/erase", url.Values{"csrf_token": {mb.csrf(page)}, "confirm": {"oRights1"}})
		expect(t, r, 403)

		// Without the openid typed: nothing happens, and the page says what to type.
		r = b.submit(page, page+"/erase", url.Values{"confirm": {"oRights"}})
		expect(t, r, 400, "输入的 OpenID 与这位会员不一致，没有删除任何数据")
		r = b.submit(page, page+"/erase", nil)
		expect(t, r, 400, "输入的 OpenID 与这位会员不一致")
		if _, err := s.FindMemberByOpenID(ctx, "oRights1"); err != nil {
			t.Fatalf("refused erase changed the member: %v", err)
		}

		// The API: the same rules.
		tok, _, err := s.CreateAPIToken(ctx, admin.ID, "rights")
		if err != nil {
			t.Fatal(err)
		}
		if w := apiCall(a, tok, "GET", "/api/v1/members/oRights1/export", ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"name":"李四"`) {
			t.Fatalf("API export %d %s", w.Code, w.Body)
		}
		if w := apiCall(a, tok, "POST", "/api/v1/members/oRights1/erase", `{}`); w.Code != 400 || !strings.Contains(w.Body.String(), "confirm") {
			t.Fatalf("API erase without confirm %d %s", w.Code, w.Body)
		}
		if w := apiCall(a, tok, "POST", "/api/v1/members/oNobody/erase", `{"confirm":"oNobody"}`); w.Code != 404 {
			t.Fatalf("API erase of an unknown member %d %s", w.Code, w.Body)
		}
		// Something on the audit log names the openid before the erase.
		expect(t, b.submit(page, page+"/tag", url.Values{"tag": {"待删除"}}), http.StatusSeeOther)

		in0, _ := s.CountMessages(ctx, models.DirectionIn)
		r = b.submit(page, page+"/erase", url.Values{"confirm": {" oRights1 "}})
		expect(t, r, http.StatusSeeOther)
		if loc := r.Header().Get("Location"); loc != "/console/members?ok=rights.erased" {
			t.Fatalf("after the erase: %s", loc)
		}
		expect(t, b.get("/console/members?ok=rights.erased"), 200, "会员已匿名化")
		if in1, _ := s.CountMessages(ctx, models.DirectionIn); in1 != in0 {
			t.Fatalf("inbound messages %d → %d", in0, in1)
		}
		for _, p := range []string{"/console/members", "/console/inbox", "/console/audit", "/console/reports"} {
			body := b.get(p).body()
			for _, gone := range []string{"oRights1", "李四", "13900001111", "上海市徐汇区"} {
				if strings.Contains(body, gone) {
					t.Errorf("%s still shows %q after the erase", p, gone)
				}
			}
		}
		expect(t, b.get(page), 404)
		if w := apiCall(a, tok, "GET", "/api/v1/members/oRights1/messages", ""); w.Code != 404 {
			t.Fatalf("API messages of the erased fan %d %s", w.Code, w.Body)
		}
		w := apiCall(a, tok, "GET", "/api/v1/members?limit=200", "")
		if strings.Contains(w.Body.String(), "oRights1") || !strings.Contains(w.Body.String(), "oRights2") {
			t.Fatalf("API members after the erase: %s", w.Body)
		}
		// The anonymous member's page: no erase offered, no texts.
		var placeholder string
		list, _, _ := s.ListMembers(ctx, models.MemberFilter{Limit: 10})
		for _, mm := range list {
			if mm.ID == m.ID {
				placeholder = mm.OpenID
			}
		}
		anon := b.get("/console/members/" + placeholder)
		expect(t, anon, 200, `id="erased-notice"`)
		if strings.Contains(anon.body(), `id="erase-form"`) || strings.Contains(anon.body(), "李四") {
			t.Fatal("the anonymous member's page offers the erase or shows a text")
		}
		entries, _, _ := s.ListAudit(ctx, 50, 0)
		found := false
		for _, e := range entries {
			if strings.Contains(e.Target+e.Detail, "oRights1") || strings.Contains(e.Target+e.Detail, placeholder) {
				t.Errorf("audit entry %s names the fan: %q %q", e.Action, e.Target, e.Detail)
			}
			found = found || (e.Action == "member.erase" && e.Target == fmt.Sprintf("member #%d", m.ID))
		}
		if !found {
			t.Fatal("no member.erase audit entry")
		}
	})
}

// TestSegmentExport: an admin downloads a saved segment's members as one
// CSV or a JSON list; an unknown segment is not found.
func TestSegmentExport(t *testing.T) {
	t.Parallel()
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := newApp(t, s, false)
		a.staff("boss", models.RoleAdmin)
		for i := 0; i < 3; i++ {
			rightsFan(t, s, fmt.Sprint("oSegX", i))
		}
		sg, err := s.SaveSegment(ctx, 0, "全部", models.SegmentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		b := a.browser().login("boss")
		path := fmt.Sprintf("/console/segments/%d", sg.ID)
		expect(t, b.get(path), 200, `id="segment-export-csv"`)
		var list []roles.ExportedMember
		js := b.get(path + "/export?format=json")
		if err := json.Unmarshal(js.Body.Bytes(), &list); err != nil || len(list) != 3 || list[2].OpenID != "oSegX2" || len(list[2].Messages) != 2 {
			t.Fatalf("segment JSON %v: %s", err, js.body())
		}
		csv := b.get(path + "/export?format=csv").body()
		if strings.Count(csv, "\n") < 3*10 || !strings.Contains(csv, "oSegX1") {
			t.Fatalf("segment CSV:\n%s", csv)
		}
		expect(t, b.get("/console/segments/9999/export"), 404)
		entries, _, _ := s.ListAudit(ctx, 10, 0)
		if len(entries) == 0 || entries[0].Action != "segment.export" || !strings.Contains(entries[0].Detail, "3 members") {
			t.Fatalf("audit %+v", entries)
		}
	})
}
