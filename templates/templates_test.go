package templates

import (
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fivec/fivec/models"
)

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	cats, err := LoadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	zh, en := cats[LangZH], cats[LangEN]
	if len(zh) == 0 {
		t.Fatal("empty zh catalogue")
	}
	var missing []string
	for k := range zh {
		if _, ok := en[k]; !ok {
			missing = append(missing, "en lacks "+k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			missing = append(missing, "zh lacks "+k)
		}
	}
	for _, lang := range []string{LangZH, LangEN} {
		for k, v := range cats[lang] {
			if strings.TrimSpace(v) == "" {
				missing = append(missing, lang+" has empty "+k)
			}
		}
	}
	// Placeholders must agree, or one language renders %!d(MISSING).
	verb := regexp.MustCompile(`%[a-z]`)
	for k, v := range zh {
		if a, b := verb.FindAllString(v, -1), verb.FindAllString(en[k], -1); strings.Join(a, "") != strings.Join(b, "") {
			missing = append(missing, "placeholders differ in "+k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("catalogues differ:\n%s", strings.Join(missing, "\n"))
	}
}

// Every literal key a template passes to t must be in the catalogue.
func TestTemplateKeysExist(t *testing.T) {
	cats, err := LoadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	use := regexp.MustCompile(`\bt "([a-z0-9_.]+)"`)
	pages, _ := fs.Glob(files, "console/*.html")
	for _, p := range pages {
		src, _ := fs.ReadFile(files, p)
		for _, m := range use.FindAllStringSubmatch(string(src), -1) {
			if _, ok := cats[LangZH][m[1]]; !ok {
				t.Errorf("%s uses unknown key %q", p, m[1])
			}
		}
	}
}

func TestRenderLayoutAndTimeZone(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	r, err := New(loc)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	at := time.Date(2025, 1, 2, 16, 30, 0, 0, time.UTC)
	page := Page{Title: "audit.title", Nav: "audit", Lang: LangEN, CSRF: "tok<>",
		User: &User{Name: "Ann", Role: "admin", Admin: true},
		Data: map[string]any{"Entries": []map[string]any{{"CreatedAt": at, "Username": "ann", "Action": "staff.create",
			"Target": "<b>", "Detail": "", "IP": "1.2.3.4"}}, "Pager": map[string]int{"Page": 1, "Pages": 1}}}
	if err := r.Render(&b, LangEN, "audit", page); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Audit log", "2025-01-03 00:30:00", "&lt;b&gt;", `value="tok&lt;&gt;"`, "Log out"} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	if err := r.Render(&b, LangZH, "nope", page); err == nil {
		t.Error("unknown page rendered")
	}
}

// TestOneNamePerStage: a lifecycle stage has one name across the console
// (crm.stage.*). Rules, reports and the inbox once kept their own copies
// and called the loyal stage 忠实客户, 老客户 and 忠实 on different pages.
func TestOneNamePerStage(t *testing.T) {
	cats, err := LoadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	for lang, cat := range cats {
		for key := range cat {
			for _, st := range []string{"prospect", "new", "loyal"} {
				if strings.HasSuffix(key, "stage."+st) && key != "crm.stage."+st {
					t.Errorf("%s: %s names a stage again; use crm.stage.%s", lang, key, st)
				}
			}
		}
	}
}

// TestBroadcastReportTemplateFailures: template messages WeChat accepted
// and then reported as not delivered are listed under 失败 in words, with
// what to do next, never as WeChat's raw status.
func TestBroadcastReportTemplateFailures(t *testing.T) {
	r, err := New(time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	rep := models.BroadcastReport{ByChannel: map[string]int64{"template": 1}, ByErrCode: map[int]int64{},
		ByReason: map[string]int64{}, ByTemplateStatus: map[string]int64{"failed:user block": 2, "failed: system failed": 1}}
	rep.Sent, rep.Failed = 1, 3
	page := Page{Title: "bc.report", Nav: "broadcasts", Lang: LangZH, User: &User{Name: "Ann", Role: "admin", Admin: true},
		Data: map[string]any{"B": &models.Broadcast{ID: 1, Name: "周末"}, "R": rep}}
	var b strings.Builder
	if err := r.Render(&b, LangZH, "broadcast_report", page); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`id="rep-failed">3<`, "粉丝已拒收本公众号的模板消息", "无需重发", "微信系统原因，模板消息未送达"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(out, "user block") || strings.Contains(out, "system failed") {
		t.Error("the report shows WeChat's raw status")
	}
}
