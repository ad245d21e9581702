package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// The house rules of /work/shared/STYLE.md, as an import graph: transports
// never import each other or the callback endpoint; roles/ and delivery/ are
// called by handlers/ and jobs/, never the other way round; models/ is
// below all of them. Only non-test imports count: a package's tests may
// drive it through the router.
//
// Test-support packages are the exception made explicit: a package whose
// name ends in "test" (models/modelstest, wechat/fake/faketest,
// handlers/callback/callbacktest, handlers/browsertest, roles/shadowtest)
// holds what several packages' tests share, so it may import across the
// house the way a test may (callbacktest builds the real router for the
// roles' tests), and in exchange only tests import it, and bench/'s load
// programs, which are measuring tools themselves (bench/callbackload runs
// the binary through cmd/fivec/fivectest): no package of the product does, so
// none of it reaches the binary.

const module = "github.com/fivec/fivec/"

// under reports whether pkg is dir or a package below it.
func under(pkg, dir string) bool {
	p := strings.TrimPrefix(pkg, module)
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// testSupport reports whether pkg is a test-support package (its last path
// element ends in "test").
func testSupport(pkg string) bool {
	return strings.HasPrefix(pkg, module) && strings.HasSuffix(pkg[strings.LastIndex(pkg, "/")+1:], "test")
}

// houseViolations returns the broken rules in deps (package → everything it
// imports, directly or not).
func houseViolations(deps map[string][]string) []string {
	type rule struct {
		from   func(string) bool
		to     func(string) bool
		reason string
	}
	is := func(dir string) func(string) bool { return func(p string) bool { return under(p, dir) } }
	anyOf := func(dirs ...string) func(string) bool {
		return func(p string) bool {
			for _, d := range dirs {
				if under(p, d) {
					return true
				}
			}
			return false
		}
	}
	notSupport := func(from func(string) bool) func(string) bool {
		return func(p string) bool { return from(p) && !testSupport(p) }
	}
	rules := []rule{
		{func(p string) bool { return !testSupport(p) && !under(p, "bench") }, testSupport,
			"only tests (and bench/'s measuring programs) import test-support packages (*test)"},
		{func(p string) bool { return under(p, "handlers") && !under(p, "handlers/callback") },
			is("handlers/callback"), "handlers/ never imports handlers/callback"},
		{is("handlers/console"), is("handlers/api"), "transports never import each other"},
		{is("handlers/api"), is("handlers/console"), "transports never import each other"},
		{notSupport(anyOf("roles", "delivery")), anyOf("handlers", "jobs"), "roles/ and delivery/ never import handlers/ or jobs/"},
		{notSupport(is("models")), anyOf("roles", "delivery", "handlers", "jobs"), "models/ imports none of roles/, delivery/, handlers/, jobs/"},
	}
	var bad []string
	for pkg, ds := range deps {
		for _, r := range rules {
			if !r.from(pkg) {
				continue
			}
			for _, d := range ds {
				if r.to(d) {
					bad = append(bad, pkg+" imports "+d+": "+r.reason)
				}
			}
		}
	}
	return bad
}

func TestHouseImportGraph(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps", module+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	deps := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		deps[p.ImportPath] = p.Deps
	}
	for _, want := range []string{"roles", "models", "handlers/console", "handlers/api"} {
		if _, ok := deps[module+want]; !ok {
			t.Fatalf("go list did not list %s", want)
		}
	}
	for _, v := range houseViolations(deps) {
		t.Error(v)
	}
}

// TestHouseViolationsSeesBrokenRules keeps the check itself honest.
func TestHouseViolationsSeesBrokenRules(t *testing.T) {
	deps := map[string][]string{
		module + "handlers":          {module + "handlers/callback"},
		module + "handlers/console":  {module + "handlers/api"},
		module + "roles":             {module + "jobs"},
		module + "delivery":          {module + "handlers/web"},
		module + "models":            {module + "roles"},
		module + "handlers/callback": {module + "roles"},
		module + "jobs":              {module + "roles", module + "models"},
		module + "modelsx":           {module + "roles"},
		// Test-support packages: only tests may import them; they may
		// import what a test may.
		module + "handlers/api":                   {module + "models/modelstest"},
		module + "cmd/fivec":                      {module + "handlers/callback/callbacktest"},
		module + "bench/callbackload":             {module + "cmd/fivec/fivectest", "internal/synctest"},
		module + "handlers/callback/callbacktest": {module + "handlers", module + "handlers/callback", module + "roles"},
		module + "roles/shadowtest":               {module + "models"},
		module + "roles/rolestest":                {module + "handlers"},
		module + "models/modelstest":              {module + "models"},
	}
	got := houseViolations(deps)
	if len(got) != 7 {
		t.Errorf("want 7 violations, got %d: %q", len(got), got)
	}
}
