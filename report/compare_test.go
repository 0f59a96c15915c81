package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCompare(t *testing.T) {
	healthy := mustBuild(t, fixtures[1])
	broken := mustBuild(t, fixtures[0])
	h := Evaluate(healthy.sc, healthy.info, healthy.samples, healthy.timeline, healthy.states)
	b := Evaluate(broken.sc, broken.info, broken.samples, broken.timeline, broken.states)
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
	healthy := mustBuild(t, fixtures[1])
	broken := mustBuild(t, fixtures[0])
	c := Compare(Evaluate(healthy.sc, healthy.info, healthy.samples, healthy.timeline, healthy.states),
		Evaluate(broken.sc, broken.info, broken.samples, broken.timeline, broken.states), DefaultThresholds())
	var out bytes.Buffer
	if err := c.Write(&out); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare-healthy-broken.txt", out.Bytes())
}

// TestLoad reads a report back from report.json and from a run directory without one.
func TestLoad(t *testing.T) {
	r := mustBuild(t, fixtures[0])
	rep := Evaluate(r.sc, r.info, r.samples, r.timeline, r.states)
	dir := t.TempDir()
	if err := rep.WriteAll(dir); err != nil {
		t.Fatal(err)
	}
	want, _ := rep.JSON()
	for _, path := range []string{dir, filepath.Join(dir, "report.json"), filepath.Join("testdata", "runs", "broken")} {
		got, err := Load(path)
		if err != nil {
			t.Fatalf("Load(%s): %v", path, err)
		}
		js, _ := got.JSON()
		if !bytes.Equal(js, want) {
			t.Errorf("Load(%s) differs from the report written:\n%s", path, firstDiff(string(want), string(js)))
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), []byte(`{"schemaVersion":"other"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("Load of a report of another schema: %v, want a schema error", err)
	}
}
