package replytemplate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/replytemplate"
)

type data struct {
	Name, Stage string
	Points      int64
	Now         time.Time
}

var vars = replytemplate.Vars{"Name": replytemplate.String, "Stage": replytemplate.String, "Points": replytemplate.Number, "Now": replytemplate.Time}

func TestWhatTemplatesMayContain(t *testing.T) {
	d := data{Name: "", Stage: "new", Points: 120, Now: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)}
	ok := []struct{ text, want string }{
		{"纯文本", "纯文本"},
		{"积分 {{.Points}}，{{.Now.Format \"15:04\"}}", "积分 120，09:30"},
		{`{{or .Name "朋友"}}您好`, "朋友您好"},
		{`{{if eq .Stage "new"}}新{{else if ne .Stage "loyal"}}x{{else}}老{{end}}`, "新"},
		{`{{with .Stage}}阶段 {{.}}，{{$.Points}}{{end}}`, "阶段 new，120"},
		{`{{with .Now}}{{.Format "01-02"}}{{end}}`, "12-01"},
		{`{{if gt .Points 100}}多{{end}}{{/* note */}}`, "多"},
		{`{{"字面量"}}{{42}}`, "字面量42"},
	}
	for _, tt := range ok {
		tpl, err := replytemplate.Parse(tt.text, vars)
		if err != nil {
			t.Errorf("%q refused: %v", tt.text, err)
			continue
		}
		got, err := tpl.Execute(d, 2048)
		if err != nil || got != tt.want {
			t.Errorf("%q: %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
	refused := []struct{ text, what string }{
		{`{{if eq .OpenID "o_sample_openid"}}ok{{else}}{{range 10000000000}}{{end}}{{end}}`, "OpenID"},
		{`{{if eq .Stage "o"}}ok{{else}}{{range 10000000000}}{{end}}{{end}}`, "range"},
		{`{{range .Name}}x{{end}}`, "range"},
		{`{{template "reply" .}}`, "template"},
		{`{{define "x"}}{{template "x" .}}{{end}}`, "define"},
		{`{{block "b" .}}x{{end}}`, "define"},
		// Redefining the template's own name replaces its body: still walked.
		{`{{define "reply"}}{{range 10000000000}}{{end}}{{end}}`, "range"},
		{`{{define "reply"}}{{template "reply" .}}{{end}}`, "template"},
		{`{{call .Name}}`, "call"},
		{`{{printf "%0999999999d" 1}}`, "printf"},
		{`{{print .Name}}`, "print"},
		{`{{index .Name 0}}`, "index"},
		{`{{$x := .Name}}{{$x}}`, "$x"},
		{`{{.}}`, "{{.}}"},
		{`{{.Name | printf "%s"}}`, "printf"},
		{`{{.Name.Len}}`, ".Name.Len"},
		{`{{.Now.Add 1}}`, ".Now.Add"},
		{`{{.Now.Format}}`, ".Now.Format"},
		{`{{if eq .Now.Format "x"}}{{end}}`, ".Now.Format"},
		{`{{or .Name (print "x")}}`, "print"},
		{`{{if and (gt .Points 100) .Stage}}x{{end}}`, "gt .Points 100"},
		{`{{.Name`, "模板写法有误"},
	}
	for _, tt := range refused {
		_, err := replytemplate.Parse(tt.text, vars)
		var e *replytemplate.Error
		if err == nil || !asError(err, &e) || !strings.Contains(e.Msg, tt.what) {
			t.Errorf("%q: %v, want a refusal naming %q", tt.text, err, tt.what)
		}
	}
	_, err := replytemplate.Parse("第一行\n{{range 5}}{{end}}", vars)
	if err == nil || !strings.Contains(err.Error(), "第 2 行不允许使用 range") || !strings.Contains(err.Error(), "{{.Name}}") {
		t.Errorf("refusal text: %v", err)
	}
}

func asError(err error, e **replytemplate.Error) bool {
	x, ok := err.(*replytemplate.Error)
	*e = x
	return ok
}

func TestRenderingIsBounded(t *testing.T) {
	tpl, err := replytemplate.Parse(strings.Repeat("{{.Name}}", replytemplate.MaxActions), vars)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tpl.Execute(data{Name: strings.Repeat("名", 100)}, 2048); err == nil || !strings.Contains(err.Error(), "超过 2048 字节") {
		t.Fatalf("oversized rendering: %v", err)
	}
	if _, err := replytemplate.Parse(strings.Repeat("{{.Name}}", replytemplate.MaxActions+1), vars); err == nil || !strings.Contains(err.Error(), "模板太复杂") {
		t.Fatalf("too many actions: %v", err)
	}
}
