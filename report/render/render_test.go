package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/joshdk/go-junit"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/report/internal/fixtures"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func evaluated(t *testing.T, f fixtures.Fixture) *report.Report {
	t.Helper()
	r, err := f.Build()
	if err != nil {
		t.Fatal(err)
	}
	return report.Evaluate(r.Scenario, r.Info, r.Samples, r.Timeline, r.States)
}

// TestGolden renders each fixture in every format but the HTML page and compares it with the
// golden files.
func TestGolden(t *testing.T) {
	for _, f := range fixtures.All {
		t.Run(f.Name, func(t *testing.T) {
			rep := evaluated(t, f)
			for name, ext := range map[string]string{"json": ".json", "junit": ".junit.xml", "text": ".txt", "metrics": ".prom"} {
				rd, ok := Lookup(name)
				if !ok {
					t.Fatalf("no %s renderer", name)
				}
				var b bytes.Buffer
				if err := rd.Render(&b, rep); err != nil {
					t.Fatal(err)
				}
				fixtures.Golden(t, filepath.Join("testdata", "golden", f.Name+ext), b.Bytes(), *update)
			}
		})
	}
}

// TestJUnitParses reads junit.xml back with a JUnit parser used by CI tools and checks that it
// sees one test per criterion and check, with the right statuses.
func TestJUnitParses(t *testing.T) {
	for _, f := range fixtures.All {
		t.Run(f.Name, func(t *testing.T) {
			rep := evaluated(t, f)
			data, err := JUnit(rep)
			if err != nil {
				t.Fatal(err)
			}
			suites, err := junit.Ingest(data)
			if err != nil {
				t.Fatalf("junit parser rejects junit.xml: %v", err)
			}
			if len(suites) != 1 {
				t.Fatalf("%d suites, want 1", len(suites))
			}
			s := suites[0]
			if want := len(rep.Criteria) + len(rep.Preflight) + len(rep.Postflight); len(s.Tests) != want {
				t.Fatalf("%d tests, want %d", len(s.Tests), want)
			}
			for i, c := range rep.Criteria {
				want := map[report.Outcome]junit.Status{report.OutcomePass: junit.StatusPassed, report.OutcomeFail: junit.StatusFailed,
					report.OutcomeInconclusive: junit.StatusError, report.OutcomeSkipped: junit.StatusSkipped}[c.Outcome]
				if got := s.Tests[i]; got.Name != c.Name || got.Status != want {
					t.Errorf("test %d is %s %s, want %s %s", i, got.Name, got.Status, c.Name, want)
				}
			}
			if s.Properties["verdict"] != string(rep.Verdict) {
				t.Errorf("verdict property %q, want %s", s.Properties["verdict"], rep.Verdict)
			}
		})
	}
}

// TestWriteAll writes every format of a failing run and checks that the HTML page is
// self-contained and carries the plots and the timeline.
func TestWriteAll(t *testing.T) {
	rep := evaluated(t, fixtures.All[fixtures.Broken])
	dir := t.TempDir()
	if err := WriteAll(dir, rep); err != nil {
		t.Fatal(err)
	}
	for _, rd := range All() {
		if _, err := os.Stat(filepath.Join(dir, rd.File)); err != nil {
			t.Errorf("WriteAll did not write %s: %v", rd.File, err)
		}
	}
	for _, name := range []string{model.ReportJSON, model.JUnitFile, model.ReportHTML, model.SummaryFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("no %s in the run directory: %v", name, err)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, model.ReportHTML))
	if err != nil {
		t.Fatal(err)
	}
	page := string(html)
	for _, want := range []string{`class="timeline"`, "Success rate per second", "Mean latency per second", "Ready replicas per workload",
		"Ready nodes by kubelet version", "FAIL", "add a preStop sleep"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if n := strings.Count(page, `<svg class="plot"`); n != 4 {
		t.Errorf("report.html has %d plots, want 4", n)
	}
	for _, external := range []string{`src="http`, `href="http`, `<script src`, `<link `, "@import"} {
		if strings.Contains(page, external) {
			t.Errorf("report.html loads an external resource (%s)", external)
		}
	}
	again, err := HTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, html) {
		t.Error("report.html differs between two renderings of the same report")
	}
}
