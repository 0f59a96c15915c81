package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/report/internal/fixtures"
)

func TestCompare(t *testing.T) {
	healthy := mustBuild(t, fixtures.All[fixtures.Healthy])
	broken := mustBuild(t, fixtures.All[fixtures.Broken])
	h := Evaluate(healthy.Scenario, healthy.Info, healthy.Samples, healthy.Timeline, healthy.States)
	b := Evaluate(broken.Scenario, broken.Info, broken.Samples, broken.Timeline, broken.States)
	lenient := DefaultThresholds()
	lenient.DroppedRequests, lenient.Stall, lenient.Stalls, lenient.Disruption, lenient.DurationPercent = 1000, time.Hour, 10, time.Hour, 100
	for _, tc := range []struct {
		name       string
		base, next *Report
		th         Thresholds
		regressed  bool
		metrics    []string // metrics that must be marked regressed
	}{
		{"same run", h, h, DefaultThresholds(), false, nil},
		{"healthy to broken", h, b, DefaultThresholds(), true,
			[]string{"dropped-requests", "disruption/web-new-connections", "pdb-stalls", "pdb-stall-longest", "upgrade-duration", "phase/pool/md-0"}},
		{"broken to healthy", b, h, DefaultThresholds(), false, nil},
		{"lenient thresholds still catch the verdict", h, b, lenient, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(tc.base, tc.next, tc.th)
			if c.Regressed() != tc.regressed {
				t.Errorf("regressed = %v, want %v", c.Regressed(), tc.regressed)
			}
			for _, m := range tc.metrics {
				found := false
				for _, ch := range c.Changes {
					found = found || (ch.Metric == m && ch.Regressed)
				}
				if !found {
					t.Errorf("metric %s not marked regressed", m)
				}
			}
			var out bytes.Buffer
			if err := c.Write(&out); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out.String(), "REGRESSED") != tc.regressed {
				t.Errorf("output does not match regressed=%v:\n%s", tc.regressed, out.String())
			}
		})
	}
}

func TestCompareGolden(t *testing.T) {
	healthy := mustBuild(t, fixtures.All[fixtures.Healthy])
	broken := mustBuild(t, fixtures.All[fixtures.Broken])
	c := Compare(Evaluate(healthy.Scenario, healthy.Info, healthy.Samples, healthy.Timeline, healthy.States),
		Evaluate(broken.Scenario, broken.Info, broken.Samples, broken.Timeline, broken.States), DefaultThresholds())
	var out bytes.Buffer
	if err := c.Write(&out); err != nil {
		t.Fatal(err)
	}
	fixtures.Golden(t, filepath.Join("testdata", "golden", "compare-healthy-broken.txt"), out.Bytes(), *update)
}

// TestLoad reads a report back from report.json and from a run directory without one.
func TestLoad(t *testing.T) {
	r := mustBuild(t, fixtures.All[fixtures.Broken])
	rep := Evaluate(r.Scenario, r.Info, r.Samples, r.Timeline, r.States)
	dir := t.TempDir()
	want, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), want, 0o644); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join("testdata", "runs", "broken")
	fromDir, err := FromDir(runDir)
	if err != nil {
		t.Fatal(err)
	}
	wantDir, _ := json.MarshalIndent(fromDir, "", "  ")
	for _, path := range []string{dir, filepath.Join(dir, "report.json"), runDir} {
		got, err := Load(path)
		if err != nil {
			t.Fatalf("Load(%s): %v", path, err)
		}
		js, _ := json.MarshalIndent(got, "", "  ")
		// A run directory without report.json is evaluated from its files, which adds the
		// check of their manifest.
		want := want
		if path == runDir {
			want = wantDir
		}
		if !bytes.Equal(js, want) {
			t.Errorf("Load(%s) differs from the report written:\n%s", path, fixtures.FirstDiff(string(want), string(js)))
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), []byte(`{"schemaVersion":"other"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("Load of a report of another schema: %v, want a schema error", err)
	}
}
