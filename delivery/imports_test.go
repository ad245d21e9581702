package delivery_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The house rules (STYLE.md): delivery/ never imports handlers/ or jobs/,
// and models/ never imports delivery/.
func TestImportBoundaries(t *testing.T) {
	for _, tc := range []struct {
		dir       string
		forbidden []string
	}{
		{".", []string{"github.com/fivec/fivec/handlers", "github.com/fivec/fivec/jobs"}},
		{"../models", []string{"github.com/fivec/fivec/delivery"}},
	} {
		files, _ := filepath.Glob(filepath.Join(tc.dir, "*.go"))
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", tc.dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range ast.Imports {
				path := strings.Trim(imp.Path.Value, `"`)
				for _, bad := range tc.forbidden {
					if path == bad || strings.HasPrefix(path, bad+"/") {
						t.Errorf("%s imports %s", f, path)
					}
				}
			}
		}
	}
}
