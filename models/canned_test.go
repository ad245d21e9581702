package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/models/modelstest"
)

func TestCannedTemplates(t *testing.T) {
	v := models.CannedVars{Name: "", Points: "120", Agent: "安"}
	tests := []struct {
		text, want, err string
	}{
		{text: "纯文本", want: "纯文本"},
		{text: "我是{{.Agent}}，积分 {{.Points}}", want: "我是安，积分 120"},
		{text: `{{or .Name "朋友"}}您好`, want: "朋友您好"},
		{text: `{{if .Name}}{{.Name}}{{else if .Agent}}客服{{.Agent}}{{else}}x{{end}}`, want: "客服安"},
		{text: "<b>{{.Agent}}</b>", want: "<b>安</b>"}, // plain text for WeChat; the console escapes
		{text: "{{/* a comment */}}ok", want: "ok"},
		{text: "{{.Foo}}", err: "不允许使用"},
		{text: "{{.}}", err: "不允许使用"},
		{text: "{{.Agent.Len}}", err: "不允许使用"},
		{text: "{{range 100000000}}x{{end}}", err: "不允许使用"},
		{text: `{{printf "%s" .Agent}}`, err: "不允许使用"},
		{text: `{{$x := .Agent}}{{$x}}`, err: "不允许使用"},
		{text: `{{with .Agent}}{{.}}{{end}}`, want: "安"},
		{text: `{{template "canned"}}`, err: "不允许使用"},
		{text: `{{block "b" .}}x{{end}}`, err: "不允许使用"},
		{text: `{{or .Agent (print "x")}}`, err: "不允许使用"},
		{text: "{{.Agent", err: "模板写法有误"},
	}
	for _, tt := range tests {
		got, err := models.RenderCanned(tt.text, v)
		if tt.err != "" {
			if err == nil || models.ErrorCode(err) != models.EINVALID || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.text, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
	// A rendering can never grow beyond a bound, whatever the values hold.
	long := models.CannedVars{Name: strings.Repeat("名", 1000)}
	if _, err := models.RenderCanned("{{.Name}}{{.Name}}", long); err == nil {
		t.Error("an oversized rendering passed")
	}
}

func TestCannedStore(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ann, _ := s.CreateStaff(ctx, models.NewStaff{Username: "ann", Password: "correct-horse", Role: models.RoleAgent})
		bob, _ := s.CreateStaff(ctx, models.NewStaff{Username: "bob", Password: "correct-horse", Role: models.RoleAgent})
		root, _ := s.CreateStaff(ctx, models.NewStaff{Username: "root", Password: "correct-horse", Role: models.RoleAdmin})
		mk := func(st *models.Staff, code, text string, shared bool) (*models.CannedReply, error) {
			return s.CreateCanned(ctx, st.ID, models.NewCanned{Code: code, Title: "t", Text: text, Shared: shared})
		}
		shared, err := mk(ann, "/hi", "您好 {{.Agent}}", true)
		if err != nil || shared.Code != "hi" || !shared.Shared() {
			t.Fatalf("%+v %v", shared, err)
		}
		if _, err := mk(ann, "pct", "100%_off", false); err != nil {
			t.Fatal(err)
		}
		if _, err := mk(bob, "hi", "dup", true); models.ErrorCode(err) != models.ECONFLICT {
			t.Fatalf("duplicate shared code: %v", err)
		}
		if _, err := mk(bob, "hi", "bob's own", false); err != nil {
			t.Fatal(err)
		}
		count := func(st *models.Staff, q string) int {
			l, err := s.ListCanned(ctx, st.ID, q, 0)
			if err != nil {
				t.Fatal(err)
			}
			return len(l)
		}
		if count(ann, "") != 2 || count(bob, "") != 2 || count(root, "") != 1 {
			t.Fatalf("visibility: ann %d bob %d root %d", count(ann, ""), count(bob, ""), count(root, ""))
		}
		// LIKE wildcards in a search are literal.
		if count(ann, "%_") != 1 || count(ann, "_") != 1 || count(ann, "/pc") != 1 || count(ann, "zz") != 0 {
			t.Fatal("search treats % or _ as wildcards")
		}
		if err := s.DeleteCanned(ctx, bob, shared.ID); models.ErrorCode(err) != models.EFORBIDDEN {
			t.Fatalf("bob deleted ann's shared reply: %v", err)
		}
		if err := s.DeleteCanned(ctx, root, shared.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindCanned(ctx, ann.ID, shared.ID); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("still there: %v", err)
		}
	})
}

// TestStoredUnsafeCannedReplyIsRefused: a canned reply that loops ten
// billion times, written straight into the database (as a version before
// the checks could have stored it), is listed but never run: rendering it
// for an agent (the console's picker and the API both call RenderCanned)
// is refused at once, in Chinese.
func TestStoredUnsafeCannedReplyIsRefused(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ann, _ := s.CreateStaff(ctx, models.NewStaff{Username: "ann", Password: "correct-horse", Role: models.RoleAgent})
		bomb := `{{if eq .Agent "x"}}ok{{else}}{{range 10000000000}}{{end}}{{end}}`
		if err := models.ExecForTest(s, "INSERT INTO canned_replies (owner_id, code, title, text, created_by, created_at, updated_at) VALUES (0, 'bomb', 't', '"+bomb+"', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListCanned(ctx, ann.ID, "bomb", 0)
		if err != nil || len(list) != 1 || list[0].Text != bomb {
			t.Fatalf("%+v %v", list, err)
		}
		start := time.Now()
		_, err = models.RenderCanned(list[0].Text, models.CannedVarsFor(&models.Member{Points: 1}, nil, ann))
		if took := time.Since(start); took > 100*time.Millisecond {
			t.Fatalf("refusing took %v", took)
		}
		if models.ErrorCode(err) != models.EINVALID || !strings.Contains(err.Error(), "不允许使用 range") {
			t.Fatalf("rendered: %v", err)
		}
	})
}

// TestConversationCannedVars: canned replies in a conversation address its
// fan by profile name (else the default) with the real balance, signed by
// the agent's display name (else the login name); an unknown conversation is
// not found.
func TestConversationCannedVars(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ann, _ := s.CreateStaff(ctx, models.NewStaff{Username: "ann", DisplayName: "安娜", Password: "violet-harbour-42", Role: models.RoleAgent})
		bob, _ := s.CreateStaff(ctx, models.NewStaff{Username: "bob", Password: "violet-harbour-42", Role: models.RoleAgent})
		fan := func(openID string) (*models.Member, *models.Conversation) {
			_, m, _, err := s.RecordInbound(ctx, models.Inbound{DedupeKey: "cv-" + openID, OpenID: openID, MsgType: "event", Event: "subscribe", Subscribe: true})
			if err != nil {
				t.Fatal(err)
			}
			conv, _, err := s.Escalate(ctx, m.ID, openID, "test")
			if err != nil {
				t.Fatal(err)
			}
			return m, conv
		}
		named, conv := fan("oNamed")
		if _, err := s.SaveProfile(ctx, named.ID, models.ProfileInput{Name: "王小明", Consent: true}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Earn(ctx, named.ID, 120, models.SourceRule, "test", "cv-earn", nil); err != nil {
			t.Fatal(err)
		}
		_, plain := fan("oPlain")

		for _, tt := range []struct {
			conv  uint64
			agent *models.Staff
			want  models.CannedVars
		}{
			{conv.ID, ann, models.CannedVars{Name: "王小明", Points: "120", Agent: "安娜"}},
			{plain.ID, bob, models.CannedVars{Name: models.DefaultFanName, Points: "0", Agent: "bob"}},
		} {
			got, err := s.ConversationCannedVars(ctx, tt.conv, tt.agent)
			if err != nil || got != tt.want {
				t.Errorf("conversation %d: %+v %v, want %+v", tt.conv, got, err, tt.want)
			}
		}
		if _, err := s.ConversationCannedVars(ctx, plain.ID+999, ann); models.ErrorCode(err) != models.ENOTFOUND {
			t.Fatalf("unknown conversation: %v", err)
		}
	})
}
