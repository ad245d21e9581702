package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRulesImportExportCommand(t *testing.T) {
	dir := t.TempDir()
	env := envOf(map[string]string{"FIVEC_DB_DSN": filepath.Join(dir, "fivec.db")})
	ctx := context.Background()
	file := filepath.Join(dir, "rules.yaml")
	os.WriteFile(file, []byte(`rules:
  - name: 营业时间
    kind: keyword
    priority: 10
    keywords: [{text: 营业时间, match: contains}]
    replies: [{kind: text, text: "每天 9:00-21:00"}]
  - name: 兜底
    kind: default
    cooldown_minutes: 30
    replies: [{kind: text, text: "回复 人工 联系客服"}]
`), 0o644)
	var out bytes.Buffer
	if err := run(ctx, []string{"rules", "import", file}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "imported 2 rules") {
		t.Fatalf("import output %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"rules", "export"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "name: 营业时间") || !strings.Contains(out.String(), "cooldown_minutes: 30") {
		t.Fatalf("export:\n%s", out.String())
	}
	os.WriteFile(file, []byte("rules:\n  - name: x\n    kind: keyword\n    keywords: [{text: '(', match: regex}]\n    replies: [{kind: text, text: y}]\n"), 0o644)
	err := run(ctx, []string{"rules", "import", file}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") || !strings.Contains(err.Error(), "RE2") {
		t.Fatalf("bad import: %v", err)
	}
	out.Reset()
	run(ctx, []string{"rules", "export"}, env, &out, io.Discard)
	if !strings.Contains(out.String(), "营业时间") {
		t.Fatal("failed import changed the rules")
	}
	if err := run(ctx, []string{"rules", "frobnicate"}, env, io.Discard, io.Discard); err == nil {
		t.Fatal("unknown subcommand accepted")
	}
}
